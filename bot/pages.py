"""A suggested page's title and description, fetched without letting a member point the bot at
the network it runs in (server-side request forgery).

- http and https only; every hop's host is checked: a literal address directly, a name through
  `GuardedResolver`, which checks every address the name resolves to and hands aiohttp only
  those, so the address connected to is the address checked;
- at most 5 redirects, followed by hand (each one checked again), 5 s in all, 1 MB read,
  HTML only, no cookies kept or sent, no proxy from the environment;
- any failure is just "no preview": the plain link stays.

The allow-list of networks exists for tests (a local site on 127.0.0.1); production has none.
"""

from __future__ import annotations

import asyncio
import codecs
import ipaddress
import logging
import re
import socket
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin

import aiohttp
import yarl
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

from bot.feeds import one_line
from bot.fetching import USER_AGENT
from bot.hosts import is_public

log = logging.getLogger(__name__)

MAX_REDIRECTS = 5
TIMEOUT_SECONDS = 5.0
MAX_BYTES = 1_000_000
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
REDIRECTS = frozenset({301, 302, 303, 307, 308})
# A host whose every label is a number (decimal, octal or 0x-hex): an address in some spelling
# that inet_aton would read, never a real name (no top-level domain is numeric).
_NUMERIC = re.compile(r"(?:0x[0-9a-f]*|[0-9]+)(?:\.(?:0x[0-9a-f]*|[0-9]+))*\.?", re.IGNORECASE)
TITLE_LENGTH = 200
DESCRIPTION_LENGTH = 300

Networks = Sequence[ipaddress.IPv4Network | ipaddress.IPv6Network]


@dataclass(frozen=True, slots=True)
class Page:
    title: str
    description: str


class BlockedAddress(OSError):
    """The host is, or resolves to, an address that is not on the public internet."""


def check_address(text: str, allowed: Networks = ()) -> None:
    address = ipaddress.ip_address(text.split("%", 1)[0])
    if any(address in network for network in allowed):
        return
    if not is_public(address):
        raise BlockedAddress(f"{text} is not a public address")


class GuardedResolver(AbstractResolver):
    """Resolves as aiohttp would, and refuses a name if any of its addresses is not public.

    `pinned` names resolve to the address given (as curl's --resolve does): tests only."""

    def __init__(self, allowed: Networks = (), pinned: Mapping[str, str] | None = None) -> None:
        self._inner = DefaultResolver()
        self._allowed = allowed
        self._pinned = pinned or {}

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        if host in self._pinned:
            address = self._pinned[host]
            check_address(address, self._allowed)
            return [
                ResolveResult(
                    hostname=host, host=address, port=port, family=family, proto=0, flags=0
                )
            ]
        results = await self._inner.resolve(host, port, family)
        for result in results:
            check_address(result["host"], self._allowed)
        return results

    async def close(self) -> None:
        await self._inner.close()


class PageFetcher:
    """Fetches pages for previews on a session of its own (the guard is its connector's)."""

    def __init__(
        self,
        *,
        allowed: Networks = (),
        pinned: Mapping[str, str] | None = None,
        timeout: float = TIMEOUT_SECONDS,
    ) -> None:
        self._allowed = allowed
        self._pinned = pinned
        self._timeout = timeout
        self._session: aiohttp.ClientSession | None = None

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(
                    resolver=GuardedResolver(self._allowed, self._pinned), limit=8
                ),
                cookie_jar=aiohttp.DummyCookieJar(),
                headers={"User-Agent": USER_AGENT, "Accept": "text/html,application/xhtml+xml"},
                trust_env=False,
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def page(self, url: str) -> Page | None:
        """The page's title and description, or None (any failure, nothing found)."""
        try:
            async with asyncio.timeout(self._timeout):
                return await self._follow(url)
        except (TimeoutError, aiohttp.ClientError, OSError, ValueError, UnicodeError) as error:
            log.info("No preview for %s: %s", url, error or type(error).__name__)
            return None

    async def _follow(self, url: str) -> Page | None:
        session = self._open()
        for _ in range(MAX_REDIRECTS + 1):
            self._check(url)
            async with session.get(url, allow_redirects=False) as response:
                if response.status in REDIRECTS and "Location" in response.headers:
                    url = urljoin(url, response.headers["Location"])
                    continue
                if response.status != 200 or response.content_type not in HTML_TYPES:
                    return None
                body = await _head_of(response)
                charset = _known(response.charset)
            return await asyncio.to_thread(parse_page, body.decode(charset, "replace"))
        return None

    def _check(self, url: str) -> None:
        """Judge the host the HTTP client will connect to, as it spells it: yarl turns
        full-width or circled digits and other dots into an address literal, which aiohttp
        connects to without asking the resolver."""
        parts = yarl.URL(url)
        host = parts.raw_host
        if parts.scheme not in ("http", "https") or not host:
            raise ValueError(f"not an http(s) URL: {url}")
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            if _NUMERIC.fullmatch(host):  # 0x7f.1, 2130706433, 127.1: read as addresses by
                raise BlockedAddress(f"{host} is not a canonical address") from None  # some
            return  # a name: the resolver checks what it resolves to
        if ":" not in host and str(address) != host:
            raise BlockedAddress(f"{host} is not a canonical address")
        check_address(host, self._allowed)


def _known(charset: str | None) -> str:
    """The page's declared charset if Python knows it, else UTF-8 (a server may say anything)."""
    try:
        return codecs.lookup(charset or "utf-8").name
    except LookupError:
        return "utf-8"


async def _head_of(response: aiohttp.ClientResponse) -> bytes:
    """The page up to the end of its <head> (all a preview needs), at most MAX_BYTES."""
    body = bytearray()
    async for chunk in response.content.iter_chunked(64 * 1024):
        body += chunk
        if len(body) >= MAX_BYTES or b"</head>" in body[-len(chunk) - 7 :].lower():
            break
    return bytes(body[:MAX_BYTES])


class _HeadReader(HTMLParser):
    """`og:title`/`og:description`, else `<title>` and the meta description."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, str] = {}
        self.title: list[str] = []
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title" and not self.title:
            self._in_title = True
        elif tag == "meta":
            found = {name: value or "" for name, value in attrs}
            key = (found.get("property") or found.get("name") or "").lower()
            if key in ("og:title", "og:description", "description", "twitter:title"):
                self.meta.setdefault(key, found.get("content", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title.append(data)


def parse_page(html: str) -> Page | None:
    reader = _HeadReader()
    reader.feed(html)
    reader.close()
    meta: dict[str, Any] = reader.meta
    title = meta.get("og:title") or meta.get("twitter:title") or "".join(reader.title)
    description = meta.get("og:description") or meta.get("description") or ""
    page = Page(one_line(title, TITLE_LENGTH), one_line(description, DESCRIPTION_LENGTH))
    return page if page.title else None
