"""`/shortlist` at size: the top 10 of 10,000 suggestions with 200,000 votes, and the full list of
100,000 with 2,000,000, through the core on a real SQLite file."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime

from bench.common import Figure, StallMonitor, console_app, median, percentile
from bot.app import App
from bot.models import Member
from storage.batching import chunks
from storage.sql import insert_rows

CHUNK = 50_000  # rows per statement: each stays well inside the statement timeout
CURATOR = Member("bench", "curator", "Curator", is_curator=True)


async def populate(app: App, suggestions: int, votes: int, *, seed: int = 7) -> None:
    """A cycle of `suggestions` links and `votes` votes, written straight to the database."""
    rng = random.Random(seed)
    cycle = await app.ballot.current_cycle()
    created = datetime(2026, 11, 1, tzinfo=UTC)
    rows = [
        (cycle.id, n, f"//example.com/{n}", f"https://example.com/{n}", str(n), f"m{n}", created)
        for n in range(1, suggestions + 1)
    ]
    kinds = ("bigint", "integer", "text", "text", "text", "text", "timestamptz")
    platform = "'discord'"  # every author, as a constant column
    for part in chunks(rows, CHUNK):
        async with app.database.transaction() as transaction:
            await insert_rows(
                transaction,
                "INSERT INTO suggestions (cycle_id, number, link_key, url, author_id,"
                f" author_name, created_at, author_platform) SELECT *, {platform} FROM (",
                kinds,
                part,
                ") AS given",
            )
    row = await app.database.fetch_one("SELECT MIN(id) FROM suggestions")
    first = int(row[0]) if row else 1
    voters = max(votes // 20, 100)
    chosen: set[tuple[int, str, str]] = set()
    while len(chosen) < votes:  # popularity skewed toward some, as on a real ballot
        suggestion = first + int(suggestions * rng.random() ** 3)
        chosen.add((suggestion, rng.choice(("discord", "slack")), str(rng.randrange(voters))))
    for votes_part in chunks([(*vote, created) for vote in sorted(chosen)], CHUNK):
        async with app.database.transaction() as transaction:
            await insert_rows(
                transaction,
                "INSERT INTO votes (suggestion_id, platform, voter_id, created_at)",
                ("bigint", "text", "text", "timestamptz"),
                votes_part,
                "ON CONFLICT DO NOTHING",
            )


async def measure(
    store: str, suggestions: int, votes: int, limit: int | None, runs: int
) -> tuple[list[float], float]:
    async with console_app(store) as app:
        await populate(app, suggestions, votes)
        await app.ballot.shortlist(CURATOR, limit=limit)  # warm the page cache
        timings = []
        async with StallMonitor() as stall:
            for _ in range(runs):
                started = time.perf_counter()
                shortlist = await app.ballot.shortlist(CURATOR, limit=limit)
                timings.append(time.perf_counter() - started)
        assert shortlist.total == suggestions
        return timings, stall.worst


async def figures(quick: bool = False, store: str = "sqlite") -> list[Figure]:
    small, big = (200, 4_000), (2_000, 40_000)
    if not quick:
        small, big = (10_000, 200_000), (100_000, 2_000_000)
    top, top_stall = await measure(store, *small, limit=10, runs=10 if quick else 200)
    full, full_stall = await measure(store, *big, limit=None, runs=2 if quick else 10)
    size = f"{small[0]:,} suggestions / {small[1]:,} votes"
    big_size = f"{big[0]:,} / {big[1]:,}"
    return [
        Figure(
            f"/shortlist limit 10, {size}: p50",
            median(top) * 1e3,
            "ms",
            "≤ 10 ms",
            median(top) <= 0.010,
        ),
        Figure(
            f"/shortlist limit 10, {size}: p99",
            percentile(top, 0.99) * 1e3,
            "ms",
            "≤ 30 ms",
            percentile(top, 0.99) <= 0.030,
        ),
        Figure(
            "/shortlist limit 10: event-loop stall",
            top_stall * 1e3,
            "ms",
            "≤ 5 ms",
            top_stall <= 0.005,
        ),
        Figure(
            f"/shortlist full list, {big_size}: p50",
            median(full) * 1e3,
            "ms",
            "≤ 300 ms",
            median(full) <= 0.300,
        ),
        Figure(
            "/shortlist full list: event-loop stall",
            full_stall * 1e3,
            "ms",
            "≤ 20 ms",
            full_stall <= 0.020,
        ),
    ]
