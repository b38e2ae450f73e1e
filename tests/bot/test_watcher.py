"""The feed watcher against real feed XML from a local server and a real SQLite file."""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot.app import App, Tuning, build, built
from bot.errors import PostRefused
from bot.models import Announcement, Member, PollResult
from bot.settings import DiscordSettings, Settings
from bot.watcher import FeedWatcher
from tests.feeds import FeedServer, Item, atom, feed_server, issue, rss1, rss2

CURATOR = Member("console", "cora", "Cora", is_curator=True)


class RecordingAnnouncer:
    """A front end at the edge: remembers what it was asked to post; can be made to fail, or to
    stay disconnected until `connect()`."""

    def __init__(self, name: str = "chat", channels: tuple[str, ...] = ("general",)) -> None:
        self.name = name
        self.channels = channels
        self.settles = timedelta(0)
        self.posts: list[tuple[str, str]] = []
        self.announcements: list[Announcement] = []
        self.alerts: list[str] = []
        self.failing_channels: set[str] = set()
        self.keys: dict[tuple[str, str], str] = {}  # (channel, key) -> message id
        self.searched_since: list[datetime] = []
        self.connected = asyncio.Event()
        self.connected.set()

    def announce_channels(self) -> tuple[str, ...]:
        return self.channels

    def is_ready(self) -> bool:
        return self.connected.is_set()

    async def wait_until_ready(self) -> None:
        await self.connected.wait()

    async def announce(self, channel_id: str, announcement: Announcement, key: str) -> str:
        if channel_id in self.failing_channels:
            raise PostRefused(f"Missing Access to {channel_id}")
        self.posts.append((channel_id, announcement.title))
        self.announcements.append(announcement)
        self.keys[(channel_id, key)] = f"message-{len(self.posts)}"
        return f"message-{len(self.posts)}"

    async def find_announcement(
        self, channel_id: str, announcement: Announcement, key: str, since: datetime
    ) -> str | None:
        self.searched_since.append(since)
        return self.keys.get((channel_id, key))

    async def alert_curators(self, message: str) -> None:
        self.alerts.append(message)

    def titles(self) -> list[str]:
        return [title for _, title in self.posts]


class Bot:
    """The bot as `build` wires it, on one SQLite file, announcing on a recording platform
    (the console's output is kept apart in `console`); `restart()` builds it anew."""

    def __init__(self, path: Path, sources: list[str]) -> None:
        self.path = path
        self.sources = sources
        self.announcer = RecordingAnnouncer()
        self.alert_after = 3
        self.poll_seconds = 60.0
        self.console = io.StringIO()

    async def start(self) -> None:
        settings = Settings(
            link_previews=False,
            database_path=self.path,
            feed_urls=tuple(self.sources),
            feed_poll_seconds=self.poll_seconds,
            feed_failure_alert_after=self.alert_after,
        )
        self.app: App = await build(
            settings, stdout=self.console, tuning=Tuning(feed_timeout_seconds=2.0)
        )
        self.app.announcer.add_platform(self.announcer)
        self.database = self.app.database
        self.ballot = self.app.ballot
        assert self.app.watcher is not None
        self.watcher: FeedWatcher = self.app.watcher

    async def stop(self) -> None:
        await self.app.shut_down()
        await self.app.close()

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    def alerts(self) -> list[str]:
        return self.announcer.alerts

    async def poll(self) -> PollResult:
        [result] = await self.watcher.poll_now(CURATOR)
        return result

    async def state(self) -> tuple[object, ...]:
        """Everything a failed poll must leave alone."""
        rows = []
        for table in ("feed_entries", "feed_identities", "deliveries", "cycles"):
            rows.append(
                tuple(tuple(r) for r in await self.database.fetch_all(f"SELECT * FROM {table}"))
            )
        return tuple(rows)


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    async with feed_server() as running:
        yield running


