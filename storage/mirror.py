"""A cycle's live tallies kept in memory, so that the full shortlist of a large cycle is a sort
in memory rather than a read of every row. Storage is the only writer while the bot runs (one
bot per database), and every write it makes to that cycle updates the mirror; changes made while
it is first being read are replayed onto it."""

from __future__ import annotations

import asyncio
import heapq
from collections.abc import Awaitable, Callable
from dataclasses import replace

from bot.models import Tally

Change = Callable[[dict[int, Tally]], None]
RUN = 5_000


class CycleMirror:
    def __init__(self) -> None:
        self.cycle_id: int | None = None
        self._tallies: dict[int, Tally] | None = None
        self._loading: list[Change] | None = None  # changes seen while the first read runs

    async def ranked(
        self, cycle_id: int, read: Callable[[], Awaitable[list[Tally]]]
    ) -> list[Tally]:
        """Every live suggestion of the cycle, most votes first, the earlier among equals."""
        if self.cycle_id != cycle_id or self._tallies is None:
            await self._load(cycle_id, read)
        assert self._tallies is not None
        tallies = list(self._tallies.values())
        if len(tallies) < 2_000:
            return _sorted(tallies)
        return await asyncio.to_thread(_sorted, tallies)  # a Python key: the loop keeps turns

    async def _load(self, cycle_id: int, read: Callable[[], Awaitable[list[Tally]]]) -> None:
        self.cycle_id, self._tallies, self._loading = cycle_id, None, []
        tallies = {tally.suggestion.id: tally for tally in await read()}
        if self.cycle_id != cycle_id:
            return  # dropped meanwhile
        for change in self._loading or ():
            change(tallies)
        self._tallies, self._loading = tallies, None

    def _apply(self, cycle_id: int | None, change: Change) -> None:
        """Apply a change to the mirrored cycle (`cycle_id` None: whichever it is; a change to
        a suggestion it doesn't hold does nothing)."""
        if cycle_id is not None and cycle_id != self.cycle_id:
            return
        if self._loading is not None:
            self._loading.append(change)
        elif self._tallies is not None:
            change(self._tallies)

    def put(self, tally: Tally) -> None:
        self._apply(tally.suggestion.cycle_id, lambda t: t.__setitem__(tally.suggestion.id, tally))

    def drop(self, suggestion_id: int) -> None:
        def change(tallies: dict[int, Tally]) -> None:
            tallies.pop(suggestion_id, None)

        self._apply(None, change)

    def change(self, suggestion_id: int, **shown: str) -> None:
        """The suggestion shown differently (`url`, `note`, `title`, `description`)."""
        unknown = set(shown) - {"url", "note", "title", "description"}
        if unknown:
            raise TypeError(f"not a shown field of a suggestion: {unknown}")

        def change(tallies: dict[int, Tally]) -> None:
            if suggestion_id in tallies:
                old = tallies[suggestion_id].suggestion
                new = replace(old, **shown)  # type: ignore[arg-type]
                tallies[suggestion_id] = replace(tallies[suggestion_id], suggestion=new)

        self._apply(None, change)

    def forget(self) -> None:
        self.cycle_id, self._tallies, self._loading = None, None, None


NUMBERS = 1 << 32  # above any suggestion number (an INTEGER column)


def _rank(tally: Tally) -> int:
    """Most votes first, the earlier suggestion among equals, as one int: an int isn't tracked
    by the garbage collector, a tuple is, and the 100,000 keys of a long sort made as tuples
    started collections that held the event loop for 10-20 ms."""
    return -tally.votes * NUMBERS + tally.suggestion.number


def _sorted(tallies: list[Tally]) -> list[Tally]:
    """Sorted in runs of a few thousand merged in Python: a single C-level sort of 100,000 would
    hold the GIL (and so the event loop) for its whole length."""
    runs = [sorted(tallies[i : i + RUN], key=_rank) for i in range(0, len(tallies), RUN)]
    return runs[0] if len(runs) == 1 else list(heapq.merge(*runs, key=_rank))
