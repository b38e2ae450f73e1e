"""`/suggest` under load: many members suggesting at once, through the core (link rules,
limits, the store), each timed from call to durable suggestion."""

from __future__ import annotations

import asyncio
import time

from bench.common import Figure, console_app, percentile
from bot.models import Member


async def at_once(members: int, store: str) -> list[float]:
    async with console_app(store) as app:
        await app.ballot.suggest(Member("bench", "warm", "Warm"), "https://example.com/warm")

        async def one(n: int) -> float:
            started = time.perf_counter()
            member = Member("discord", str(n), f"member{n}")
            await app.ballot.suggest(member, f"https://news.example.com/{n}?utm_source=x", "why")
            return time.perf_counter() - started

        return list(await asyncio.gather(*(one(n) for n in range(members))))


async def figures(quick: bool = False, store: str = "sqlite") -> list[Figure]:
    found = []
    for members, target in ((100, 0.020), (1_000, 0.100)):
        members = members // 10 if quick else members
        p99 = percentile(await at_once(members, store), 0.99)
        found.append(
            Figure(
                f"/suggest, {members:,} members at once: p99",
                p99 * 1e3,
                "ms",
                f"≤ {target * 1e3:.0f} ms",
                p99 <= target,
            )
        )
    return found
