"""Cards: the message on each platform that shows a suggestion and that members vote on.

Posting a card (and withdrawing a new suggestion when the platform refuses it), linking to it,
keeping its count true without tripping rate limits, marking it when voting closes and reading its
votes back after downtime are done here once; each platform implements `CardPlatform`.

A burst of reactions becomes at most one edit per card per `interval`, and the last edit always
shows the count as it stands then: the tally is read when the edit is made, not when it was asked
for.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from bot.ballot import Ballot
from bot.errors import CardGone, CardRefused, ChannelGone, DuplicateSuggestion, NotYours
from bot.models import CardRef, Member, Rollover, Suggested, Suggestion, Tally
from bot.ports import CardPlatform, CardStore
from bot.text import suggested_reply

log = logging.getLogger(__name__)


def card_key(suggestion_id: int) -> str:
    """What marks a suggestion's card on a platform, to find it after a crash (a Discord nonce
    has at most 25 characters)."""
    return f"card-{suggestion_id}"


class CardService:
    """Cards on every platform that shows them, for the one ballot."""

    def __init__(
        self,
        ballot: Ballot,
        store: CardStore,
        *,
        interval: float = 10.0,
        alert: Callable[[str], Awaitable[None]] | None = None,
    ) -> None:
        self._ballot = ballot
        self._alert = alert  # tells the curators (bot.announcing.Announcer.alert_curators)
        self._store = store
        self._interval = interval
        self._platforms: dict[str, CardPlatform] = {}
        # Each suggestion's cards, read once (by one lookup however many votes ask at once):
        # only this service adds cards while the bot runs.
        self._cards: dict[int, asyncio.Future[list[CardRef]]] = {}
        self._pending: dict[CardRef, asyncio.Task[None]] = {}
        self._posting: set[tuple[int, str, str]] = set()  # (suggestion, platform, channel)
        self._last_edit: dict[CardRef, float] = {}
        self._editing: set[asyncio.Task[None]] = set()  # every edit task, waiting or not
        self._flushing = asyncio.Event()  # set at shutdown: waiting edits go at once

    def add_platform(self, platform: CardPlatform) -> None:
        self._platforms[platform.name] = platform

    async def suggest(
        self, member: Member, url: str, note: str, *, channel_id: str, anyway: bool = False
    ) -> str:
        """`/suggest` on the member's platform: put the link on the ballot, post its card there,
        and return the member's reply. A link already on the ballot is refused with its card."""
        platform = self._platforms[member.platform]
        try:
            result = await self._ballot.suggest(member, url, note, anyway=anyway)
        except DuplicateSuggestion as duplicate:
            link = await self.link(duplicate.suggestion, platform.name)
            if link is None:
                raise
            raise DuplicateSuggestion(
                f"{duplicate.message}\nIts card: {link}", duplicate.suggestion
            ) from None
        card = await self._post(platform, channel_id, result)
        return suggested_reply(result, await platform.card_link(card), here=platform.place)

    async def _post(self, platform: CardPlatform, channel_id: str, result: Suggested) -> CardRef:
        """Post the card, recorded as begun first: a crash before it is recorded leaves the post
        for `recover` to find (or make) at the next start, never a card nobody counts."""
        suggestion = result.suggestion
        posting = (suggestion.id, platform.name, channel_id)
        await self._store.start_card(*posting)
        self._posting.add(posting)  # a recovery meanwhile (a reconnect) leaves it alone
        try:
            card = await platform.post_card(
                channel_id, await self._ballot.tally(suggestion), card_key(suggestion.id)
            )
        except CardRefused:
            await self._store.card_not_posted(*posting)
            if result.is_new:  # nothing else refers to it yet: nothing is saved
                await self._ballot.withdraw(suggestion, "its card could not be posted")
            raise
        finally:
            self._posting.discard(posting)
        await self._store.card_posted(suggestion.id, channel_id, card)
        self._cards.pop(suggestion.id, None)
        return card

    async def link(self, suggestion: Suggestion, platform: str) -> str | None:
        """A link to the suggestion's card on `platform`, if it has one there."""
        for card in await self._cards_of(suggestion.id):
            if card.platform == platform and platform in self._platforms:
                return await self._platforms[platform].card_link(card)
        return None

    async def withdraw(self, member: Member, number: int) -> str:
        """The author (or a curator) takes suggestion #`number` back: it leaves the ballot, its
        cards are removed and its link is free again. Its votes stay on record, uncounted."""
        suggestion = await self._own(member, number, "withdraw")
        await self._ballot.withdraw(suggestion, f"by {member.platform}:{member.id}")
        for card in await self._cards_of(suggestion.id):
            platform = self._platforms.get(card.platform)
            if platform is None:
                continue
            try:
                await platform.delete_card(card)
            except Exception:
                log.warning("Could not remove the card %s", card, exc_info=True)
        self._cards.pop(suggestion.id, None)
        return f"Withdrew #{number} ({suggestion.url}); it is off the ballot for the next issue."

    async def edit_note(self, member: Member, number: int, note: str) -> str:
        """The author (or a curator) rewrites the note of #`number`; its cards follow."""
        suggestion = await self._own(member, number, "edit")
        edited = await self._ballot.edit_note(suggestion, note)
        if not edited.note:
            return f"Removed the note of #{number}."
        return f"Updated the note of #{number}: {edited.note}"

    async def _own(self, member: Member, number: int, verb: str) -> Suggestion:
        suggestion = await self._ballot.suggestion(number)
        if not (suggestion.author.is_member(member) or member.is_curator):
            raise NotYours(
                f"Only {suggestion.author.name}, who suggested #{number}, or a curator can "
                f"{verb} it."
            )
        return suggestion

    async def card_deleted(self, card: CardRef) -> Suggestion | None:
        """A moderator deleted a card of the open cycle: its suggestion leaves the ballot,
        unless it has another card (on the other platform) where members still vote."""
        suggestion = await self._ballot.suggestion_on_card(card)
        if suggestion is None:
            return None
        if [other for other in await self._store.cards_of(suggestion.id) if other != card]:
            log.info("The card %s was deleted; #%d keeps its other cards", card, suggestion.number)
            return None
        await self._ballot.withdraw(suggestion, f"its {card.platform} card was deleted")
        return suggestion

    async def recover(self, platform_name: str) -> None:
        """Bring stored votes in line with the reactions on every open card of a platform.

        A suggestion with several cards there (two merged into one) counts who reacted on any.
        """
        platform = self._platforms[platform_name]
        cycle = await self._ballot.current_cycle()
        await self._finish_posts(platform, cycle.id)
        cards = await self._store.cycle_cards(cycle.id, platform_name)
        by_suggestion: dict[int, list[CardRef]] = {}
        for card, suggestion in cards:
            by_suggestion.setdefault(suggestion.id, []).append(card)
        recovered = 0
        gone: dict[str, int] = {}  # channels that can't be found: cards in each
        for suggestion_cards in by_suggestion.values():
            reactors: list[Member] = []
            try:
                for card in suggestion_cards:
                    reactors += await platform.reactors(card)
            except CardGone:
                await self.card_deleted(card)
                continue
            except ChannelGone:
                gone[card.channel_id] = gone.get(card.channel_id, 0) + len(suggestion_cards)
                continue
            except Exception as error:
                log.warning("Could not read the reactions on %s: %s", card, error)
                continue
            await self._ballot.reconcile_card(suggestion_cards[0], reactors)
            recovered += len(suggestion_cards)
        log.info("Recovered votes on %d of %d %s cards", recovered, len(cards), platform_name)
        for channel_id, count in gone.items():
            await self._tell_curators(
                f"The {platform_name} channel {channel_id}, where {count} card(s) of the open "
                "cycle are, can't be found (deleted, or hidden from the bot). Nothing was "
                "withdrawn: their votes stand as last counted."
            )
        await self._refresh_stale(platform_name)

    async def _tell_curators(self, message: str) -> None:
        log.warning("%s", message)
        if self._alert is not None:
            try:
                await self._alert(message)
            except Exception as error:
                log.warning("Could not tell the curators: %s", error)

    async def _finish_posts(self, platform: CardPlatform, cycle_id: int) -> None:
        """Record the cards whose post a crash cut short: found in their channel, else posted."""
        for channel_id, suggestion in await self._store.unfinished_cards(cycle_id, platform.name):
            if (suggestion.id, platform.name, channel_id) in self._posting:
                continue  # being posted right now, by this process
            key = card_key(suggestion.id)
            try:
                tally = await self._ballot.tally(suggestion)
                card = await platform.find_card(channel_id, tally, key, suggestion.created_at)
                if card is None:
                    card = await platform.post_card(channel_id, tally, key)
            except CardRefused as refused:
                log.warning("Could not post the card of #%d: %s", suggestion.number, refused)
                await self._store.card_not_posted(suggestion.id, platform.name, channel_id)
                continue
            except Exception as error:
                log.warning(
                    "Could not finish the card of #%d (next start): %s", suggestion.number, error
                )
                continue
            await self._store.card_posted(suggestion.id, channel_id, card)
            self._cards.pop(suggestion.id, None)
            log.info(
                "Finished the card of #%d, cut short by a restart: %s", suggestion.number, card
            )

    async def _refresh_stale(self, platform_name: str) -> None:
        for card in await self._store.stale_cards(platform_name):
            suggestion = await self._ballot.suggestion_on_card(card)
            if suggestion is not None:
                await self._edit(card, await self._ballot.tally(suggestion), closed=False)
            await self._store.mark_fresh(card)

    # Keeping cards true

    async def _cards_of(self, suggestion_id: int) -> list[CardRef]:
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
        for card in await self._cards_of(tally.suggestion.id):
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
        await self._edit(card, await self._ballot.tally(suggestion), closed=False)

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
            await self._edit(card, await self._ballot.tally(suggestion), closed=True)

    async def _edit(self, card: CardRef, tally: Tally, *, closed: bool) -> None:
        try:
            await self._platforms[card.platform].edit_card(card, tally, closed=closed)
        except Exception:
            log.warning("Could not refresh the card %s", card, exc_info=True)
