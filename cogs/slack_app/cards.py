"""Cards on Slack: Block Kit messages with the vote reaction as their button
(`bot.ports.CardPlatform`)."""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.errors import CardGone, CardRefused, ChannelGone
from bot.models import CardRef, Member, Tally
from cogs.slack_app import blocks
from cogs.slack_app.blocks import PLATFORM, Block
from cogs.slack_app.members import Members, slack_error

log = logging.getLogger(__name__)

_SKIN_TONE = re.compile(r"::skin-tone-\d$")
CARD_EVENT = "shortlist_card"  # message metadata: finds a card posted just before a crash
PAGE = 200  # messages per conversations.history page (Slack's advice: at most 200)
CLOCK_SKEW = timedelta(minutes=1)


async def find_marked(
    client: AsyncWebClient, channel_id: str, event_type: str, key: str, since: datetime
) -> str | None:
    """The `ts` of the channel's message since `since` (a minute earlier, for clocks that
    differ) whose metadata carries `key`, if any: every page of them (`oldest=`, a cursor)."""
    oldest = f"{(since - CLOCK_SKEW).timestamp():.6f}"
    cursor: str | None = None
    while True:
        history = await client.conversations_history(
            channel=channel_id,
            oldest=oldest,
            limit=PAGE,
            include_all_metadata=True,
            cursor=cursor,
        )
        for message in history.get("messages") or []:
            metadata = message.get("metadata") or {}
            if (
                metadata.get("event_type") == event_type
                and (metadata.get("event_payload") or {}).get("key") == key
            ):
                return str(message["ts"])
        cursor = (history.get("response_metadata") or {}).get("next_cursor")
        if not history.get("has_more") or not cursor:
            return None


async def post_marked(
    client: AsyncWebClient,
    channel_id: str,
    text: str,
    content: list[Block],
    event_type: str,
    key: str,
) -> AsyncSlackResponse:
    """Post a message carrying `key` in its metadata, so `find_marked` finds it after a crash."""
    return await client.chat_postMessage(
        channel=channel_id,
        text=text,
        blocks=content,
        unfurl_links=False,
        metadata={"event_type": event_type, "event_payload": {"key": key}},
    )


class SlackRefusal(CardRefused):
    """A refusal written in Slack markup (a `<#channel>` link): sent without escaping."""


class SlackCards:
    name = PLATFORM
    place = "Slack"
    bulk_edit_seconds = 1.2  # chat.update is Tier 3: about 50 a minute

    def __init__(self, client: AsyncWebClient, members: Members, vote_reaction: str) -> None:
        self._client = client
        self._members = members
        self.vote_reaction = vote_reaction

    def is_vote(self, reaction: str) -> bool:
        """The vote reaction, in any skin tone."""
        return _SKIN_TONE.sub("", reaction) == self.vote_reaction

    async def post_card(self, channel_id: str, tally: Tally, key: str) -> CardRef:
        fallback, card_blocks = blocks.card(tally, self.vote_reaction)
        try:
            posted = await post_marked(
                self._client, channel_id, fallback, card_blocks, CARD_EVENT, key
            )
        except SlackApiError as error:
            reason = slack_error(error)
            log.warning("Could not post a card in %s: %s", channel_id, reason)
            raise SlackRefusal(
                f"I couldn't post the suggestion card in <#{channel_id}> (Slack said: {reason}). "
                "Please invite me to that channel; nothing was saved."
            ) from error
        card = CardRef(PLATFORM, str(posted.get("channel") or channel_id), str(posted["ts"]))
        await self._add_vote_reaction(card)
        return card

    async def find_card(
        self, channel_id: str, tally: Tally, key: str, since: datetime
    ) -> CardRef | None:
        ts = await find_marked(self._client, channel_id, CARD_EVENT, key, since)
        if ts is None:
            return None
        card = CardRef(PLATFORM, channel_id, ts)
        await self._add_vote_reaction(card)  # the crash may have come before it
        return card

    async def _add_vote_reaction(self, card: CardRef) -> None:
        try:
            await self._client.reactions_add(
                channel=card.channel_id, timestamp=card.message_id, name=self.vote_reaction
            )
        except SlackApiError as error:
            if slack_error(error) != "already_reacted":
                log.warning("Could not add the vote reaction: %s", slack_error(error))

    async def edit_card(self, card: CardRef, tally: Tally, *, closed: bool) -> None:
        text, card_blocks = blocks.card(tally, self.vote_reaction, closed=closed)
        await self._client.chat_update(
            channel=card.channel_id, ts=card.message_id, text=text, blocks=card_blocks
        )

    async def delete_card(self, card: CardRef) -> None:
        try:
            await self._client.chat_delete(channel=card.channel_id, ts=card.message_id)
        except SlackApiError as error:
            if slack_error(error) != "message_not_found":
                raise

    async def card_link(self, card: CardRef) -> str:
        try:
            response = await self._client.chat_getPermalink(
                channel=card.channel_id, message_ts=card.message_id
            )
            return str(response["permalink"])
        except SlackApiError:
            return f"https://slack.com/app_redirect?channel={card.channel_id}"

    async def reactors(self, card: CardRef) -> list[Member]:
        try:
            response = await self._client.reactions_get(
                channel=card.channel_id, timestamp=card.message_id, full=True
            )
        except SlackApiError as error:
            if slack_error(error) == "message_not_found":
                raise CardGone(str(card)) from error
            if slack_error(error) == "channel_not_found":
                raise ChannelGone(card.channel_id) from error
            raise
        users: set[str] = set()
        for reaction in (response.get("message") or {}).get("reactions") or []:
            if self.is_vote(reaction.get("name", "")):
                users.update(reaction.get("users") or [])
        users.discard(self._members.bot_user_id or "")  # the bot's own reaction is the button
        return [
            await self._members.member(self._client, user, curator_check=False)
            for user in sorted(users)
        ]
