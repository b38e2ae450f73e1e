"""Keeping each platform's cards true without tripping rate limits.

A burst of reactions becomes at most one edit per card per `interval`, and the last edit always
shows the count as it stands then: the tally is read when the edit is made, not when it was asked
for. When a cycle closes, its cards are edited once more to say voting is over.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from bot.ballot import Ballot
from bot.models import CardRef, Rollover, Suggestion, Tally

log = logging.getLogger(__name__)

# (card, tally, closed): closed cards say voting is over.
EditCard = Callable[[CardRef, Tally, bool], Awaitable[None]]


class CardRefresher:
    """Edits one platform's cards after tally changes (debounced per card) and rollovers."""

    def __init__(
        self,
        ballot: Ballot,
        platform: str,
        edit: EditCard,
        *,
        interval: float = 10.0,
    ) -> None:
        self._ballot = ballot
        self._platform = platform
        self._edit = edit
        self._interval = interval
        self._pending: dict[CardRef, asyncio.Task[None]] = {}
        self._last_edit: dict[CardRef, float] = {}
        self._closing: set[asyncio.Task[None]] = set()
        self._flushing = asyncio.Event()  # set at shutdown: waiting edits go at once
        ballot.on_tally_changed(self.tally_changed)
        ballot.on_rollover(self.cycle_closed)

    async def tally_changed(self, tally: Tally) -> None:
        for card in await self._ballot.cards_of(tally.suggestion):
            if card.platform == self._platform and card not in self._pending:
                self._pending[card] = asyncio.create_task(
                    self._edit_later(card, tally.suggestion), name=f"refresh card {card}"
                )

    async def cycle_closed(self, rollover: Rollover) -> None:
        """Mark the closed cycle's cards, in the background: a rollover must not wait on edits."""
        task = asyncio.create_task(
            self._close_cards(rollover), name=f"refresh card: close cycle {rollover.closed.id}"
        )
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def flush(self) -> None:
        """Make every pending edit now (at shutdown), so no card is left showing a stale count."""
        self._flushing.set()
        await asyncio.gather(*self._pending.values(), *self._closing, return_exceptions=True)

    async def _edit_later(self, card: CardRef, suggestion: Suggestion) -> None:
        loop = asyncio.get_running_loop()
        try:
            wait = self._last_edit.get(card, float("-inf")) + self._interval - loop.time()
            if wait > 0 and not self._flushing.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._flushing.wait(), wait)
        finally:
            del self._pending[card]  # a change from here on schedules the next edit
        self._last_edit[card] = loop.time()
        await self._safely(card, await self._ballot.tally(suggestion), closed=False)

    async def _close_cards(self, rollover: Rollover) -> None:
        for card, suggestion in await self._ballot.cycle_cards(rollover.closed, self._platform):
            await self._safely(card, await self._ballot.tally(suggestion), closed=True)

    async def _safely(self, card: CardRef, tally: Tally, *, closed: bool) -> None:
        try:
            await self._edit(card, tally, closed)
        except Exception:
            log.warning("Could not refresh the card %s", card, exc_info=True)
