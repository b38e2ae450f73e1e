"""Page titles, against a local site on 127.0.0.1: what a normal page gives, and everything the
guard refuses. Only tests can allow 127.0.0.0/8 (Tuning.preview_networks) and pin a public
name to it (Tuning.preview_hosts); without them even the local site is refused."""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from aiohttp import web

from bot.app import App, Tuning, built
from bot.models import Member
from bot.pages import BlockedAddress, GuardedResolver, Page, PageFetcher
from tests.bot.test_cards import RecordingPlatform
from tests.conftest import settings_on
from tests.servers import serve

LOCAL = (ipaddress.ip_network("127.0.0.0/8"),)
SITE = "pages.example.com"  # a public-looking name, pinned to the local site
ALICE = Member("chat", "alice", "Alice")
CURATOR = Member("chat", "cur", "Cur", is_curator=True)

ARTICLE = """<!doctype html><html><head>
<meta charset="utf-8"><title>Fallback title</title>
<meta property="og:title" content="Attention Is All You Need, Again">
<meta property="og:description" content="A  re-read of\n the transformer paper.">
</head><body>Hello</body></html>"""
MENTIONS = """<html><head><title>Hi <b>@everyone</b> &lt;@123&gt; <!channel> \u202eevil</title>
</head></html>"""


def html(body: str) -> web.Response:
    return web.Response(text=body, content_type="text/html")


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def page(body: str) -> Handler:
    async def handler(_: web.Request) -> web.StreamResponse:
        return html(body)

    return handler


def redirect(to: str, **cookies: str) -> Handler:
    async def handler(_: web.Request) -> web.StreamResponse:
        found = web.HTTPFound(to)
        for name, value in cookies.items():
            found.set_cookie(name, value)
        raise found

    return handler


GATE = web.AppKey("gate", asyncio.Event)  # what /gated waits for


def site() -> web.Application:
    async def gated(request: web.Request) -> web.StreamResponse:
        await request.app[GATE].wait()  # the test opens it once it has seen the reply
        return html(ARTICLE)

    async def slow(_: web.Request) -> web.StreamResponse:
        await asyncio.sleep(5)
        return html(ARTICLE)

    async def pdf(_: web.Request) -> web.StreamResponse:
        return web.Response(body=b"%PDF-1.7", content_type="application/pdf")

    async def missing(_: web.Request) -> web.StreamResponse:
        return web.Response(status=404)

    async def odd_charset(_: web.Request) -> web.StreamResponse:
        body = "<title>Caf\u00e9 notes</title>".encode()
        return web.Response(body=body, headers={"Content-Type": "text/html; charset=no-such"})

    async def cookie(request: web.Request) -> web.StreamResponse:
        return html(f"<title>{'cookie sent' if request.cookies else 'no cookie'}</title>")

    app = web.Application()
    app[GATE] = asyncio.Event()
    routes: dict[str, Handler] = {
        "/gated": gated,
        "/article": page(ARTICLE),
        "/plain-title": page("<html><head><title> Just  a title </title></head>"),
        "/mentions": page(MENTIONS),
        "/long-head": page("<html><head>" + "<!-- padding -->" * 20_000 + "<title>Found</title>"),
        "/huge": page("<html><head>" + "<!-- padding -->" * 80_000 + "<title>Too far</title>"),
        "/paper.pdf": pdf,
        "/missing": missing,
        "/slow": slow,
        "/to-private": redirect("http://10.0.0.7/admin"),
        "/to-loopback-v6": redirect("http://[::1]/"),
        "/to-file": redirect("file:///etc/passwd"),
        "/to-article": redirect("/article"),
        "/loop": redirect("/loop"),
        "/set-cookie": redirect("/cookie", session="secret"),
        "/cookie": cookie,
        "/odd-charset": odd_charset,
    }
    for path, handler in routes.items():
        app.router.add_get(path, handler)
    return app


@pytest.fixture
def local_app() -> web.Application:
    return site()


@pytest.fixture
async def local_site(local_app: web.Application) -> AsyncIterator[str]:
    async with serve(local_app) as base:
        yield base


@pytest.fixture
async def fetcher() -> AsyncIterator[PageFetcher]:
    fetcher = PageFetcher(allowed=LOCAL, timeout=0.5)
    yield fetcher
    await fetcher.close()


async def test_a_page_gives_its_open_graph_title_and_description(
    fetcher: PageFetcher, local_site: str
) -> None:
    page = await fetcher.page(f"{local_site}/article")
    assert page == Page("Attention Is All You Need, Again", "A re-read of the transformer paper.")
    assert await fetcher.page(f"{local_site}/plain-title") == Page("Just a title", "")
    assert await fetcher.page(f"{local_site}/to-article") == page  # a redirect, followed
    assert await fetcher.page(f"{local_site}/long-head") == Page("Found", "")  # 320 kB in
    # A charset nobody knows is read as UTF-8, not an error.
    assert await fetcher.page(f"{local_site}/odd-charset") == Page("Caf\u00e9 notes", "")


