"""What the Slack app listens to, registered in one place, with one error handler for all of it
(after Bolt's app template: the work lives in `commands` and `reactions`).

The handler wraps each listener rather than being Bolt's `@app.error`: Bolt runs listeners after
the ack, and an error raised right after `ack()` can make it forget the ack was sent.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from re import Pattern
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.arguments import UsageError
from bot.errors import UserFacingError
from bot.settings import CommandNames
from bot.text import GENERIC_APOLOGY
from cogs.slack_app.blocks import escape
from cogs.slack_app.cards import SlackRefusal
from cogs.slack_app.commands import Commands, usage
from cogs.slack_app.reactions import Reactions

log = logging.getLogger(__name__)

# What the app manifest must grant, and why (`python -m bot slack-manifest` writes it).
SCOPES = {
    "commands": "the slash commands",
    "chat:write": "cards, announcements, live counts (chat.update), self-vote notes",
    "reactions:write": "the vote reaction the bot puts on each card",
    "reactions:read": "reaction events and reactions.get at start-up",
    "channels:history": "conversations.history (an announcement posted before a crash) and"
    " message events (a deleted card withdraws its suggestion)",
    "users:read": "users.info: names, and telling bots apart",
    "usergroups:read": "usergroups.users.list for SLACK_CURATOR_USERGROUP_ID",
    "im:write": "conversations.open: the direct message a curator's export is sent in",
    "files:write": "the export as a Markdown or CSV file in that direct message",
}


# The events the app subscribes to (message.channels: to see a card deleted).
EVENTS = frozenset({"reaction_added", "reaction_removed", "message.channels"})


def refusal_text(error: Exception, usage_text: str) -> str | None:
    """What the member hears for a refusal, in Slack markup; None for a bug."""
    if isinstance(error, UsageError):
        return f"{escape(error.message)}\n{escape(usage_text)}"
    if isinstance(error, SlackRefusal):
        return error.message  # written here, in Slack markup
    if isinstance(error, UserFacingError):
        return escape(error.message)
    return None


CommandListener = Callable[
    [AsyncAck, dict[str, Any], AsyncRespond, AsyncWebClient], Awaitable[None]
]
EventListener = Callable[[dict[str, Any], AsyncWebClient, AsyncBoltContext], Awaitable[None]]


async def on_error(
    error: Exception, what: str, respond: AsyncRespond | None, usage_text: str = ""
) -> None:
    """Refusals go back to the member privately; anything else is logged, with an apology."""
    text = refusal_text(error, usage_text)
    if text is None:
        log.error("%s failed", what, exc_info=error)
        text = GENERIC_APOLOGY
    if respond is not None:
        await respond(text=text, response_type="ephemeral")


def answered(listener: CommandListener, names: CommandNames) -> CommandListener:
    async def command_listener(
        ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        try:
            await listener(ack, command, respond, client)
        except Exception as error:
            name = str(command.get("command"))
            await on_error(error, name, respond, usage(name, names))

    return command_listener


def logged(listener: EventListener) -> EventListener:
    async def event_listener(
        event: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        try:
            await listener(event, client, context)
        except Exception as error:
            await on_error(error, str(event.get("type")), None)

    return event_listener


def register(
    app: AsyncApp, commands: Commands, reactions: Reactions, names: CommandNames
) -> dict[str, list[str]]:
    """Only registers. Returns what it registered (the manifest is made from the same)."""
    by_command = {names.suggest: commands.suggest, names.shortlist: commands.shortlist}
    by_event = {"reaction_added": reactions.added, "reaction_removed": reactions.removed}
    for name, command in by_command.items():
        app.command(name)(answered(command, names))
    for name, event in by_event.items():
        app.event(name)(logged(event))
    deleted: dict[str, str | Sequence[str | Pattern[Any] | None] | None] = {
        "type": "message",
        "subtype": "message_deleted",
    }
    app.event(deleted)(logged(reactions.message_deleted))
    # Other messages in the channels (everyone's chat) are none of the bot's business.
    app.event("message")(ignored)
    events = [*by_event, "message.channels"]
    assert set(events) == EVENTS
    return {"commands": list(by_command), "events": events}


async def ignored() -> None:
    return
