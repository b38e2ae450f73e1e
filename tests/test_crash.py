"""Exactly once under SIGKILL: the real `python -m bot`, killed at random points around
announcement delivery (including right after the platform accepted the post) and during a burst
of votes, then restarted, against the local fakes of Discord and Slack.

The default suite runs a handful of runs per platform; `pytest -m long` runs 50 each (CI does).
Every run prints its seed: `SHORTLIST_CRASH_SEED=<seed>` replays it.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import random
import signal
import sqlite3
import sys
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.cogs.test_both_platforms_e2e import slack_settings
from tests.cogs.test_discord_e2e import settings as discord_settings
from tests.fake_discord import (
    ANNOUNCE_ID,
    SUGGESTIONS_ID,
    FakeDiscordAPI,
    fake_discord_server,
    member,
    option,
    reaction,
    slash,
)
from tests.fake_slack import ANNOUNCE, fake_slack
from tests.feeds import issue, rss2
from tests.process import bot_environment
from tests.waiting import eventually

SHORT_RUNS = 4
LONG_RUNS = 50


@dataclass
class Platform:
    """One platform's fake, seen the same way for both: how to connect, what was announced."""

    name: str
    environ: dict[str, str]
    connected: Callable[[], bool]
    reset_connected: Callable[[], None]
    is_announcement_post: Callable[[Any], bool]
    announcements: Callable[[], list[str]]  # the title of every announcement message posted
    set_after_accept: Callable[[Callable[[Any], Any] | None], None]
    server: Any = None  # Discord: the fake gateway and REST API, to act as members do
    api: Any = None


@contextlib.asynccontextmanager
async def platform(name: str) -> AsyncIterator[Platform]:
    if name == "discord":
        api = FakeDiscordAPI()
        async with fake_discord_server(api) as server:

            def titles() -> list[str]:
                return [
                    embed["title"]
                    for message in api.channel_messages(str(ANNOUNCE_ID))
                    for embed in message["embeds"]
                ]

            def set_hook(hook: Callable[[Any], Any] | None) -> None:
                server.after_accept = hook

            yield Platform(
                name,
                {**discord_settings(server), "DISCORD_ANNOUNCE_CHANNEL_IDS": str(ANNOUNCE_ID)},
                server.identified.is_set,
                server.identified.clear,
                lambda call: (
                    call.method == "POST"
                    and call.path.endswith(f"/channels/{ANNOUNCE_ID}/messages")
                ),
                titles,
                set_hook,
                server,
                api,
            )
    else:
        async with fake_slack() as fake:

            def set_slack_hook(hook: Callable[[Any], Any] | None) -> None:
                fake.after_accept = hook

            yield Platform(
                name,
                {**slack_settings(fake), "LOG_LEVEL": "INFO"},
                fake.socket_connected.is_set,
                fake.socket_connected.clear,
                lambda call: (
                    call.method == "chat.postMessage" and call.args.get("channel") == ANNOUNCE
                ),
                lambda: [m["text"] for m in fake.channel_messages(ANNOUNCE)],
                set_slack_hook,
            )