@pytest.mark.parametrize(
    "path",
    [
        "/to-private",  # a redirect to a private address: never connected to
        "/to-loopback-v6",  # not in the allow-list
        "/to-file",  # not http(s)
        "/loop",  # more than 5 redirects
        "/huge",  # the title lies beyond the first megabyte
        "/paper.pdf",  # not HTML
        "/missing",
        "/slow",  # past the time limit
    ],
)
async def test_anything_else_leaves_the_plain_link(
    fetcher: PageFetcher, local_site: str, path: str
) -> None:
    assert await fetcher.page(f"{local_site}{path}") is None


SPELLINGS = (  # of 127.0.0.2, where a private server answers
    "\uff11\uff12\uff17.\uff10.\uff10.\uff12",  # full-width digits
    "127\u30020\u30020\u30022",  # ideographic full stops
    "127\uff0e0\uff0e0\uff0e2",  # full-width full stops
    "\u2460\u2461\u2466.0.0.\u2461",  # circled digits
    "0x7f.0.0.2",
    "2130706434",
    "127.2",
    "127.0.0.02",
)


@pytest.mark.parametrize("spelling", SPELLINGS)
async def test_a_redirect_to_a_private_address_in_any_spelling_is_refused(spelling: str) -> None:
    """The address judged is the one the HTTP client connects to (it turns full-width digits
    into an address literal and connects without asking the resolver)."""
    private = web.Application()
    private.router.add_get("/secret", page("<title>Internal dashboard</title>"))
    async with serve(private, host="127.0.0.2") as hidden:
        port = hidden.rsplit(":", 1)[1]
        public = web.Application()
        public.router.add_get("/go", redirect(f"http://{spelling}:{port}/secret"))
        async with serve(public) as base:
            fetcher = PageFetcher(allowed=(ipaddress.ip_network("127.0.0.1/32"),), timeout=1)
            try:
                assert await fetcher.page(f"http://{spelling}:{port}/secret") is None
                assert await fetcher.page(f"{base}/go") is None
            finally:
                await fetcher.close()


async def test_cookies_are_never_kept_or_sent(fetcher: PageFetcher, local_site: str) -> None:
    assert await fetcher.page(f"{local_site}/set-cookie") == Page("no cookie", "")


async def test_without_the_test_allow_list_the_local_site_is_refused(local_site: str) -> None:
    fetcher = PageFetcher(timeout=0.5)
    try:
        assert await fetcher.page(f"{local_site}/article") is None
    finally:
        await fetcher.close()


async def test_a_name_that_resolves_to_a_private_address_is_refused() -> None:
    resolver = GuardedResolver()
    try:
        with pytest.raises(BlockedAddress):
            await resolver.resolve("localhost", 80)
        pinned = GuardedResolver(pinned={SITE: "192.168.1.10"})
        with pytest.raises(BlockedAddress):
            await pinned.resolve(SITE, 80)
    finally:
        await resolver.close()


@pytest.fixture
async def app_with_titles(store: str | Path) -> AsyncIterator[App]:
    tuning = Tuning(
        card_refresh_seconds=0.05,
        preview_networks=LOCAL,
        preview_hosts={SITE: "127.0.0.1"},
        preview_timeout_seconds=2.0,
    )
    async with built(settings_on(store, link_previews=True), tuning=tuning) as app:
        app.cards.add_platform(RecordingPlatform())
        yield app


async def test_the_title_arrives_after_the_reply_and_reaches_card_and_shortlist(
    app_with_titles: App, local_site: str, local_app: web.Application
) -> None:
    app = app_with_titles
    port = local_site.rsplit(":", 1)[1]
    reply = await app.cards.suggest(ALICE, f"http://{SITE}:{port}/gated", "", channel_id="ideas")
    assert reply.startswith("Suggested #1")  # while the page has not answered yet
    assert (await app.ballot.suggestion(1)).title == ""
    local_app[GATE].set()
    assert app.previews is not None
    await app.previews.settled()
    suggestion = await app.ballot.suggestion(1)
    assert suggestion.title == "Attention Is All You Need, Again"
    assert suggestion.label == suggestion.title
    await app.cards.flush()
    [tally] = (await app.ballot.shortlist(CURATOR, limit=5)).ranked
    assert tally.suggestion.description == "A re-read of the transformer paper."


async def test_markup_and_mentions_in_a_title_stay_text(
    app_with_titles: App, local_site: str
) -> None:
    app = app_with_titles
    port = local_site.rsplit(":", 1)[1]
    await app.ballot.suggest(ALICE, f"http://{SITE}:{port}/mentions")
    assert app.previews is not None
    await app.previews.settled()
    title = (await app.ballot.suggestion(1)).title
    assert title == "Hi @everyone <@123> evil"  # tags gone, the bidi override dropped
