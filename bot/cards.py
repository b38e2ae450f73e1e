"""Cards: the message on each platform that shows a suggestion and that members vote on.

Posting a card (and withdrawing a new suggestion when the platform refuses it), linking to it
and reading its votes back after downtime are done here once; keeping its count true is
`bot.card_edits`; each platform implements `CardPlatform`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from bot.ballot import Ballot
from bot.card_edits import CardEdits
from bot.errors import CardGone, CardRefused, ChannelGone, DuplicateSuggestion, NotYours
from bot.models import CardRef, Member, Suggested, Suggestion
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
        self._platforms: dict[str, CardPlatform] = {}
        self._posting: set[tuple[int, str, str]] = set()  # (suggestion, platform, channel)
        self.edits = CardEdits(ballot, store, self._platforms, interval)
        # What the composition root subscribes to the ballot, and stops at shutdown.
        self.tally_changed = self.edits.tally_changed
        self.cycle_closed = self.edits.cycle_closed
        self.flush = self.edits.flush
        self.cancel = self.edits.cancel

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
        self.edits.forget(suggestion.id)
        return card

    async def link(self, suggestion: Suggestion, platform: str) -> str | None:
        """A link to the suggestion's card on `platform`, if it has one there."""
        for card in await self.edits.cards_of(suggestion.id):
            if card.platform == platform and platform in self._platforms:
                return await self._platforms[platform].card_link(card)
        return None

    async def withdraw(self, member: Member, number: int) -> str:
        """The author (or a curator) takes suggestion #`number` back: it leaves the ballot, its
        cards are removed and its link is free again. Its votes stay on record, uncounted."""
        suggestion = await self._own(member, number, "withdraw")
        await self._ballot.withdraw(suggestion, f"by {member.platform}:{member.id}")
        for card in await self.edits.cards_of(suggestion.id):
            platform = self._platforms.get(card.platform)
            if platform is None:
                continue
            try:
                await platform.delete_card(card)
            except Exception:
                log.warning("Could not remove the card %s", card, exc_info=True)
        self.edits.forget(suggestion.id)
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
            self.edits.forget(suggestion.id)
            log.info(
                "Finished the card of #%d, cut short by a restart: %s", suggestion.number, card
            )

    async def _refresh_stale(self, platform_name: str) -> None:
        for card in await self._store.stale_cards(platform_name):
            suggestion = await self._ballot.suggestion_on_card(card)
            if suggestion is not None:
                await self.edits.edit(card, await self._ballot.tally(suggestion), closed=False)
            await self._store.mark_fresh(card)