class Bot:
    """The bot process, its output kept in files (a pipe nobody reads could block it)."""

    def __init__(self, workdir: Path, environ: Mapping[str, str]) -> None:
        self.workdir = workdir
        self.environ = bot_environment(workdir, environ)
        self.process: asyncio.subprocess.Process | None = None
        self.starts = 0

    async def start(self) -> asyncio.subprocess.Process:
        self.starts += 1
        log = (self.workdir / f"bot-{self.starts}.log").open("wb")
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            cwd=self.workdir,
            env=self.environ,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=log,
            stderr=log,
        )
        log.close()
        return self.process

    def kill(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.kill()

    async def stop(self) -> None:
        assert self.process is not None
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(self.process.wait(), 15) == 0, self.log()
        await self.process.wait()

    def log(self) -> str:
        return (self.workdir / f"bot-{self.starts}.log").read_text(errors="replace")


def database(workdir: Path) -> sqlite3.Connection:
    return sqlite3.connect(workdir / "bot.sqlite3", timeout=10)


def undelivered(workdir: Path) -> int:
    with contextlib.closing(database(workdir)) as db:
        try:
            return int(
                db.execute("SELECT COUNT(*) FROM deliveries WHERE delivered_at IS NULL").fetchone()[
                    0
                ]
            )
        except sqlite3.OperationalError:
            return -1  # not created yet


def entries(workdir: Path) -> int:
    with contextlib.closing(database(workdir)) as db:
        try:
            return int(db.execute("SELECT COUNT(*) FROM feed_entries").fetchone()[0])
        except sqlite3.OperationalError:
            return 0


def delivered_up_to(workdir: Path, newest: int) -> bool:
    return entries(workdir) == newest and undelivered(workdir) == 0


async def until(
    condition: Callable[[], bool], what: str, bot: Bot | None = None, within: float = 30.0
) -> None:
    """Wait for `condition`; on time-out, fail with the bot's log to see why."""
    log = None if bot is None else (lambda: "The bot's log:\n" + bot.log()[-4000:])
    await eventually(condition, within, what=what, context=log)


async def announce_through_crashes(name: str, runs: int, workdir: Path) -> None:
    seed = int(os.environ.get("SHORTLIST_CRASH_SEED", random.randrange(1 << 32)))
    print(f"{name} crash runs: SHORTLIST_CRASH_SEED={seed}")
    rng = random.Random(seed)
    feed = workdir / "feed.xml"
    feed.write_bytes(rss2([issue(1)]))
    async with platform(name) as fake:
        bot = Bot(workdir, {**fake.environ, "FEED_URLS": str(feed)})
        await bot.start()  # the first check records the backlog silently
        await until(lambda: fake.connected() and entries(workdir) == 1, "the first check", bot)
        await bot.stop()
        for run in range(1, runs + 1):
            newest = run + 1
            feed.write_bytes(rss2([issue(n) for n in range(newest, 0, -1)]))
            how = rng.choice(["after accept", "after accept", "at random", "not at all"])
            killed = asyncio.Event()

            async def kill_after_accept(call: Any, killed: asyncio.Event = killed) -> None:
                if fake.is_announcement_post(call) and not killed.is_set():
                    bot.kill()  # Slack or Discord has the post; the bot never hears so
                    killed.set()

            fake.set_after_accept(kill_after_accept if how == "after accept" else None)
            fake.reset_connected()
            await bot.start()
            if how == "at random":
                await until(fake.connected, "connected", bot)
                await asyncio.sleep(rng.uniform(0, 0.4))
                bot.kill()
            elif how == "after accept":
                await until(killed.is_set, "the announcement post", bot)
            if how != "not at all":
                assert bot.process is not None
                await bot.process.wait()
            fake.set_after_accept(None)

            if how != "not at all":
                fake.reset_connected()
                await bot.start()
            await until(fake.connected, "connected", bot)  # up, with its signal handlers
            await until(
                functools.partial(delivered_up_to, workdir, newest),
                f"run {run}: delivery ({how})",
                bot,
                # A Slack post cut short may still land: it is posted again only after
                # SlackFrontEnd.settles (35 s) once the bot is back, if it was not found.
                within=60.0,
            )
            await bot.stop()
            titles = fake.announcements()
            for n in range(2, newest + 1):
                count = sum(f"Issue #{n}:" in title for title in titles)
                assert count == 1, f"seed {seed}, run {run} ({how}): issue {n} posted {count}x"
            with contextlib.closing(database(workdir)) as db:
                assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


@pytest.mark.parametrize("name", ["discord", "slack"])
@pytest.mark.timeout(300)
async def test_announcements_survive_sigkill_exactly_once(name: str, tmp_path: Path) -> None:
    await announce_through_crashes(name, SHORT_RUNS, tmp_path)


@pytest.mark.long
@pytest.mark.parametrize("name", ["discord", "slack"])
@pytest.mark.timeout(1800)
async def test_announcements_survive_many_sigkills_exactly_once(name: str, tmp_path: Path) -> None:
    await announce_through_crashes(name, LONG_RUNS, tmp_path)


def stored_votes(workdir: Path) -> set[str]:
    with contextlib.closing(database(workdir)) as db:
        return {
            row[0] for row in db.execute("SELECT voter_id FROM votes WHERE platform = 'discord'")
        }


def stored_cards(workdir: Path) -> set[str]:
    with contextlib.closing(database(workdir)) as db:
        return {row[0] for row in db.execute("SELECT message_id FROM cards")}


async def votes_through_crashes(runs: int, workdir: Path) -> None:
    seed = int(os.environ.get("SHORTLIST_CRASH_SEED", random.randrange(1 << 32)))
    print(f"vote crash runs: SHORTLIST_CRASH_SEED={seed}")
    rng = random.Random(seed)
    api = FakeDiscordAPI()
    async with fake_discord_server(api) as server:
        bot = Bot(workdir, discord_settings(server))
        await bot.start()
        await until(server.identified.is_set, "connected", bot)
        posted = f"/channels/{SUGGESTIONS_ID}/messages"

        async def kill_after_the_card(call: Any) -> None:
            if call.method == "POST" and call.path == posted:
                bot.kill()  # Discord has the card; the bot never hears so

        server.after_accept = kill_after_the_card
        await server.dispatch(
            "INTERACTION_CREATE",
            slash("suggest", [option("url", "https://example.com/post")], invoker=member(11, "a")),
        )
        assert bot.process is not None
        await bot.process.wait()
        server.after_accept = None
        [post] = api.find("POST", posted)
        card = api.messages_by_call(post)["id"]
        early = member(999, "early")
        api.react(card, early["user"])  # a vote while the bot is down, on a card it never knew
        reacting = {early["user"]["id"]}
        server.identified.clear()
        await bot.start()
        await until(
            lambda: stored_cards(workdir) == {card} and stored_votes(workdir) == reacting,
            "the card cut short by SIGKILL: found, and its vote counted",
            bot,
        )
        assert len(api.find("POST", posted)) == 1, "found again, not posted twice"
        for run in range(1, runs + 1):
            burst = [
                member(1000 + rng.randrange(60), f"m{run}") for _ in range(rng.randrange(5, 40))
            ]
            kill_at = rng.randrange(len(burst) + 1)
            for n, voter in enumerate(burst):
                if n == kill_at:
                    bot.kill()  # mid-burst: some reactions reach Discord but never the bot
                user_id = voter["user"]["id"]
                if user_id in reacting and rng.random() < 0.3:
                    api.unreact(card, int(user_id))
                    reacting.discard(user_id)
                    event = ("MESSAGE_REACTION_REMOVE", reaction(None, int(user_id), card))
                else:
                    api.react(card, voter["user"])
                    reacting.add(user_id)
                    event = ("MESSAGE_REACTION_ADD", reaction(voter, int(user_id), card))
                with contextlib.suppress(ConnectionError):
                    await server.dispatch(*event)
            if kill_at < len(burst):
                assert bot.process is not None
                await bot.process.wait()
            else:
                await bot.stop()
            server.identified.clear()
            await bot.start()
            await until(server.identified.is_set, "connected", bot)
            await until(
                lambda: stored_votes(workdir) == reacting, f"run {run}: recovered votes", bot
            )
        await bot.stop()
        with contextlib.closing(database(workdir)) as db:
            assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


@pytest.mark.timeout(300)
async def test_no_vote_whose_reaction_exists_is_lost_to_sigkill(tmp_path: Path) -> None:
    await votes_through_crashes(SHORT_RUNS, tmp_path)


@pytest.mark.long
@pytest.mark.timeout(1800)
async def test_no_vote_is_lost_to_many_sigkills(tmp_path: Path) -> None:
    await votes_through_crashes(LONG_RUNS, tmp_path)
