"""How fast the core takes suggestions and votes on a real SQLite file, and canonicalises links.

Run: .venv/bin/python -m bench.bench_ballot   (figures, not pass/fail)
"""

from __future__ import annotations

import asyncio
import io
import tempfile
import time
from pathlib import Path

from bot.app import built
from bot.ballot import Ballot
from bot.models import Member
from bot.settings import Settings
from bot.urls import canonical_url

LINKS = [
    "https://www.example.com/posts/{n}/?utm_source=newsletter&utm_medium=email&id={n}#top",
    "https://arxiv.org/pdf/2401.{n:05d}v2",
    "https://youtu.be/video{n:06d}?si=share",
    "https://twitter.com/someone/status/{n}?s=20",
]


def bench_canonicalisation(rounds: int = 20_000) -> None:
    links = [LINKS[n % len(LINKS)].format(n=n) for n in range(rounds)]
    started = time.perf_counter()
    for link in links:
        canonical_url(link)
    elapsed = time.perf_counter() - started
    print(f"canonical_url: {rounds / elapsed:,.0f} links/s ({elapsed / rounds * 1e6:.1f} µs each)")


async def bench_ballot(suggestions: int = 500, voters: int = 20) -> None:
    """Through the ballot `build` wires (curators have no suggestion limit)."""
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(database_path=Path(folder) / "bench.sqlite3")
        async with built(settings, stdout=io.StringIO()) as app:
            await _bench_ballot(app.ballot, suggestions, voters)


async def _bench_ballot(ballot: Ballot, suggestions: int, voters: int) -> None:
    curator = Member("bench", "curator", "Curator", is_curator=True)

    started = time.perf_counter()
    for n in range(suggestions):
        await ballot.suggest(curator, f"https://example.com/{n}", "note")
    elapsed = time.perf_counter() - started
    print(f"suggest: {suggestions / elapsed:,.0f}/s ({elapsed / suggestions * 1e3:.2f} ms each)")

    members = [Member("bench", str(v), f"m{v}") for v in range(voters)]
    started = time.perf_counter()
    votes = 0
    for n in range(1, suggestions + 1, 5):
        for member in members:
            await ballot.vote(member, n)
            votes += 1
    elapsed = time.perf_counter() - started
    print(f"vote: {votes / elapsed:,.0f}/s ({elapsed / votes * 1e3:.2f} ms each)")

    started = time.perf_counter()
    shortlist = await ballot.shortlist(curator)
    elapsed = time.perf_counter() - started
    print(f"shortlist of {shortlist.total} suggestions, {votes} votes: {elapsed * 1e3:.1f} ms")


if __name__ == "__main__":
    bench_canonicalisation()
    asyncio.run(bench_ballot())
