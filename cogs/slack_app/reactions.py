"""Votes on Slack: the vote reaction added to or removed from a card."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.ballot import Ballot
from bot.cards import CardService
from bot.models import CardRef, Cast
from bot.text import SELF_VOTE
from cogs.slack_app.blocks import PLATFORM, escape
from cogs.slack_app.cards import SlackCards
from cogs.slack_app.members import Members, slack_error

log = logging.getLogger(__name__)


class Reactions:
    """Votes, and cards deleted by a moderator (their suggestions leave the ballot)."""

    def __init__(
        self,
        ballot: Ballot,
        client: AsyncWebClient,
        cards: SlackCards,
        members: Members,
        card_service: CardService,
    ) -> None:
        self.ballot = ballot
        self.client = client
        self.cards = cards
        self.members = members
        self.card_service = card_service

    def _card(self, event: dict[str, Any], context: AsyncBoltContext) -> CardRef | None:
        item = event.get("item") or {}
        if item.get("type") != "message" or "ts" not in item:
            return None
        if not self.cards.is_vote(event.get("reaction", "")):
            return None
        if event.get("user") in (context.bot_user_id, self.members.bot_user_id):
            return None  # the bot's own reaction is only the button
        return CardRef(PLATFORM, item["channel"], item["ts"])

    async def added(
        self, event: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        await self._take(event, client, context, added=True)

    async def removed(
        self, event: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        await self._take(event, client, context, added=False)

    async def _take(
        self,
        event: dict[str, Any],
        client: AsyncWebClient,
        context: AsyncBoltContext,
        *,
        added: bool,
    ) -> None:
        card = self._card(event, context)
        if card is None:
            return
        voter = await self.members.member(client, event["user"], curator_check=False)
        self.ballot.reactions.take(Cast(PLATFORM, voter.id, added, card, bot=voter.is_bot))

    async def explain_self_vote(self, cast: Cast) -> None:
        """Slack can't take a member's reaction away: say why it doesn't count."""
        assert cast.card is not None
        try:
            await self.client.chat_postEphemeral(
                channel=cast.card.channel_id, user=cast.voter_id, text=escape(SELF_VOTE)
            )
        except SlackApiError as error:
            log.debug("Could not explain a self-vote: %s", slack_error(error))

    async def message_deleted(
        self, event: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        """A deleted card withdraws its suggestion, as on Discord."""
        ts = event.get("deleted_ts") or (event.get("previous_message") or {}).get("ts")
        if event.get("subtype") == "message_deleted" and ts and event.get("channel"):
            await self.card_service.card_deleted(CardRef(PLATFORM, event["channel"], str(ts)))
