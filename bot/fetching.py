"""Fetching feeds politely: conditional GET, size cap, timeouts, redirects noted.

Local file paths (and file:// URLs) are read in a worker thread, which is how local runs and
tests point the bot at a feed without a server.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

import aiohttp

log = logging.getLogger(__name__)

MAX_FEED_BYTES = 5 * 1024 * 1024
FETCH_TIMEOUT_SECONDS = 30.0
USER_AGENT = "Shortlist/0.1 (newsletter community bot)"
_ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.5"
_PERMANENT_REDIRECTS = frozenset({301, 308})


class FetchError(Exception):
    """The feed could not be fetched; the message is fit for curators to read."""


class FeedGone(FetchError):
    """410 Gone: the publisher has removed the feed for good."""


@dataclass(frozen=True, slots=True)
class Fetched:
    body: bytes | None  # None: 304 Not Modified
    etag: str | None = None
    last_modified: str | None = None
    content_type: str | None = None
    moved_to: str | None = None  # the new URL after permanent redirects only

    @property
    def sha256(self) -> str | None:
        return hashlib.sha256(self.body).hexdigest() if self.body is not None else None


def is_web_url(source: str) -> bool:
    return source.lower().startswith(("http://", "https://"))


class FeedFetcher:
    """Fetches on the bot's shared aiohttp session."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        timeout: float = FETCH_TIMEOUT_SECONDS,
        max_bytes: int = MAX_FEED_BYTES,
    ) -> None:
        self._session = session
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._max_bytes = max_bytes

    async def fetch(
        self, source: str, *, etag: str | None = None, last_modified: str | None = None
    ) -> Fetched:
        if not is_web_url(source):
            return await self._read_file(source)
        headers = {"User-Agent": USER_AGENT, "Accept": _ACCEPT}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        try:
            async with self._session.get(
                source,
                headers=headers,
                timeout=self._timeout,
                allow_redirects=True,
                max_redirects=5,
            ) as response:
                moved_to = _moved_to(response)
                if response.status == 304:
                    return Fetched(None, etag, last_modified, moved_to=moved_to)
                if response.status == 410:
                    raise FeedGone("the feed is gone (HTTP 410); it has been disabled")
                if response.status >= 400:
                    raise FetchError(f"HTTP {response.status} {response.reason or ''}".strip())
                body = await self._read_capped(response)
                return Fetched(
                    body,
                    etag=response.headers.get("ETag") or None,
                    last_modified=response.headers.get("Last-Modified") or None,
                    content_type=response.headers.get("Content-Type"),
                    moved_to=moved_to,
                )
        except FetchError:
            raise
        except TimeoutError:
            raise FetchError(f"timed out after {self._timeout.total:.0f} s") from None
        except aiohttp.TooManyRedirects:
            raise FetchError("too many redirects") from None
        except aiohttp.ClientConnectorCertificateError as error:
            raise FetchError(f"TLS certificate problem: {error.certificate_error}") from None
        except aiohttp.ClientConnectorError as error:
            raise FetchError(f"could not connect to {error.host}: {error.os_error}") from None
        except aiohttp.ClientError as error:
            raise FetchError(f"{type(error).__name__}: {error}") from None

    async def _read_capped(self, response: aiohttp.ClientResponse) -> bytes:
        if response.content_length is not None and response.content_length > self._max_bytes:
            raise FetchError(f"the feed is larger than {self._max_bytes // (1024 * 1024)} MB")
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.content.iter_chunked(64 * 1024):
            size += len(chunk)
            if size > self._max_bytes:
                raise FetchError(f"the feed is larger than {self._max_bytes // (1024 * 1024)} MB")
            chunks.append(chunk)
        return b"".join(chunks)

    async def _read_file(self, source: str) -> Fetched:
        path = Path(unquote(urlsplit(source).path)) if source.startswith("file:") else Path(source)
        try:
            size = await asyncio.to_thread(lambda: path.stat().st_size)
            if size > self._max_bytes:
                raise FetchError(f"the feed is larger than {self._max_bytes // (1024 * 1024)} MB")
            return Fetched(await asyncio.to_thread(path.read_bytes))
        except FileNotFoundError:
            raise FetchError(f"no such file: {path}") from None
        except OSError as error:
            raise FetchError(f"could not read {path}: {error.strerror}") from None


def _moved_to(response: aiohttp.ClientResponse) -> str | None:
    """The final URL, if every redirect on the way was permanent."""
    if response.history and all(hop.status in _PERMANENT_REDIRECTS for hop in response.history):
        return str(response.url)
    return None