@pytest.fixture
async def make_bot(tmp_path: Path) -> AsyncIterator[Callable[[list[str]], Bot]]:
    started: list[Bot] = []

    def make(sources: list[str]) -> Bot:
        bot = Bot(tmp_path / "bot.sqlite3", sources)
        started.append(bot)
        return bot

    yield make
    for bot in started:
        if hasattr(bot, "app"):
            await bot.stop()


FORMATS = [rss2, atom, rss1]


@pytest.mark.parametrize("render", FORMATS, ids=["rss2", "atom", "rss1"])
async def test_new_issue_is_announced_exactly_once_across_restarts(
    server: FeedServer, make_bot: Callable[[list[str]], Bot], render: Callable[[list[Item]], bytes]
) -> None:
    served = server.serve("/feed", body=render([issue(2), issue(1)]))
    bot = make_bot([server.url("/feed")])
    await bot.start()
    await bot.ballot.suggest(Member("console", "al", "Al"), "https://example.com/a")

    first = await bot.poll()
    assert first.summary.startswith("first check: 2 existing issues recorded without announcing")
    assert bot.announcer.posts == []

    served.body = render([issue(3), issue(2), issue(1)])
    second = await bot.poll()
    assert second.summary == "announced 1 new issue"
    assert bot.announcer.titles() == ["Issue #3: Monthly links"]
    announcement = bot.announcer.announcements[0]
    assert announcement.link == "https://news.example.com/issues/3"
    assert announcement.summary == "Ten links for month 3 & a bonus."
    assert announcement.feed_title == "ML Monthly"
    assert announcement.next_cycle == 2

    assert (await bot.poll()).summary in {"unchanged since the last check", "no new issues"}
    await bot.restart()
    await bot.poll()
    await bot.poll()
    assert bot.announcer.titles() == ["Issue #3: Monthly links"]

    closed = await bot.ballot.shortlist(CURATOR, cycle_id=1)
    assert closed.cycle.issue is not None
    assert closed.cycle.issue.title == "Issue #3: Monthly links"
    assert [t.suggestion.url for t in closed.ranked] == ["https://example.com/a"]
    assert (await bot.ballot.current_cycle()).id == 2


async def test_entries_without_guids_are_known_by_link(
    server: FeedServer, make_bot: Callable[[list[str]], Bot]
) -> None:
    items = [replace(issue(n), guid=None) for n in (2, 1)]
    served = server.serve("/feed", body=rss2(items))
    bot = make_bot([server.url("/feed")])
    await bot.start()
    await bot.poll()
    served.body = rss2([replace(issue(3), guid=None), *items])
    await bot.poll()
    assert bot.announcer.titles() == ["Issue #3: Monthly links"]


async def test_reordered_edited_and_migrated_feeds_announce_nothing(
    server: FeedServer, make_bot: Callable[[list[str]], Bot]
) -> None:
    served = server.serve("/feed", body=rss2([issue(3), issue(2), issue(1)]))
    bot = make_bot([server.url("/feed")])
    await bot.start()
    await bot.poll()

    served.body = rss2([issue(1), issue(3), issue(2)])  # reordered
    assert (await bot.poll()).summary == "no new issues"
    edited = replace(
        issue(3), summary="<p>Fixed a typo</p>", link=issue(3).link + "?utm_source=rss"
    )
    served.body = rss2([edited, issue(2), issue(1)])  # edited in place
    assert (await bot.poll()).summary == "no new issues"
    migrated = [issue(n, domain="letters.example.org", guid_prefix="sub") for n in (3, 2, 1)]
    served.body = atom(migrated)  # moved platform: new guids, domain and format, same issues
    assert (await bot.poll()).summary == "no new issues"
    retitled = replace(issue(3), guid="nl-3", title="Issue #3: Monthly links (updated)")
    served.body = rss2([retitled])
    await bot.poll()
    assert bot.announcer.posts == []
    assert (await bot.ballot.current_cycle()).id == 1


