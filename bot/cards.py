"""Keeping the vote count on each platform's cards true without tripping rate limits.

A burst of reactions becomes at most one edit per card per `interval`, and the last edit always
shows the count as it stands then: the tally is read when the edit is made, not when it was asked
for.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from bot.ballot import Ballot
from bot.models import CardRef, Suggestion, Tally

log = logging.getLogger(__name__)

EditCard = Callable[[CardRef, Tally], Awaitable[None]]


class CardRefresher:
    """Edits one platform's cards after tally changes, debounced per card."""

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
        ballot.on_tally_changed(self.tally_changed)

    async def tally_changed(self, tally: Tally) -> None:
        for card in await self._ballot.cards_of(tally.suggestion):
            if card.platform == self._platform and card not in self._pending:
                self._pending[card] = asyncio.create_task(
                    self._edit_later(card, tally.suggestion), name=f"refresh card {card}"
                )

    async def flush(self) -> None:
        """Make every pending edit now (at shutdown), so no card is left showing a stale count."""
        self._interval = 0
        self._last_edit.clear()
        pending = list(self._pending.values())
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    async def _edit_later(self, card: CardRef, suggestion: Suggestion) -> None:
        loop = asyncio.get_running_loop()
        try:
            wait = self._last_edit.get(card, float("-inf")) + self._interval - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
        except asyncio.CancelledError:
            pass  # flushing: edit now rather than never
        finally:
            del self._pending[card]  # a change from here on schedules the next edit
        self._last_edit[card] = loop.time()
        try:
            await self._edit(card, await self._ballot.tally(suggestion))
        except Exception:
            log.warning("Could not refresh the card %s", card, exc_info=True)
