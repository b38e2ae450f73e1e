"""Votes at the speed the platforms deliver them.

Discord: raw MESSAGE_REACTION_ADD payloads through discord.py's own parser table, the cog, the
core and into SQLite, against (a) discord.py parsing and dispatching the same payloads to an
empty listener and (b) plain aiosqlite single-row autocommit inserts; and the per-vote latency
of a 5,000-reaction burst. Slack: reaction_added events through the real Bolt app, against Bolt
dispatching the same events to an empty listener.
"""

from __future__ import annotations

import asyncio
import itertools
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiosqlite
import asyncpg
import discord

from bench.common import Figure, bench_app, database_settings, percentile
from bench.gateway import DurableClock, discord_bot, feed, reaction_payloads
from bot.app import App, Tuning
from bot.models import CardRef, Cast, Member
from bot.settings import DiscordSettings
from cogs.discord_bot import configure_library
from tests.fake_discord import (
    GUILD_ID,
    SUGGESTIONS_ID,
    TOKEN,
    FakeDiscordAPI,
    fake_discord_server,
    member,
    reaction,
)

CARDS = 50
REPEATS = 5
TUNING = Tuning(guild_ready_timeout=0.01)


async def discord_baseline(api_base: str, payloads: list[dict[str, Any]]) -> float:
    """discord.py parsing and dispatching the payloads to an empty listener: events/s."""
    intents = discord.Intents.none()
    intents.guilds = intents.guild_reactions = True
    client = discord.Client(intents=intents, guild_ready_timeout=0.01)

    heard = 0

    @client.event
    async def on_raw_reaction_add(payload: discord.RawReactionActionEvent) -> None:
        nonlocal heard
        heard += 1

    async def all_heard() -> bool:
        return heard == len(payloads)

    await discord_bot(api_base, client)
    try:
        elapsed = await feed(client, payloads, all_heard)
    finally:
        await client.close()
    return len(payloads) / elapsed


async def raw_baseline(count: int, store: str) -> tuple[float, str]:
    """Single-row autocommit inserts straight through the store's driver: inserts/s, and what."""
    if store == "sqlite":
        return await aiosqlite_baseline(count), "aiosqlite single-row autocommit INSERTs"
    async with database_settings(store) as where:
        connection = await asyncpg.connect(where["database_url"])
        try:
            await connection.execute(
                "CREATE TABLE votes (suggestion_id BIGINT, platform TEXT, voter_id TEXT,"
                " created_at TIMESTAMPTZ, PRIMARY KEY (suggestion_id, platform, voter_id))"
            )
            now = datetime.now(UTC)
            started = time.perf_counter()
            for n in range(count):
                await connection.execute(
                    "INSERT INTO votes VALUES ($1, 'discord', $2, $3) ON CONFLICT DO NOTHING",
                    n % CARDS,
                    str(n),
                    now,
                )
            elapsed = time.perf_counter() - started
        finally:
            await connection.close()
    return count / elapsed, "asyncpg single-row autocommit INSERTs"


async def aiosqlite_baseline(count: int) -> float:
    """Plain aiosqlite, one autocommit INSERT per vote, same pragmas as the bot: inserts/s."""
    with tempfile.TemporaryDirectory() as folder:
        connection = await aiosqlite.connect(Path(folder) / "raw.sqlite3", isolation_level=None)
        await connection.execute("PRAGMA journal_mode = WAL")
        await connection.execute("PRAGMA synchronous = NORMAL")
        await connection.execute(
            "CREATE TABLE votes (suggestion_id INTEGER, platform TEXT, voter_id TEXT,"
            " created_at TEXT, PRIMARY KEY (suggestion_id, platform, voter_id)) WITHOUT ROWID"
        )
        started = time.perf_counter()
        for n in range(count):
            await connection.execute(
                "INSERT INTO votes VALUES (?, 'discord', ?, '2026-11-30') ON CONFLICT DO NOTHING",
                (n % CARDS, str(n)),
            )
        elapsed = time.perf_counter() - started
        await connection.close()
    return count / elapsed


async def cards_for(app: App, authors: Callable[[int], Member], channel: str) -> list[str]:
    """Suggestions with a card each, posted through the core; the cards' message ids."""
    for n in range(CARDS):
        await app.cards.suggest(authors(n), f"https://example.com/{n}", "", channel_id=channel)
    rows = await app.database.fetch_all("SELECT message_id FROM cards ORDER BY message_id")
    return [row[0] for row in rows]