async def test_an_empty_feed_deletes_nothing(
    server: FeedServer, make_bot: Callable[[list[str]], Bot]
) -> None:
    served = server.serve("/feed", body=rss2([issue(2), issue(1)]))
    bot = make_bot([server.url("/feed")])
    await bot.start()
    await bot.poll()
    before = await bot.state()
    served.body = rss2([])
    assert (await bot.poll()).summary == "no new issues"
    assert await bot.state() == before
    served.body = rss2([issue(2), issue(1)])
    await bot.poll()
    assert bot.announcer.posts == []


async def test_backlog_guard_announces_only_the_newest(
    server: FeedServer, make_bot: Callable[[list[str]], Bot]
) -> None:
    served = server.serve("/feed", body=rss2([issue(1)]))
    bot = make_bot([server.url("/feed")])
    await bot.start()
    await bot.poll()

    served.body = rss2([issue(n) for n in (6, 5, 4, 3, 2, 1)])
    result = await bot.poll()
    assert result.summary.startswith("5 new entries at once")
    assert bot.announcer.titles() == ["Issue #6: Monthly links"]

    served.body = rss2([issue(n) for n in (9, 8, 7, 6, 5, 4, 3, 2, 1)])
    await bot.poll()
    assert bot.announcer.titles()[1:] == [
        "Issue #7: Monthly links",
        "Issue #8: Monthly links",
        "Issue #9: Monthly links",
    ]  # three at once are all news, oldest first
    # ...but one poll closes one cycle, for the newest issue: no empty cycles in between.
    assert (await bot.ballot.current_cycle()).id == 3
    closed = await bot.ballot.shortlist(CURATOR, cycle_id=2)
    assert closed.cycle.issue is not None
    assert closed.cycle.issue.title == "Issue #9: Monthly links"


@pytest.mark.parametrize(
    ("served", "error"),
    [
        (
            {"body": b"<html><body>Not a feed</body></html>", "content_type": "text/html"},
            "not an RSS",
        ),
        ({"body": b"\x00\xff garbage", "content_type": "application/octet-stream"}, "not an RSS"),
        ({"body": b"", "status": 200}, "not an RSS"),
        ({"body": b"oops", "status": 503}, "HTTP 503"),
        ({"body": b"no", "status": 404}, "HTTP 404"),
        ({"body": b"x" * (5 * 1024 * 1024 + 1)}, "larger than 5 MB"),
        ({"body": rss2([issue(9)]), "delay": 3.0}, "timed out"),
    ],
    ids=["html", "garbage", "empty-body", "5xx", "404", "huge", "slow"],
)
async def test_broken_feeds_change_nothing_and_say_why(
    server: FeedServer,
    make_bot: Callable[[list[str]], Bot],
    served: dict[str, object],
    error: str,
) -> None:
    route = server.serve("/feed", body=rss2([issue(2), issue(1)]))
    bot = make_bot([server.url("/feed")])
    await bot.start()
    await bot.poll()
    before = await bot.state()

    server.serve("/feed", **served)
    result = await bot.poll()
    assert result.error is not None
    assert error in result.error
    assert await bot.state() == before
    assert bot.announcer.posts == []

    server.routes["/feed"] = route  # the publisher fixes it
    assert (await bot.poll()).error is None
    [status] = await bot.watcher.status(CURATOR)
    assert status.failures == 0


async def test_unreachable_host_is_a_reported_failure(make_bot: Callable[[list[str]], Bot]) -> None:
    bot = make_bot(["http://127.0.0.1:9/feed"])  # discard port: nothing listens
    await bot.start()
    result = await bot.poll()
    assert result.error is not None
    assert "could not connect" in result.error


