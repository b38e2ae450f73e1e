"""Slack commands and reaction events, mapped onto the core. Every command acks first."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.arguments import SHORTLIST_FORMS, UsageError, parse_shortlist
from bot.ballot import Ballot
from bot.errors import DuplicateSuggestion, SelfVote, UserFacingError
from bot.models import CardRef, Member, Suggestion
from bot.settings import SlackSettings
from bot.text import plural, shortlist_markdown, suggested_reply
from bot.watcher import FeedWatcher
from cogs.slack_app import blocks
from cogs.slack_app.blocks import PLATFORM

log = logging.getLogger(__name__)

GENERIC_APOLOGY = "Sorry, something went wrong on my side; it has been logged."
USERGROUP_CACHE_SECONDS = 300.0
# `<https://…>` or `<https://…|label>`: how Slack sends a link when it escapes command text.
_ESCAPED_LINK = re.compile(r"^<(?P<url>[^|>]+)(?:\|[^>]*)?>$")
_SKIN_TONE = re.compile(r"::skin-tone-\d$")

Command = dict[str, Any]


class SlackRefusal(UserFacingError):
    """A refusal written here, in Slack markup (a `<#channel>` link): sent without escaping."""


def split_suggestion(text: str) -> tuple[str, str]:
    """The link and the note of `/suggest` text; the link may come plain or Slack-escaped."""
    url, _, note = text.strip().partition(" ")
    escaped = _ESCAPED_LINK.match(url)
    if escaped:
        url = escaped["url"]
    url = url.replace("&amp;", "&")
    note = note.strip().replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return url, note


class People:
    """Who a Slack user is: name, bot or not, curator or not (cached lookups)."""

    def __init__(self, settings: SlackSettings) -> None:
        self._curator_ids = frozenset(settings.curator_user_ids)
        self._usergroup = settings.curator_usergroup_id
        self._group: tuple[float, frozenset[str]] = (float("-inf"), frozenset())
        self._users: dict[str, tuple[str, bool]] = {}
        self.bot_user_id: str | None = None

    async def is_curator(self, client: AsyncWebClient, user_id: str) -> bool:
        if user_id in self._curator_ids:
            return True
        if self._usergroup is None:
            return False
        fetched_at, members = self._group
        if time.monotonic() - fetched_at > USERGROUP_CACHE_SECONDS:
            response = await client.usergroups_users_list(usergroup=self._usergroup)
            members = frozenset(response.get("users") or [])
            self._group = (time.monotonic(), members)
        return user_id in members

    async def who(self, client: AsyncWebClient, user_id: str) -> tuple[str, bool]:
        """(display name, is a bot)."""
        if user_id not in self._users:
            try:
                user = (await client.users_info(user=user_id))["user"]
            except SlackApiError as error:
                log.warning("users.info for %s failed: %s", user_id, slack_error(error))
                return user_id, False
            profile = user.get("profile") or {}
            name = profile.get("display_name") or user.get("real_name") or user.get("name", user_id)
            self._users[user_id] = (name, bool(user.get("is_bot")) or user_id == "USLACKBOT")
        return self._users[user_id]

    async def member(self, client: AsyncWebClient, user_id: str, *, curator_check: bool) -> Member:
        name, is_bot = await self.who(client, user_id)
        curator = curator_check and await self.is_curator(client, user_id)
        return Member(PLATFORM, user_id, name, is_curator=curator, is_bot=is_bot)


class SlackHandlers:
    def __init__(
        self,
        ballot: Ballot,
        watcher: FeedWatcher | None,
        settings: SlackSettings,
        people: People,
    ) -> None:
        self.ballot = ballot
        self.watcher = watcher
        self.settings = settings
        self.people = people

    async def _answer(
        self, respond: AsyncRespond, command: Command, work: Callable[[], Awaitable[None]]
    ) -> None:
        """Refusals go back to the member privately; anything else is logged, with an apology."""
        try:
            await work()
        except UsageError as error:
            usage = escape_text(_usage(command["command"]))
            await respond(text=f"{escape_text(error.message)}\n{usage}", response_type="ephemeral")
        except SlackRefusal as error:
            await respond(text=error.message, response_type="ephemeral")
        except UserFacingError as error:
            await respond(text=escape_text(error.message), response_type="ephemeral")
        except Exception:
            log.exception("%s failed", command.get("command"))
            await respond(text=GENERIC_APOLOGY, response_type="ephemeral")

    async def suggest(
        self, ack: AsyncAck, command: Command, respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        await ack()

        async def work() -> None:
            url, note = split_suggestion(command.get("text", ""))
            if not url:
                raise UsageError("Give the link to suggest.")
            member = await self.people.member(client, command["user_id"], curator_check=True)
            try:
                result = await self.ballot.suggest(member, url, note)
            except DuplicateSuggestion as duplicate:
                where = await self._card_link(client, duplicate.suggestion)
                text = escape_text(duplicate.message) + (f"\nIts card: {where}" if where else "")
                await respond(text=text, response_type="ephemeral")
                return
            channel = self.settings.suggestions_channel_id or command["channel_id"]
            permalink = await self._post_card(
                client, channel, result.suggestion, is_new=result.is_new
            )
            text = suggested_reply(result, permalink, here="Slack")
            await respond(text=text, response_type="ephemeral")

        await self._answer(respond, command, work)

    async def _post_card(
        self, client: AsyncWebClient, channel: str, suggestion: Suggestion, *, is_new: bool
    ) -> str:
        fallback, card_blocks = blocks.card(
            await self.ballot.tally(suggestion), self.settings.vote_reaction
        )
        try:
            posted = await client.chat_postMessage(
                channel=channel, text=fallback, blocks=card_blocks, unfurl_links=False
            )
        except SlackApiError as error:
            reason = slack_error(error)
            log.warning("Could not post a card in %s: %s", channel, reason)
            if is_new:
                await self.ballot.withdraw(suggestion)
            raise SlackRefusal(
                f"I couldn't post the suggestion card in <#{channel}> (Slack said: {reason}). "
                "Please invite me to that channel; nothing was saved."
            ) from error
        ts = str(posted["ts"])
        channel = str(posted.get("channel") or channel)
        await self.ballot.attach_card(suggestion, CardRef(PLATFORM, channel, ts))
        try:
            await client.reactions_add(
                channel=channel, timestamp=ts, name=self.settings.vote_reaction
            )
        except SlackApiError as error:
            log.warning("Could not add the vote reaction: %s", slack_error(error))
        return await self._permalink(client, channel, ts)

    async def _permalink(self, client: AsyncWebClient, channel: str, ts: str) -> str:
        try:
            response = await client.chat_getPermalink(channel=channel, message_ts=ts)
            return str(response["permalink"])
        except SlackApiError:
            return f"<#{channel}>"

    async def _card_link(self, client: AsyncWebClient, suggestion: Suggestion) -> str | None:
        for card in await self.ballot.cards_of(suggestion):
            if card.platform == PLATFORM:
                return await self._permalink(client, card.channel_id, card.message_id)
        return None

    async def shortlist(
        self, ack: AsyncAck, command: Command, respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        await ack()

        async def work() -> None:
            request = parse_shortlist(command.get("text", ""))
            member = await self.people.member(client, command["user_id"], curator_check=True)
            if request.action == "close":
                before = await self.ballot.shortlist(member)
                rollover = await self.ballot.close_cycle(member)
                await respond(
                    text=f"Closed cycle {rollover.closed.id} with "
                    f"{plural(before.total, 'suggestion')}; its shortlist is frozen "
                    f"(`/shortlist cycle {rollover.closed.id}`). Cycle {rollover.opened.id} is "
                    "open for the next issue.",
                    response_type="ephemeral",
                )
                return
            ranked = await self.ballot.shortlist(
                member, limit=request.limit, cycle_id=request.cycle
            )
            if request.action == "export":
                for chunk in _chunks(shortlist_markdown(ranked), 2900):
                    await respond(text=f"```{escape_text(chunk)}```", response_type="ephemeral")
                return
            text, ranked_blocks = blocks.shortlist(ranked)
            await respond(text=escape_text(text), blocks=ranked_blocks, response_type="ephemeral")

        await self._answer(respond, command, work)

    async def poll(
        self, ack: AsyncAck, command: Command, respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        await ack()

        async def work() -> None:
            watcher = self._require_watcher()
            member = await self.people.member(client, command["user_id"], curator_check=True)
            results = await watcher.poll_now(member)
            await respond(text=blocks.poll(results), response_type="ephemeral")

        await self._answer(respond, command, work)

    async def feed(
        self, ack: AsyncAck, command: Command, respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        await ack()

        async def work() -> None:
            if command.get("text", "").strip().lower() != "status":
                raise UsageError("Did you mean `/feed status`?")
            watcher = self._require_watcher()
            member = await self.people.member(client, command["user_id"], curator_check=True)
            text, status_blocks = blocks.feed_status(await watcher.status(member))
            await respond(text=text, blocks=status_blocks, response_type="ephemeral")

        await self._answer(respond, command, work)

    def _require_watcher(self) -> FeedWatcher:
        if self.watcher is None:
            raise UserFacingError("No newsletter feed is configured: set FEED_URLS.")
        return self.watcher

    # Votes

    def _is_vote(self, reaction: str) -> bool:
        """The vote reaction, in any skin tone."""
        return _SKIN_TONE.sub("", reaction) == self.settings.vote_reaction

    def _card(self, event: dict[str, Any], context: AsyncBoltContext) -> CardRef | None:
        item = event.get("item") or {}
        if item.get("type") != "message" or "ts" not in item:
            return None
        if not self._is_vote(event.get("reaction", "")):
            return None
        if event.get("user") in (context.bot_user_id, self.people.bot_user_id):
            return None  # the bot's own reaction is only the button
        return CardRef(PLATFORM, item["channel"], item["ts"])

    async def reaction_added(
        self, event: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        card = self._card(event, context)
        if card is None:
            return
        voter = await self.people.member(client, event["user"], curator_check=False)
        try:
            await self.ballot.vote_on_card(card, voter)
        except SelfVote as refusal:
            try:
                await client.chat_postEphemeral(
                    channel=card.channel_id, user=voter.id, text=escape_text(refusal.message)
                )
            except SlackApiError as error:
                log.debug("Could not explain a self-vote: %s", slack_error(error))

    async def reaction_removed(
        self, event: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        card = self._card(event, context)
        if card is None:
            return
        voter = await self.people.member(client, event["user"], curator_check=False)
        await self.ballot.unvote_on_card(card, voter)

    async def recover_votes(self, client: AsyncWebClient) -> None:
        """Bring stored votes in line with the reactions on every open Slack card."""
        cards = await self.ballot.open_cards(PLATFORM)
        recovered = 0
        for card, suggestion in cards:
            try:
                response = await client.reactions_get(
                    channel=card.channel_id, timestamp=card.message_id, full=True
                )
            except SlackApiError as error:
                reason = slack_error(error)
                if reason == "message_not_found":
                    await self.ballot.withdraw_card(card)
                    log.info("Card of #%d is gone: suggestion withdrawn", suggestion.number)
                else:
                    log.warning("Could not read the reactions on %s: %s", card, reason)
                continue
            users: set[str] = set()
            for reaction in (response.get("message") or {}).get("reactions") or []:
                if self._is_vote(reaction.get("name", "")):
                    users.update(reaction.get("users") or [])
            users.discard(self.people.bot_user_id or "")
            reactors = [
                await self.people.member(client, user, curator_check=False)
                for user in sorted(users)
            ]
            await self.ballot.reconcile_card(card, reactors)
            recovered += 1
        log.info("Recovered votes on %d of %d Slack cards", recovered, len(cards))


def slack_error(error: SlackApiError) -> str:
    """Slack's error code, or the HTTP status when the answer wasn't Slack's JSON."""
    data = error.response.data
    if isinstance(data, dict) and data.get("error"):
        return str(data["error"])
    return f"HTTP {error.response.status_code}"


