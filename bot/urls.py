"""Link rules: what a member may suggest, and when two links are the same article.

`parse_link` gives a link's identity (`key`: equal keys are one article, whatever scheme, query
order, tracking parameters or spelling of the host) and the form to show (`url`). Everything here
is pure and synchronous, and every refusal is an `InvalidLink` that says why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import SplitResult, quote, unquote, unquote_plus, urlsplit

from bot.errors import InvalidLink
from bot.hosts import public_host
from bot.sites import Pair, https_only, keeps_ref, one_form
from bot.trackers import fingerprint, rules

MAX_URL_LENGTH = 2048
RULES_VERSION = 3  # bump when the code's rules change; tracker data carries its own fingerprint

_SCHEME = re.compile(r"^(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*):(?P<rest>.*)$", re.DOTALL)
_ESCAPE = re.compile(r"%([0-9a-fA-F]{2})")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")  # Unicode's Cc category, exactly
_CONTROL_OR_SPACE = re.compile(r"[\x00-\x1f\x7f-\x9f\s]")  # \s is str.isspace's set
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_PATH_SAFE = "/:@!$&'()*+,;=%-._~"
_QUERY_SAFE = "/:@!$'()*+,;=%-._~?"


@dataclass(frozen=True, slots=True)
class Link:
    key: str  # "//host[:port]/path?sorted-query[#!route]": equal keys are the same article
    url: str  # what members see and curators export: https unless given as plain http

    @property
    def secure(self) -> bool:
        return self.url.startswith("https:")


def rules_version() -> str:
    """Changes whenever a rule deciding "same link" does: stored identities follow it."""
    return f"{RULES_VERSION}-{fingerprint()}"


def link_key(raw: str) -> str:
    """The identity of a link; raises `InvalidLink` if it can't be suggested."""
    return parse_link(raw).key


def key_or_none(raw: str) -> str | None:
    """The identity of a stored link under the rules in force; None if they refuse it now."""
    try:
        return link_key(raw)
    except InvalidLink:
        return None


def parse_link(raw: str) -> Link:
    text = _checked(raw)
    scheme, rest = _scheme_and_rest(text)
    parts = _split(scheme, rest)
    raw_host, port = _host_and_port(parts.netloc)
    try:
        host = public_host(raw_host)
    except UnicodeDecodeError:
        raise InvalidLink("That link's host isn't a valid name.") from None
    host = host.removeprefix("www.")
    if port == (443 if scheme == "https" else 80):
        port = None
    path = _path(parts.path)
    pairs = _pairs(parts.query)
    matched = f"https://{host}{path}" + (f"?{parts.query}" if parts.query else "")
    pairs = rules().strip(matched, host, path, pairs, referral=not keeps_ref(host, path))
    secure = scheme == "https" or https_only(host)
    host, path, pairs = one_form(host, path, pairs)
    route = parts.fragment.startswith("!")  # a #! route is part of the address
    key = f"//{host}{f':{port}' if port else ''}{path or ('/' if pairs or route else '')}"
    if pairs:
        key += "?" + "&".join(sorted(raw_pair for _, raw_pair in pairs))
    if route:
        key += "#" + _escapes(quote(parts.fragment, safe=_QUERY_SAFE))
    return Link(key, ("https:" if secure else "http:") + key)


def has_control_characters(text: str) -> bool:
    return _CONTROL.search(text) is not None


def is_valid_text(text: str) -> bool:
    """False for text that can't be stored as Unicode (a lone surrogate, an undecodable byte)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _checked(raw: str) -> str:
    text = raw.strip()
    if not is_valid_text(text):
        raise InvalidLink("That link contains characters that aren't valid text.")
    if not text:
        raise InvalidLink("Please give a link, for example https://example.com/article.")
    if len(text) > MAX_URL_LENGTH:
        raise InvalidLink(f"That link is longer than {MAX_URL_LENGTH} characters.")
    if _CONTROL_OR_SPACE.search(text):
        raise InvalidLink("That link contains spaces or control characters.")
    return text


def _scheme_and_rest(text: str) -> tuple[str, str]:
    """("https", "example.com/x") from `example.com/x`, `//example.com/x`, `https:example.com/x`
    or `https://example.com/x`, as a browser reads them; other schemes are refused."""
    if text.startswith("//"):
        return "https", text[2:]
    match = _SCHEME.match(text)
    if match is None:
        return "https", text
    scheme, rest = match["scheme"].lower(), match["rest"]
    if scheme in ("http", "https"):
        return scheme, rest.lstrip("/\\")
    if re.match(r"^\d+(/|$|\?|#)", rest):  # host:port with no scheme
        return "https", text
    raise InvalidLink("Only http and https links can be suggested.")


def _split(scheme: str, rest: str) -> SplitResult:
    """`scheme://rest` split as `urlsplit` splits it. Most links are ASCII without brackets,
    where its checks (IPv6 brackets, Unicode hosts) can't apply: those are split here, without
    them or its cache, in half the time."""
    if rest.isascii() and "[" not in rest and "]" not in rest:
        ends = [i for i in (rest.find("/"), rest.find("?"), rest.find("#")) if i >= 0]
        netloc, after = (rest[: min(ends)], rest[min(ends) :]) if ends else (rest, "")
        after, _, fragment = after.partition("#")
        path, _, query = after.partition("?")
        return SplitResult(scheme, netloc, path, query, fragment)
    try:
        return urlsplit(f"{scheme}://{rest}")
    except ValueError:
        raise InvalidLink("That doesn't look like a valid link.") from None


def _host_and_port(netloc: str) -> tuple[str, int | None]:
    hostport = netloc.rpartition("@")[2]  # credentials in a link are dropped, never shown
    if hostport.startswith("["):
        host, _, after = hostport.partition("]")
        host, port_text = host + "]", after.removeprefix(":")
    else:
        host, _, port_text = hostport.partition(":")
    if not port_text:
        return host, None
    if not port_text.isascii() or not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise InvalidLink("That link has an invalid port.")
    return host, int(port_text)


def _escapes(text: str) -> str:
    """Percent-escapes in one spelling: unreserved characters decoded, the rest upper-case."""

    def one(match: re.Match[str]) -> str:
        char = chr(int(match[1], 16))
        return char if char in _UNRESERVED else f"%{match[1].upper()}"

    return _ESCAPE.sub(one, text)


def _path(path: str) -> str:
    if "/." in path:  # a "." or ".." segment, maybe
        segments: list[str] = []
        for segment in path.split("/")[1:]:
            if segment == "..":
                if segments:
                    segments.pop()
            elif segment != ".":
                segments.append(segment)
        path = "/" + "/".join(segments)
    return _escapes(quote(path, safe=_PATH_SAFE)).rstrip("/")


def _pairs(query: str) -> list[Pair]:
    pairs = []
    for raw_pair in query.split("&"):
        if raw_pair:
            text = _escapes(quote(raw_pair, safe=_QUERY_SAFE))
            pairs.append((unquote_plus(unquote(text.partition("=")[0])).lower(), text))
    return pairs
