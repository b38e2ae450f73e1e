"""Real feed XML for tests, and a local aiohttp server that serves it like a publisher would."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from xml.sax.saxutils import escape

from aiohttp import web

from tests.servers import serve


@dataclass(frozen=True)
class Item:
    title: str
    link: str
    guid: str | None = None
    published: datetime | None = None
    summary: str = ""


def issue(n: int, *, domain: str = "news.example.com", guid_prefix: str = "nl") -> Item:
    return Item(
        title=f"Issue #{n}: Monthly links",
        link=f"https://{domain}/issues/{n}",
        guid=f"{guid_prefix}-{n}",
        published=datetime(2026, n % 12 + 1, 1, 9, tzinfo=UTC),
        summary=f"<p>Ten links for month {n} &amp; a <b>bonus</b>.</p>",
    )


def rss2(items: list[Item], title: str = "ML Monthly") -> bytes:
    entries = []
    for item in items:
        guid = f'<guid isPermaLink="false">{escape(item.guid)}</guid>' if item.guid else ""
        date = f"<pubDate>{format_datetime(item.published)}</pubDate>" if item.published else ""
        entries.append(
            f"<item><title>{escape(item.title)}</title><link>{escape(item.link)}</link>{guid}"
            f"{date}<content:encoded><![CDATA[{item.summary}]]></content:encoded></item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">'
        f"<channel><title>{escape(title)}</title><link>https://news.example.com/</link>"
        f"<description>Monthly links</description>{''.join(entries)}</channel></rss>"
    ).encode()


def atom(items: list[Item], title: str = "ML Monthly") -> bytes:
    entries = []
    for item in items:
        updated = (item.published or datetime(2026, 1, 1, tzinfo=UTC)).isoformat()
        entries.append(
            f'<entry><title>{escape(item.title)}</title><link href="{escape(item.link)}"/>'
            f"<id>{escape(item.guid or item.link)}</id><updated>{updated}</updated>"
            f'<summary type="html">{escape(item.summary)}</summary></entry>'
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>{escape(title)}</title><id>urn:ml-monthly</id>"
        f"<updated>2026-11-01T00:00:00Z</updated>{''.join(entries)}</feed>"
    ).encode()


def rss1(items: list[Item], title: str = "ML Monthly") -> bytes:
    seq = "".join(f'<rdf:li rdf:resource="{escape(item.link)}"/>' for item in items)
    entries = "".join(
        f'<item rdf:about="{escape(item.link)}"><title>{escape(item.title)}</title>'
        f"<link>{escape(item.link)}</link><description>{escape(item.summary)}</description>"
        + (f"<dc:date>{item.published.isoformat()}</dc:date>" if item.published else "")
        + "</item>"
        for item in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
        ' xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f'<channel rdf:about="https://news.example.com/"><title>{escape(title)}</title>'
        "<link>https://news.example.com/</link><description>Monthly links</description>"
        f"<items><rdf:Seq>{seq}</rdf:Seq></items></channel>{entries}</rdf:RDF>"
    ).encode()


@dataclass
class Served:
    """What one path answers; tests change it between polls."""

    body: bytes = b""
    status: int = 200
    content_type: str = "application/rss+xml"
    etag: str | None = None
    last_modified: str | None = None
    delay: float = 0.0
    redirect_to: str | None = None
    redirect_status: int = 301


@dataclass
class FeedServer:
    """A local publisher: serves `routes`, honours conditional GET, records every request."""

    base: str = ""
    routes: dict[str, Served] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def url(self, path: str) -> str:
        return f"{self.base}{path}"

    def serve(self, path: str, **kwargs: object) -> Served:
        self.routes[path] = Served(**kwargs)  # type: ignore[arg-type]
        return self.routes[path]

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.requests.append((request.path, dict(request.headers)))
        served = self.routes.get(request.path)
        if served is None:
            return web.Response(status=404, text="no such feed")
        if served.delay:
            await asyncio.sleep(served.delay)
        if served.redirect_to:
            return _redirect(served.redirect_status, self.url(served.redirect_to))
        headers = {}
        if served.etag is not None:
            headers["ETag"] = served.etag
        if served.last_modified is not None:
            headers["Last-Modified"] = served.last_modified
        if served.status == 200 and (
            (served.etag and request.headers.get("If-None-Match") == served.etag)
            or (
                served.last_modified
                and request.headers.get("If-Modified-Since") == served.last_modified
            )
        ):
            return web.Response(status=304, headers=headers)
        return web.Response(
            status=served.status,
            body=served.body,
            content_type=served.content_type,
            headers=headers,
        )


def _redirect(status: int, location: str) -> web.Response:
    return web.Response(status=status, headers={"Location": location})


@asynccontextmanager
async def feed_server() -> AsyncIterator[FeedServer]:
    server = FeedServer()
    app = web.Application()
    app.router.add_route("GET", "/{tail:.*}", server.handle)
    async with serve(app) as server.base:
        yield server