def escape_text(text: str) -> str:
    return blocks.escape(text)


def _usage(command: str) -> str:
    if command == "/shortlist":
        return "Usage: " + " · ".join(
            f"`/shortlist {form}` {what}" for form, what in SHORTLIST_FORMS
        )
    if command == "/suggest":
        return "Usage: `/suggest <link> [note]`"
    if command == "/feed":
        return "Usage: `/feed status`"
    return ""


def _chunks(text: str, size: int) -> list[str]:
    chunks: list[str] = []
    current = ""
    for line in text.splitlines(keepends=True):
        if current and len(current) + len(line) > size:
            chunks.append(current)
            current = ""
        current += line
    return [*chunks, current] if current else chunks


# What the app manifest (slack-manifest.json) must grant, and why.
SCOPES = {
    "commands": "the slash commands",
    "chat:write": "cards, announcements, live counts (chat.update), self-vote notes",
    "reactions:write": "the vote reaction the bot puts on each card",
    "reactions:read": "reaction events and reactions.get at start-up",
    "users:read": "users.info: names, and telling bots apart",
    "usergroups:read": "usergroups.users.list for SLACK_CURATOR_USERGROUP_ID",
}


def register(app: AsyncApp, handlers: SlackHandlers) -> dict[str, list[str]]:
    """Only registers: the work lives in `SlackHandlers`. Returns what it registered."""
    commands = {
        "/suggest": handlers.suggest,
        "/shortlist": handlers.shortlist,
        "/poll": handlers.poll,
        "/feed": handlers.feed,
    }
    events = {
        "reaction_added": handlers.reaction_added,
        "reaction_removed": handlers.reaction_removed,
    }
    for name, command in commands.items():
        app.command(name)(command)
    for name, event in events.items():
        app.event(name)(event)
    return {"commands": list(commands), "events": list(events)}
