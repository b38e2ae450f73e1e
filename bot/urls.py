"""URL rules: what a member may suggest, and the one canonical form of each link.

Two links that reach the same article must canonicalise to the same string, so that a ballot
never holds the same piece twice. Everything here is pure and synchronous.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import unicodedata
from urllib.parse import unquote_plus

from yarl import URL

from bot.errors import InvalidLink

MAX_URL_LENGTH = 2048

_SCHEME = re.compile(r"^(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*):(?P<rest>.*)$", re.DOTALL)
_DEFAULT_PORTS = {"http": 80, "https": 443}

# Query parameters that only say where a click came from.
_TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "msclkid",
        "yclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "ref",
        "ref_src",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
    }
)
_TRACKING_PREFIXES = ("utm_",)
_SITE_TRACKING_PARAMS: dict[str, frozenset[str]] = {
    "youtube.com": frozenset({"feature", "si", "pp"}),
    "x.com": frozenset({"s", "t"}),
}

_ARXIV_HOSTS = frozenset({"arxiv.org", "export.arxiv.org"})
_ARXIV_PATH = re.compile(
    r"^/(?:abs|pdf|html)/(?P<id>\d{4}\.\d{4,5}|[a-z][a-z.-]*(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?(?:\.pdf)?/?$"
)
_YOUTUBE_HOSTS = frozenset({"youtube.com", "m.youtube.com", "music.youtube.com"})
_YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{6,}$")
_TWITTER_HOSTS = frozenset(
    {"twitter.com", "mobile.twitter.com", "x.com", "mobile.x.com", "fxtwitter.com", "vxtwitter.com"}
)
_TWEET_PATH = re.compile(r"^/(?P<user>[A-Za-z0-9_]{1,15}|i(?:/web)?)/status(?:es)?/(?P<id>\d+)")


def has_control_characters(text: str) -> bool:
    return any(unicodedata.category(char) == "Cc" for char in text)


def canonical_url(raw: str) -> str:
    """Return the canonical form of a link a member typed, or raise `InvalidLink` saying why not."""
    text = raw.strip()
    if not text:
        raise InvalidLink("Please give a link, for example https://example.com/article.")
    if len(text) > MAX_URL_LENGTH:
        raise InvalidLink(f"That link is longer than {MAX_URL_LENGTH} characters.")
    if has_control_characters(text) or any(char.isspace() for char in text):
        raise InvalidLink("That link contains spaces or control characters.")

    text = _with_scheme(text)
    try:
        url = URL(text)
    except ValueError:
        raise InvalidLink("That doesn't look like a valid link.") from None

    scheme = url.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise InvalidLink("Only http and https links can be suggested.")
    host = (url.raw_host or "").lower().rstrip(".")
    if not host:
        raise InvalidLink("That link has no host name.")
    _refuse_private_host(host)
    if host.startswith("www."):
        host = host[4:]
    try:
        port = url.explicit_port
    except ValueError:
        raise InvalidLink("That link has an invalid port.") from None
    if port == _DEFAULT_PORTS[scheme]:
        port = None

    path = url.raw_path.rstrip("/")
    query = _without_tracking(
        url.raw_query_string, _SITE_TRACKING_PARAMS.get(_site(host), frozenset())
    )
    site_form = _site_rules(host, path, query)
    if site_form is not None:  # these sites serve everything over https
        scheme, port, (host, path, query) = "https", None, site_form

    canonical = str(
        URL.build(scheme=scheme, host=host, port=port, path=path, query_string=query, encoded=True)
    )
    return canonical.rstrip("/") if not query else canonical


def _with_scheme(text: str) -> str:
    """Add https:// to a scheme-less link, telling `example.com:8080/x` apart from `mailto:x`."""
    if text.startswith("//"):
        return "https:" + text
    match = _SCHEME.match(text)
    if match is None:
        return "https://" + text
    rest = match["rest"]
    if rest.startswith("//"):
        return text
    if re.match(r"^\d+(/|$|\?|#)", rest):  # host:port with no scheme
        return "https://" + text
    raise InvalidLink("Only http and https links can be suggested.")


def _refuse_private_host(host: str) -> None:
    if host == "localhost" or host.endswith(".localhost"):
        raise InvalidLink("Links to localhost can't be suggested.")
    address = _ip_literal(host)
    if address is None:
        if "." not in host:
            raise InvalidLink("That link's host isn't a public domain name.")
        return
    if (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_reserved
        or address.is_multicast
        or address.is_unspecified
    ):
        raise InvalidLink("Links to private or local network addresses can't be suggested.")


def _ip_literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        pass
    else:
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            return address.ipv4_mapped
        return address
    # Browsers also accept shorthand IPv4 such as 127.1, 0x7f.0.0.1 or 2130706433.
    if re.fullmatch(r"(0x[0-9a-f]+|\d+)(\.(0x[0-9a-f]+|\d+)){0,3}", host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            raise InvalidLink("That link's host isn't a valid address.") from None
    return None


def _site(host: str) -> str:
    if host in _YOUTUBE_HOSTS or host == "youtu.be":
        return "youtube.com"
    if host in _TWITTER_HOSTS:
        return "x.com"
    return host


def _without_tracking(raw_query: str, site_params: frozenset[str]) -> str:
    kept = []
    for pair in raw_query.split("&"):
        if not pair:
            continue
        name = unquote_plus(pair.partition("=")[0]).lower()
        if name in _TRACKING_PARAMS or name in site_params or name.startswith(_TRACKING_PREFIXES):
            continue
        kept.append(pair)
    return "&".join(kept)


def _query_value(raw_query: str, name: str) -> str | None:
    for pair in raw_query.split("&"):
        key, _, value = pair.partition("=")
        if key == name:
            return value
    return None


def _site_rules(host: str, path: str, query: str) -> tuple[str, str, str] | None:
    """The single (host, path, query) of an arXiv paper, YouTube video or X post, if it is one."""
    if host in _ARXIV_HOSTS:
        match = _ARXIV_PATH.match(path)
        if match:
            return "arxiv.org", f"/abs/{match['id']}", ""
    if host == "youtu.be":
        video = path.strip("/")
        if _YOUTUBE_ID.match(video):
            return "youtube.com", "/watch", f"v={video}"
    if host in _YOUTUBE_HOSTS:
        if path == "/watch":
            watched = _query_value(query, "v")
            if watched and _YOUTUBE_ID.match(watched):
                return "youtube.com", "/watch", f"v={watched}"
        shorts = re.match(r"^/(?:shorts|live|embed)/(?P<id>[A-Za-z0-9_-]{6,})$", path)
        if shorts:
            return "youtube.com", "/watch", f"v={shorts['id']}"
        return "youtube.com", path, query  # a channel or playlist: only the host is unified
    if host in _TWITTER_HOSTS:
        match = _TWEET_PATH.match(path)
        if match:
            user = match["user"].lower().split("/")[0]  # handles are case-insensitive; i/web is i
            return "x.com", f"/{user}/status/{match['id']}", ""
        return "x.com", path, query
    return None
