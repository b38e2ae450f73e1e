"""Hot standby on PostgreSQL: two real `python -m bot` processes on one DATABASE_URL, against the
local fakes. The active one is SIGKILLed right after the platform accepted an announcement; the
standby must take over within 15 s, announce nothing twice and miss nothing, and (on Discord)
count a vote that was cast while no bot was active."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from tests.fake_discord import SUGGESTIONS_ID, member, option, slash
from tests.feeds import issue, rss2
from tests.process import read_until, start_bot
from tests.test_crash import Bot, platform, until

TAKEOVER_SECONDS = 15


async def count(url: str, sql: str) -> int:
    connection = await asyncpg.connect(url)
    try:
        return int(await connection.fetchval(sql) or 0)
    except asyncpg.UndefinedTableError:
        return 0
    finally:
        await connection.close()


class Watch:
    """The database's state, polled for `until` (which wants a plain condition)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.entries = 0
        self.undelivered = -1
        self.votes = 0

    async def poll(self) -> None:
        while True:
            self.entries = await count(self.url, "SELECT COUNT(*) FROM feed_entries")
            self.undelivered = await count(
                self.url, "SELECT COUNT(*) FROM deliveries WHERE delivered_at IS NULL"
            )
            self.votes = await count(self.url, "SELECT COUNT(*) FROM votes")
            await asyncio.sleep(0.05)


@pytest.mark.parametrize("name", ["discord", "slack"])
@pytest.mark.timeout(120)
async def test_the_standby_takes_over_when_the_active_bot_is_killed(
    name: str, postgres_url: str, tmp_path: Path
) -> None:
    feed = tmp_path / "feed.xml"
    feed.write_bytes(rss2([issue(1)]))
    watch = Watch(postgres_url)
    polling = asyncio.create_task(watch.poll())
    async with platform(name) as fake:
        environ = {
            **fake.environ,
            "FEED_URLS": str(feed),
            "FEED_POLL_SECONDS": "10",
            "DATABASE_URL": postgres_url,
        }
        (tmp_path / "a").mkdir()
        (tmp_path / "b").mkdir()
        third = tmp_path / "c"
        third.mkdir()
        active, standby = Bot(tmp_path / "a", environ), Bot(tmp_path / "b", environ)
        try:
            await active.start()
            await until(lambda: fake.connected() and watch.entries == 1, "first check", active)
            fake.reset_connected()
            await standby.start()
            await until(lambda: "Standing by" in standby.log(), "standing by", standby)
            assert "pid" in standby.log()  # it says whom it waits for
            assert not fake.connected()  # and stays off the platform meanwhile

            killed_at = 0.0

            async def kill_after_accept(call: Any) -> None:
                nonlocal killed_at
                if fake.is_announcement_post(call) and not killed_at:
                    active.kill()  # the platform has the post; the active bot never hears so
                    killed_at = time.monotonic()

            fake.set_after_accept(kill_after_accept)
            feed.write_bytes(rss2([issue(3), issue(2), issue(1)]))
            await until(lambda: bool(killed_at), "the announcement post", active)
            await until(fake.connected, "the standby connected", standby, TAKEOVER_SECONDS)
            took = time.monotonic() - killed_at
            await until(lambda: watch.entries == 3 and watch.undelivered == 0, "delivered", standby)
            if name == "discord":
                await a_vote_cast_between_bots_is_counted(fake, standby, Bot(third, environ), watch)
            await standby.stop()
        finally:
            for bot in (active, standby):
                bot.kill()
            polling.cancel()
    titles = fake.announcements()
    for n in (2, 3):
        assert sum(f"Issue #{n}:" in title for title in titles) == 1, titles
    assert "Taking over" in standby.log()
    print(f"{name}: the standby took over {took:.1f} s after the SIGKILL")


async def a_vote_cast_between_bots_is_counted(
    fake: Any, active: Bot, standby: Bot, watch: Watch
) -> None:
    """A card posted by the active bot; a member reacts while no bot is active at all."""
    server, api = fake.server, fake.api
    await server.dispatch(
        "INTERACTION_CREATE",
        slash("suggest", [option("url", "https://example.com/post")], invoker=member(11, "al")),
    )
    posted = f"/channels/{SUGGESTIONS_ID}/messages"
    await until(lambda: bool(api.find("POST", posted)), "card", active)
    [post] = api.find("POST", posted)
    try:
        await standby.start()
        await until(lambda: "Standing by" in standby.log(), "standing by", standby)
        fake.reset_connected()
        active.kill()
        assert active.process is not None
        await active.process.wait()
        api.react(api.messages_by_call(post)["id"], member(77, "late voter")["user"])
        await until(fake.connected, "the second standby connected", standby, TAKEOVER_SECONDS)
        await until(lambda: watch.votes == 1, "the late vote recovered", standby)
        await standby.stop()
    finally:
        standby.kill()


async def test_a_waiting_standby_stops_at_once(postgres_url: str, tmp_path: Path) -> None:
    environ = {"DATABASE_URL": postgres_url}
    active, standby = tmp_path / "a", tmp_path / "b"
    active.mkdir()
    standby.mkdir()
    processes: list[asyncio.subprocess.Process] = []
    try:
        first = await start_bot(active, environ)
        processes.append(first)
        assert first.stdout is not None
        await read_until(first.stdout, "console mode")  # active before the second starts
        second = await start_bot(standby, environ)
        processes.append(second)
        assert second.stderr is not None
        await read_until(second.stderr, "Standing by")
        second.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(second.wait(), 5) == 0
    finally:
        for process in processes:
            if process.returncode is None:
                process.kill()
                await process.wait()
