"""How many card edits a burst of votes costs with the card service's debounced refresh.

Run: .venv/bin/python -m bench.bench_cards   (figures, not pass/fail)
A burst of reactions on one card should become a handful of edits, the last one showing the true
count, instead of one edit (and one rate-limit bucket hit) per reaction.
"""

from __future__ import annotations

import asyncio
import io
import tempfile
import time
from pathlib import Path

from bot.app import Tuning, built
from bot.models import CardRef, Member, Tally
from bot.settings import Settings


class CountingPlatform:
    """A platform whose cards only count the edits made to them."""

    name = "bench"
    place = "the bench"

    def __init__(self) -> None:
        self.edits: list[int] = []

    async def post_card(self, channel_id: str, tally: Tally) -> CardRef:
        return CardRef(self.name, channel_id, "card")

    async def edit_card(self, card: CardRef, tally: Tally, *, closed: bool) -> None:
        self.edits.append(tally.votes)

    async def card_link(self, card: CardRef) -> str:
        return "bench://card"

    async def reactors(self, card: CardRef) -> list[Member]:
        return []


async def burst(voters: int, spread_seconds: float, interval: float) -> None:
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(database_path=Path(folder) / "bench.sqlite3")
        tuning = Tuning(card_refresh_seconds=interval)
        async with built(settings, stdout=io.StringIO(), tuning=tuning) as app:
            platform = CountingPlatform()
            app.cards.add_platform(platform)
            author = Member("bench", "author", "Author")
            await app.cards.suggest(author, "https://example.com/a", "", channel_id="channel")
            card = CardRef("bench", "channel", "card")

            started = time.perf_counter()
            for n in range(voters):
                await app.ballot.vote_on_card(card, Member("bench", str(n), f"m{n}"))
                await asyncio.sleep(spread_seconds / voters)
            await asyncio.sleep(interval * 1.5)  # let the last debounced edit land
            await app.cards.flush()
            elapsed = time.perf_counter() - started
            edits = platform.edits
            print(
                f"{voters} votes over {spread_seconds:.1f} s, edits at most every {interval:g} s: "
                f"{len(edits)} edits (the last shows {edits[-1]}), {elapsed:.1f} s in all"
            )


async def main() -> None:
    await burst(voters=200, spread_seconds=2.0, interval=0.5)
    await burst(voters=1000, spread_seconds=4.0, interval=1.0)


if __name__ == "__main__":
    asyncio.run(main())
