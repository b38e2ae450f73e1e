"""An announcement found in flight (its process crashed, or lost the lead, mid-post) on the real
front ends against the local fakes: it is looked for among everything posted since it started,
page by page, and only once its request can no longer land; never posted twice."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import App
from bot.models import Announcement, FeedEntry
from storage import SqlFeedStore
from tests.cogs.discord_harness import DiscordHarness
from tests.cogs.slack_harness import SlackHarness
from tests.fake_discord import ANNOUNCE_ID, FakeDiscordAPI, member
from tests.fake_slack import ANNOUNCE, FakeSlack, fake_slack


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    async with fake_slack() as running:
        running.add_user("U0ALICE", "Alice")
        yield running


async def _in_flight(app: App, platform: str, channel: str, started: timedelta) -> Announcement:
    """An issue owed to `channel`, whose post started `started` ago."""
    feeds = SqlFeedStore(app.database)
    feed = await feeds.add_feed("https://news.example.com/feed")
    now = datetime.now(UTC)
    entry = FeedEntry("1", "Issue 1", "https://news.example.com/1", now, "Ten links", (), ())
    entry_id = await feeds.record_entry(
        feed.id, entry, announced=True, targets=[(platform, channel)], now=now
    )
    await feeds.start_delivery(entry_id, platform, channel, now - started)
    [delivery] = await app.announcer.owed()
    return delivery.announcement


async def test_discord_finds_a_post_behind_more_than_a_page_of_messages(
    tmp_path: Path, api: FakeDiscordAPI
) -> None:
    harness = DiscordHarness(tmp_path / "bot.sqlite3", api)
    await harness.start()
    try:
        announcement = await _in_flight(
            harness.app, "discord", str(ANNOUNCE_ID), timedelta(minutes=5)
        )
        await harness.front.announce(str(ANNOUNCE_ID), announcement, "shortlist-issue-1")
        chatter = member(40, "chatty")["user"]
        for n in range(120):  # members talk while the bot is down: the post is two pages back
            api._message(str(ANNOUNCE_ID), {"content": f"hello {n}"}, author=chatter)
        await harness.app.announcer.deliver()
        posts = api.find("POST", f"/channels/{ANNOUNCE_ID}/messages")
        assert len(posts) == 1  # found, not posted again
        assert await harness.app.announcer.owed() == []
    finally:
        await harness.stop()


async def test_slack_waits_for_a_slow_post_before_looking(tmp_path: Path, fake: FakeSlack) -> None:
    harness = SlackHarness(tmp_path / "bot.sqlite3", fake)
    await harness.start()
    try:
        app = harness.app
        announcement = await _in_flight(app, "slack", ANNOUNCE, timedelta(seconds=10))
        await app.announcer.deliver()  # not there yet, but Slack may still be accepting it
        assert fake.find("chat.postMessage") == []
        assert len(fake.find("conversations.history")) == 1
        assert len(await app.announcer.owed()) == 1

        await harness.front.announce(ANNOUNCE, announcement, "shortlist-issue-1")  # it lands
        for n in range(250):  # and a busy channel moves on: more than a page of history
            fake.messages[(ANNOUNCE, f"{datetime.now(UTC).timestamp():.0f}.{n + 500000:06d}")] = {
                "type": "message",
                "user": "U0ALICE",
                "ts": f"{datetime.now(UTC).timestamp():.0f}.{n + 500000:06d}",
                "text": f"hello {n}",
            }
        await app.database.execute(
            "UPDATE deliveries SET started_at = ?", (datetime.now(UTC) - timedelta(minutes=2),)
        )
        await app.announcer.deliver()
        assert len(fake.find("chat.postMessage")) == 1  # found, not posted again
        assert len(fake.find("conversations.history")) == 3  # then two pages
        assert await app.announcer.owed() == []
    finally:
        await harness.stop()