async def test_conditional_get_sends_validators_and_skips_work_on_304(
    server: FeedServer, make_bot: Callable[[list[str]], Bot]
) -> None:
    server.serve(
        "/feed",
        body=rss2([issue(1)]),
        etag='"v1"',
        last_modified="Sun, 01 Nov 2026 09:00:00 GMT",
    )
    bot = make_bot([server.url("/feed")])
    await bot.start()
    await bot.poll()
    assert "If-None-Match" not in server.requests[0][1]
    state = await bot.state()

    result = await bot.poll()
    assert result.summary == "not modified since the last check"
    headers = server.requests[1][1]
    assert headers["If-None-Match"] == '"v1"'
    assert headers["If-Modified-Since"] == "Sun, 01 Nov 2026 09:00:00 GMT"
    assert await bot.state() == state


async def test_no_etag_means_no_if_none_match_and_identical_body_is_skipped(
    server: FeedServer, make_bot: Callable[[list[str]], Bot]
) -> None:
    server.serve("/feed", body=rss2([issue(1)]), etag="")
    bot = make_bot([server.url("/feed")])
    await bot.start()
    await bot.poll()
    result = await bot.poll()
    assert result.summary == "unchanged since the last check"
    assert all("If-None-Match" not in headers for _, headers in server.requests)


async def test_permanent_redirect_updates_the_stored_url(
    server: FeedServer, make_bot: Callable[[list[str]], Bot]
) -> None:
    server.serve("/old", redirect_to="/new", redirect_status=301)
    served = server.serve("/new", body=rss2([issue(1)]))
    bot = make_bot([server.url("/old")])
    await bot.start()
    await bot.poll()
    [status] = await bot.watcher.status(CURATOR)
    assert status.fetch_url == server.url("/new")

    served.body = rss2([issue(2), issue(1)])
    await bot.poll()
    assert server.requests[-1][0] == "/new"
    assert bot.announcer.titles() == ["Issue #2: Monthly links"]


async def test_temporary_redirect_keeps_the_stored_url(
    server: FeedServer, make_bot: Callable[[list[str]], Bot]
) -> None:
    server.serve("/old", redirect_to="/new", redirect_status=302)
    server.serve("/new", body=rss2([issue(1)]))
    bot = make_bot([server.url("/old")])
    await bot.start()
    await bot.poll()
    [status] = await bot.watcher.status(CURATOR)
    assert status.fetch_url == server.url("/old")


async def test_failures_back_off_alert_once_and_recover(
    server: FeedServer, make_bot: Callable[[list[str]], Bot]
) -> None:
    good = server.serve("/feed", body=rss2([issue(1)]))
    bot = make_bot([server.url("/feed")])
    await bot.start()
    await bot.poll()

    server.serve("/feed", status=502, body=b"bad gateway")
    delays = []
    for _ in range(5):
        await bot.poll()
        [status] = await bot.watcher.status(CURATOR)
        assert status.next_check is not None
        assert status.last_check is not None
        delays.append(round((status.next_check - status.last_check).total_seconds()))
    assert delays == [120, 240, 480, 960, 1920]  # 60 s times 2^n
    assert status.failures == 5
    assert status.last_error == "HTTP 502 Bad Gateway"
    assert len(bot.alerts()) == 1
    assert "failed 3 checks in a row: HTTP 502 Bad Gateway" in bot.alerts()[0]

    server.routes["/feed"] = good
    await bot.poll()
    [status] = await bot.watcher.status(CURATOR)
    assert status.failures == 0
    assert bot.alerts()[-1].endswith("is working again.")


async def test_backoff_is_capped_at_six_hours(
    server: FeedServer, make_bot: Callable[[list[str]], Bot]
) -> None:
    server.serve("/feed", status=500)
    bot = make_bot([server.url("/feed")])
    await bot.start()
    for _ in range(12):
        await bot.poll()
    [status] = await bot.watcher.status(CURATOR)
    assert status.next_check is not None
    assert status.last_check is not None
    assert (status.next_check - status.last_check).total_seconds() == 6 * 3600


