"""Keeping cards true: a burst of reactions becomes at most one edit per card per `interval`,
and the last edit always shows the count as it stands then (the tally is read when the edit is
made, not when it was asked for); closing a cycle marks its cards, paced for each platform's rate
limit; at shutdown every waiting edit is made at once."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine, Mapping
from typing import Any

from bot.ballot import Ballot
from bot.models import CardRef, Rollover, Suggestion, Tally
from bot.ports import CardPlatform, CardStore

log = logging.getLogger(__name__)


class CardEdits:
    """The edits of every card, for `bot.cards.CardService` (which posts and recovers them)."""

    def __init__(
        self,
        ballot: Ballot,
        store: CardStore,
        platforms: Mapping[str, CardPlatform],
        interval: float,
    ) -> None:
        self._ballot = ballot
        self._store = store
        self._platforms = platforms  # the service's: platforms added later are seen here
        self._interval = interval
        # Each suggestion's cards, read once (by one lookup however many votes ask at once):
        # only the card service adds cards while the bot runs.
        self._cards: dict[int, asyncio.Future[list[CardRef]]] = {}
        self._pending: dict[CardRef, asyncio.Task[None]] = {}
        self._last_edit: dict[CardRef, float] = {}
        self._editing: set[asyncio.Task[None]] = set()  # every edit task, waiting or not
        self._flushing = asyncio.Event()  # set at shutdown: waiting edits go at once

    def forget(self, suggestion_id: int) -> None:
        """The suggestion's cards changed: read them again next time."""
        self._cards.pop(suggestion_id, None)

    async def cards_of(self, suggestion_id: int) -> list[CardRef]:
        cards = self._cards.get(suggestion_id)
        if cards is not None and cards.done() and cards.exception() is None:
            return cards.result()  # the usual case: no await at all
        if cards is None or cards.done():
            cards = self._cards[suggestion_id] = asyncio.ensure_future(
                self._store.cards_of(suggestion_id)
            )
        return await asyncio.shield(cards)

    async def tally_changed(self, tally: Tally) -> None:
        """Schedule one edit per card of the suggestion (none if one is already waiting)."""
        for card in await self.cards_of(tally.suggestion.id):
            if card.platform in self._platforms and card not in self._pending:
                self._pending[card] = self._track(
                    self._edit_later(card, tally.suggestion), f"refresh card {card}"
                )

    async def cycle_closed(self, rollover: Rollover) -> None:
        """Mark the closed cycle's cards, in the background: a rollover must not wait on edits."""
        self._track(self._close_cards(rollover), f"refresh card: close cycle {rollover.closed.id}")

    async def cancel(self) -> None:
        """Drop edits still waiting (the database is closing): nothing is half-done."""
        tasks = list(self._editing)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def settled(self) -> None:
        """Until every edit scheduled so far (and any they lead to) is made, at its own pace."""
        while self._editing:
            await asyncio.gather(*self._editing, return_exceptions=True)

    async def flush(self) -> None:
        """Make every pending edit now (at shutdown), so no card is left showing a stale count."""
        self._flushing.set()
        await asyncio.gather(*self._editing, return_exceptions=True)

    def _track(self, work: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
        task = asyncio.create_task(work, name=name)
        self._editing.add(task)
        task.add_done_callback(self._editing.discard)
        return task

    async def _edit_later(self, card: CardRef, suggestion: Suggestion) -> None:
        loop = asyncio.get_running_loop()
        try:
            wait = self._last_edit.get(card, float("-inf")) + self._interval - loop.time()
            if wait > 0 and not self._flushing.is_set():
                with contextlib.suppress(TimeoutError):  # no extra task per waiting card
                    async with asyncio.timeout(wait):
                        await self._flushing.wait()
        finally:
            del self._pending[card]  # a change from here on schedules the next edit
        self._last_edit[card] = loop.time()
        await self.edit(card, await self._ballot.tally(suggestion), closed=False)

    async def _close_cards(self, rollover: Rollover) -> None:
        """Each platform's cards in turn, paced to stay inside its rate limit for edits."""
        await asyncio.gather(*(self._close_on(name, rollover) for name in self._platforms))

    async def _close_on(self, name: str, rollover: Rollover) -> None:
        pace = self._platforms[name].bulk_edit_seconds
        for n, (card, suggestion) in enumerate(
            await self._store.cycle_cards(rollover.closed.id, name)
        ):
            if n and pace and not self._flushing.is_set():
                await asyncio.sleep(pace)
            await self.edit(card, await self._ballot.tally(suggestion), closed=True)

    async def edit(self, card: CardRef, tally: Tally, *, closed: bool) -> None:
        try:
            await self._platforms[card.platform].edit_card(card, tally, closed=closed)
        except Exception:
            log.warning("Could not refresh the card %s", card, exc_info=True)