async def discord_figures(quick: bool, store: str = "sqlite") -> list[Figure]:
    count = 500 if quick else 5_000
    api = FakeDiscordAPI()
    async with fake_discord_server(api) as server:
        settings = DiscordSettings(
            token=TOKEN,
            guild_id=GUILD_ID,
            suggestions_channel_id=SUGGESTIONS_ID,
            api_base=server.api_base,
            gateway_url=server.gateway_url,
        )
        configure_library(settings)
        async with bench_app(store, TUNING, discord=settings) as app:
            assert app.discord is not None
            bot = app.discord.bot
            await discord_bot(server.api_base, bot)
            authors = lambda n: Member("discord", str(500 + n), f"author{n}")  # noqa: E731
            cards = await cards_for(app, authors, str(SUGGESTIONS_ID))
            warm = [reaction(member(9, "warm"), 9, card) for card in cards]
            await feed(bot, warm, lambda: _votes_at_least(app, len(cards)))
            await until_edited(lambda: len(api.find("PATCH", "/channels/")), len(cards))
            durable = DurableClock(app)
            pairs = []  # (baseline, ours), one right after the other: the machine's pace drifts
            for run in range(1 if quick else REPEATS):  # short runs: the median of a few
                payloads = reaction_payloads(count, cards, seed=run, first=10_000 + run * count)
                baseline = await discord_baseline(server.api_base, payloads)
                pairs.append((baseline, count / await durable.run(bot, payloads)))
            baseline, ours = sorted(pairs, key=lambda pair: pair[1] / pair[0])[len(pairs) // 2]
            core = await core_rate(app, cards, count)
            # the burst again, on fresh voters, timed per vote
            await durable.run(bot, reaction_payloads(count, cards, seed=99, first=900_000))
            stored = await app.database.fetch_one("SELECT COUNT(*) FROM votes")
            await app.shut_down()
    raw, raw_name = await raw_baseline(count, store)
    assert stored is not None
    assert stored[0] > 0
    p99 = percentile(durable.latencies, 0.99)
    return [
        Figure(
            "Discord votes: reaction payload to durable vote",
            ours,
            "votes/s",
            "≥ 0.5x",
            ours / baseline >= 0.5,
            baseline,
            "discord.py parse+dispatch, empty listener",
        ),
        Figure(  # the second row: "the same, against raw single-row inserts"
            "Discord votes against the driver's raw inserts (whole path, as above)",
            ours,
            "votes/s",
            "≥ 1.5x",
            ours / raw >= 1.5,
            raw,
            raw_name,
        ),
        Figure(
            "votes handed to the core at once, to durable (no platform parsing)",
            core,
            "votes/s",
            "",
            None,
            raw,
            raw_name,
        ),
        Figure(
            f"{count:,}-reaction burst on {CARDS} cards: p99 latency to durable",
            p99 * 1e3,
            "ms",
            "≤ 250 ms",
            p99 <= 0.250,
        ),
    ]


async def core_rate(app: App, cards: list[str], count: int) -> float:
    """Votes/s when reactions reach the core as fast as it can take them, the way the front
    ends hand them over (`ballot.reactions.take`), without the platform library's parsing."""
    casts = [
        Cast("discord", str(90_000 + n), True, card=CardRef("discord", str(SUGGESTIONS_ID), card))
        for n, card in zip(range(count), itertools.cycle(cards), strict=False)
    ]
    started = time.perf_counter()
    for cast in casts:
        app.ballot.reactions.take(cast)
    await app.ballot.reactions.settle()
    return count / (time.perf_counter() - started)


async def until_edited(edits: Callable[[], int], cards: int) -> None:
    """Until every card has had its first edit (the warm-up's): what is measured after it is
    the steady state, where a card is edited at most once per refresh interval."""
    async with asyncio.timeout(30):
        while edits() < cards:  # noqa: ASYNC110
            await asyncio.sleep(0.01)


async def _votes_at_least(app: App, count: int) -> bool:
    return await _votes(app) >= count


async def _votes(app: App) -> int:
    """Votes committed: the suggestions' totals, kept in the votes' own transactions (summing
    50 rows, where counting the votes table while it grows would load the machine measured)."""
    row = await app.database.fetch_one("SELECT COALESCE(SUM(votes), 0) FROM suggestions")
    return int(row[0]) if row else 0