async def test_gone_disables_the_feed_until_a_manual_poll_finds_it(
    server: FeedServer, make_bot: Callable[[list[str]], Bot]
) -> None:
    good = server.serve("/feed", body=rss2([issue(1)]))
    bot = make_bot([server.url("/feed")])
    await bot.start()
    await bot.poll()
    server.serve("/feed", status=410)
    await bot.poll()
    [status] = await bot.watcher.status(CURATOR)
    assert status.disabled
    assert status.next_check is None
    assert "410 Gone" in bot.alerts()[0]

    await bot.restart()
    [status] = await bot.watcher.status(CURATOR)
    assert status.disabled

    server.routes["/feed"] = good
    await bot.poll()
    [status] = await bot.watcher.status(CURATOR)
    assert not status.disabled


async def test_a_failed_channel_is_retried_and_never_posted_twice(
    server: FeedServer, make_bot: Callable[[list[str]], Bot]
) -> None:
    served = server.serve("/feed", body=rss2([issue(1)]))
    bot = make_bot([server.url("/feed")])
    bot.announcer.channels = ("general", "news")
    bot.announcer.failing_channels = {"news"}
    await bot.start()
    await bot.poll()
    served.body = rss2([issue(2), issue(1)])
    await bot.poll()
    assert bot.announcer.posts == [("general", "Issue #2: Monthly links")]
    [status] = await bot.watcher.status(CURATOR)
    assert status.undelivered == ("chat news: Missing Access to news",)

    await bot.restart()
    bot.announcer.failing_channels = set()
    assert (await bot.poll()).summary == "unchanged since the last check"
    assert bot.announcer.posts == [
        ("general", "Issue #2: Monthly links"),
        ("news", "Issue #2: Monthly links"),
    ]
    await bot.restart()
    served.body = rss2([issue(2), issue(1)], title="ML Monthly (new look)")
    await bot.poll()
    assert len(bot.announcer.posts) == 2
    assert (await bot.ballot.current_cycle()).id == 2


async def test_local_file_feeds_work_like_urls(
    tmp_path: Path, make_bot: Callable[[list[str]], Bot]
) -> None:
    feed = tmp_path / "feed.xml"
    feed.write_bytes(rss2([issue(1)]))
    bot = make_bot([str(feed)])
    await bot.start()
    await bot.poll()
    feed.write_bytes(rss2([issue(2), issue(1)]))
    await bot.poll()
    assert bot.announcer.titles() == ["Issue #2: Monthly links"]
    feed.unlink()
    result = await bot.poll()
    assert result.error == f"no such file: {feed}"


async def test_run_polls_on_schedule_and_stops_cleanly(
    server: FeedServer, make_bot: Callable[[list[str]], Bot]
) -> None:
    served = server.serve("/feed", body=rss2([issue(1)]))
    bot = make_bot([server.url("/feed")])
    bot.poll_seconds = 0.05
    await bot.start()
    task = asyncio.create_task(bot.watcher.run())
    try:
        await _eventually(lambda: len(server.requests) >= 1)
        served.body = rss2([issue(2), issue(1)])
        await _eventually(lambda: bot.announcer.titles() == ["Issue #2: Monthly links"])
    finally:
        await bot.watcher.stop()
        await asyncio.wait_for(task, 5)


