"""Slack's slash commands, mapped onto the core. Each acks first; refusals are raised to the one
error handler in `listeners`, which answers the member privately."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot import export
from bot.announcing import Announcer
from bot.arguments import SHORTLIST_FORMS, UsageError, parse_shortlist, positive
from bot.ballot import Ballot
from bot.cards import CardService
from bot.errors import UserFacingError
from bot.models import Shortlist
from bot.settings import CommandNames, SlackSettings
from bot.text import closed_reply, credits_text, why_text
from bot.watcher import FeedWatcher
from cogs.slack_app import blocks
from cogs.slack_app.blocks import escape
from cogs.slack_app.members import Members

# `<https://…>` or `<https://…|label>`: how Slack sends a link when it escapes command text.
_ESCAPED_LINK = re.compile(r"^<(?P<url>[^|>]+)(?:\|[^>]*)?>$")

Command = dict[str, Any]


def split_suggestion(text: str) -> tuple[str, str]:
    """The link and the note of `/suggest` text; the link may come plain or Slack-escaped."""
    url, _, note = text.strip().partition(" ")
    escaped = _ESCAPED_LINK.match(url)
    if escaped:
        url = escaped["url"]
    url = url.replace("&amp;", "&")
    note = note.strip().replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return url, note


def usage(command: str, names: CommandNames) -> str:
    if command == names.shortlist:
        return "Usage: " + " · ".join(
            f"`{names.shortlist} {form}` {what}" for form, what in SHORTLIST_FORMS
        )
    if command == names.suggest:
        return (
            f"Usage: `{names.suggest} <link> [note]` · `{names.suggest} withdraw <n>` takes your "
            f"suggestion #n back · `{names.suggest} note <n> [text]` rewrites (or removes) its note"
            f" · curators: `{names.suggest} anyway <link> [note]` even if an issue featured it"
        )
    return ""


class Commands:
    def __init__(
        self,
        ballot: Ballot,
        cards: CardService,
        watcher: FeedWatcher | None,
        announcer: Announcer,
        settings: SlackSettings,
        members: Members,
    ) -> None:
        self.ballot = ballot
        self.cards = cards
        self.watcher = watcher
        self.announcer = announcer
        self.settings = settings
        self.members = members

    async def suggest(
        self, ack: AsyncAck, command: Command, respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        await ack()
        text = command.get("text", "").strip()
        first, _, rest = text.partition(" ")
        anyway = first.lower() == "anyway"  # curators: a link an issue already featured
        url, note = split_suggestion(rest if anyway else text)
        if not url:
            raise UsageError("Give the link to suggest.")
        member = await self.members.member(client, command["user_id"], curator_check=True)
        if not anyway and url.lower() in ("withdraw", "note"):  # their own, by its number
            number_text, _, text = note.partition(" ")
            number = positive(number_text, "suggestion number")
            if url.lower() == "withdraw":
                if text:
                    raise UsageError("Give only the number of the suggestion to withdraw.")
                reply = await self.cards.withdraw(member, number)
            else:
                reply = await self.cards.edit_note(member, number, text.strip())
        else:
            channel = self.settings.suggestions_channel_id or command["channel_id"]
            reply = await self.cards.suggest(member, url, note, channel_id=channel, anyway=anyway)
        await respond(text=escape(reply), response_type="ephemeral")

    async def shortlist(
        self, ack: AsyncAck, command: Command, respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        await ack()
        request = parse_shortlist(command.get("text", ""))
        member = await self.members.member(client, command["user_id"], curator_check=True)
        if request.action == "poll":
            results = await self._require_watcher().poll_now(member)
            await respond(text=blocks.poll(results), response_type="ephemeral")
            return
        if request.action == "feed":
            statuses = await self._require_watcher().status(member)
            text, status_blocks = blocks.feed_status(statuses, self.settings.commands.shortlist)
            await respond(text=text, blocks=status_blocks, response_type="ephemeral")
            return
        if request.action == "why":
            assert request.number is not None
            why = await self.ballot.why(member, request.number, request.cycle)
            await respond(text=why_text(why, escape), response_type="ephemeral")
            return
        if request.action == "credits":
            self._require_watcher()  # credits are for issues a feed announced
            credits = await self.announcer.credits(member)
            await respond(text=credits_text(credits, escape), response_type="ephemeral")
            return
        if request.action == "close":
            rollover = await self.ballot.close_cycle(member)
            show = f"`{self.settings.commands.shortlist} cycle {rollover.closed.id}`"
            text = closed_reply(rollover, show=show)
            await respond(text=text, response_type="ephemeral")
            return
        ranked = await self.ballot.shortlist(member, limit=request.limit, cycle_id=request.cycle)
        if request.action == "export":
            await self._send_export(client, member.id, ranked, csv=request.csv)
            await respond(
                text=f"Sent you the shortlist of cycle {ranked.cycle.id} ({ranked.total} "
                "suggestions) as a file in a direct message.",
                response_type="ephemeral",
            )
            return
        text, ranked_blocks = blocks.shortlist(ranked, self.settings.commands.shortlist)
        await respond(text=escape(text), blocks=ranked_blocks, response_type="ephemeral")

    async def _send_export(
        self, client: AsyncWebClient, user: str, shortlist: Shortlist, *, csv: bool
    ) -> None:
        """A file in the curator's direct message with the bot: nobody else sees it, and a
        shortlist of any length fits (a response_url allows only five messages)."""
        name, text = export.document(shortlist, csv=csv)
        opened = await client.conversations_open(users=user)
        await client.files_upload_v2(
            channel=opened["channel"]["id"], content=text, filename=name, title=name
        )

    def _require_watcher(self) -> FeedWatcher:
        if self.watcher is None:
            raise UserFacingError("No newsletter feed is configured: set FEED_URLS.")
        return self.watcher
