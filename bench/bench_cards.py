"""How many card edits a burst of votes costs with the debounced CardRefresher.

Run: .venv/bin/python -m bench.bench_cards   (figures, not pass/fail)
A burst of reactions on one card should become a handful of edits, the last one showing the true
count, instead of one edit (and one rate-limit bucket hit) per reaction.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

from bot.ballot import Ballot
from bot.cards import CardRefresher
from bot.models import CardRef, Member, Tally
from storage import Database, SqliteBallotStore


async def burst(voters: int, spread_seconds: float, interval: float) -> None:
    with tempfile.TemporaryDirectory() as folder:
        database = await Database.open(Path(folder) / "bench.sqlite3")
        ballot = Ballot(SqliteBallotStore(database), suggestions_per_member=5)
        edits: list[int] = []

        async def edit(card: CardRef, tally: Tally, closed: bool) -> None:
            edits.append(tally.votes)

        refresher = CardRefresher(ballot, "bench", edit, interval=interval)
        author = Member("bench", "author", "Author")
        suggestion = (await ballot.suggest(author, "https://example.com/a")).suggestion
        card = CardRef("bench", "channel", "message")
        await ballot.attach_card(suggestion, card)

        started = time.perf_counter()
        for n in range(voters):
            await ballot.vote_on_card(card, Member("bench", str(n), f"m{n}"))
            await asyncio.sleep(spread_seconds / voters)
        await asyncio.sleep(interval * 1.5)  # let the last debounced edit land
        await refresher.flush()
        elapsed = time.perf_counter() - started
        print(
            f"{voters} votes over {spread_seconds:.1f} s, edits at most every {interval:g} s: "
            f"{len(edits)} edits (the last shows {edits[-1]}), {elapsed:.1f} s in all"
        )
        await database.close()


async def main() -> None:
    await burst(voters=200, spread_seconds=2.0, interval=0.5)
    await burst(voters=1000, spread_seconds=4.0, interval=1.0)


if __name__ == "__main__":
    asyncio.run(main())