async def test_a_disconnected_platform_delays_neither_poll_nor_shutdown(
    server: FeedServer, make_bot: Callable[[list[str]], Bot]
) -> None:
    """Its announcements wait in the background, once per platform, and go out on connect."""
    served = server.serve("/feed", body=rss2([issue(1)]))
    bot = make_bot([server.url("/feed")])
    bot.announcer.channels = ("general", "news", "random")  # three channels owed on one platform
    bot.announcer.connected.clear()
    await bot.start()
    await bot.poll()
    served.body = rss2([issue(2), issue(1)])
    result = await asyncio.wait_for(bot.poll(), 5)  # it used to wait 30 s per owed channel
    assert result.summary == "announced 1 new issue"
    assert "New issue: Issue #2" in bot.console.getvalue()  # the connected console got it
    assert bot.announcer.posts == []
    assert (await asyncio.wait_for(bot.poll(), 5)).summary == "unchanged since the last check"

    bot.announcer.connected.set()
    await _eventually(lambda: len(bot.announcer.posts) == 3)
    assert {channel for channel, _ in bot.announcer.posts} == {"general", "news", "random"}


async def test_shutdown_does_not_wait_for_a_platform_that_never_connects(
    server: FeedServer, make_bot: Callable[[list[str]], Bot]
) -> None:
    served = server.serve("/feed", body=rss2([issue(1)]))
    bot = make_bot([server.url("/feed")])
    bot.announcer.connected.clear()
    await bot.start()
    await bot.poll()
    served.body = rss2([issue(2), issue(1)])
    await bot.poll()
    await asyncio.wait_for(bot.app.shut_down(), 5)
    assert bot.announcer.posts == []
    assert [task for task in asyncio.all_tasks() if "announce when" in task.get_name()] == []


async def _eventually(condition: Callable[[], bool], within: float = 5.0) -> None:
    """Wait for a condition that other tasks make true (polling: they signal nothing)."""
    async with asyncio.timeout(within):
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.01)


async def test_a_channel_that_keeps_failing_is_logged_once(
    server: FeedServer,
    make_bot: Callable[[list[str]], Bot],
    caplog: pytest.LogCaptureFixture,
) -> None:
    served = server.serve("/feed", body=rss2([issue(1)]))
    bot = make_bot([server.url("/feed")])
    bot.announcer.failing_channels = {"general"}
    await bot.start()
    await bot.poll()
    served.body = rss2([issue(2), issue(1)])
    with caplog.at_level(logging.WARNING, logger="bot.announcing"):
        for _ in range(3):
            await bot.poll()
    warnings = [r for r in caplog.records if "Could not announce" in r.getMessage()]
    assert len(warnings) == 1
    assert "PostRefused: Missing Access to general" in warnings[0].getMessage()


async def test_an_ipv6_or_private_link_never_breaks_a_feed(
    server: FeedServer, make_bot: Callable[[list[str]], Bot]
) -> None:
    served = server.serve("/feed", body=rss2([issue(1)]))
    bot = make_bot([server.url("/feed")])
    await bot.start()
    await bot.poll()
    odd = [
        Item("Issue #3: over IPv6", "https://[2606:4700:4700::1111]/3", guid="nl-3"),
        Item("Issue #2: private", "http://10.0.0.1/2", guid="nl-2"),
        issue(1),
    ]
    served.body = rss2(odd)
    assert (await bot.poll()).summary == "announced 2 new issues"
    assert bot.announcer.titles() == ["Issue #2: private", "Issue #3: over IPv6"]
    served.body = rss2([*odd, issue(0)])
    assert (await bot.poll()).summary == "announced 1 new issue"


async def test_with_no_announce_channel_poll_says_nothing_was_posted(
    server: FeedServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    served = server.serve("/feed", body=rss2([issue(1)]))
    settings = Settings(
        link_previews=False,
        database_path=tmp_path / "bot.sqlite3",
        feed_urls=(server.url("/feed"),),
        discord=DiscordSettings(token="abc.def"),  # configured, not connected, no channels
    )
    async with built(settings) as app:
        assert "no announce channel is" in caplog.text
        assert app.watcher is not None
        await app.watcher.poll_now(CURATOR)
        served.body = rss2([issue(2), issue(1)])
        [result] = await app.watcher.poll_now(CURATOR)
        assert result.summary == (
            "found 1 new issue, but no announce channel is configured, so nothing was posted "
            "anywhere"
        )
