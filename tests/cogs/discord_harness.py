"""A real ShortlistBot on a real SQLite file, its HTTP captured at discord.py's choke points."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from bot.app import App, Tuning, build
from bot.models import Member
from bot.settings import DiscordSettings, Settings
from cogs.discord_bot import DiscordFrontEnd
from tests.fake_discord import (
    ANNOUNCE_ID,
    CURATOR_CHANNEL_ID,
    CURATOR_ROLE_ID,
    GUILD_ID,
    SUGGESTIONS_ID,
    TOKEN,
    FakeDiscordAPI,
    guild_create,
    ready,
)

CURATOR = Member("discord", "1", "owner", is_curator=True)
# discord.py's own tasks for events, which it names (its library offers no idle hook), and the
# recovery the client starts when it connects.
_HANDLERS = ("CommandTree-invoker", "discord.py:", "discord vote recovery")
TUNING = Tuning(card_refresh_seconds=0.2, guild_ready_timeout=0.01, http_host="127.0.0.1")


async def settle(app: App, *, cards: bool = True) -> None:
    """Wait for the work events started: discord.py's handlers, then the services' own idle
    hooks (votes counted and announced, and with `cards` the debounced card edits)."""
    for _ in range(100):
        current = asyncio.current_task()
        busy = [
            task
            for task in asyncio.all_tasks()
            if task is not current and task.get_name().startswith(_HANDLERS)
        ]
        if busy:
            await asyncio.wait(busy, timeout=5)
        await app.ballot.reactions.settle()
        if cards:
            await app.cards.edits.settled()
        if not busy:
            return
    raise AssertionError("the bot never settled")


class DiscordHarness:
    """The bot as `build` wires it; pass `app` to share one built with other platforms too."""

    def __init__(
        self,
        path: Path,
        api: FakeDiscordAPI,
        *,
        feeds: tuple[str, ...] = (),
        app: App | None = None,
        **settings: Any,
    ) -> None:
        self.path = path
        self.api = api
        self.feeds = feeds
        self.app_given = app
        self.settings = discord_settings(**settings)

    def app_settings(self) -> Settings:
        return Settings(
            link_previews=False,
            database_path=self.path,
            suggestions_per_member=5,
            feed_urls=self.feeds,
            feed_failure_alert_after=3,
            discord=self.settings,
        )

    async def start(self) -> None:
        self.app = self.app_given or await build(self.app_settings(), tuning=TUNING)
        self.ballot = self.app.ballot
        self.watcher = self.app.watcher
        assert self.app.discord is not None
        self.front: DiscordFrontEnd = self.app.discord
        self.bot = self.front.bot
        await self.bot.login(TOKEN)
        self.gateway("READY", ready())
        self.gateway("GUILD_CREATE", guild_create())
        await asyncio.wait_for(self.bot.wait_until_ready(), 5)
        await settle(self.app)

    async def stop(self) -> None:
        if self.app_given is None:
            await self.app.shut_down()
            await self.app.close()
        else:
            await self.front.stop()

    def gateway(self, event: str, data: dict[str, Any]) -> None:
        self.bot._connection.parsers[event](data)

    async def send(self, event: str, data: dict[str, Any], *, cards: bool = True) -> None:
        self.gateway(event, data)
        await settle(self.app, cards=cards)


def discord_settings(**settings: Any) -> DiscordSettings:
    defaults: dict[str, Any] = {
        "token": TOKEN,
        "guild_id": GUILD_ID,
        "announce_channel_ids": (ANNOUNCE_ID,),
        "suggestions_channel_id": SUGGESTIONS_ID,
        "curator_role_ids": (CURATOR_ROLE_ID,),
        "curator_channel_id": CURATOR_CHANNEL_ID,
    }
    return DiscordSettings(**(defaults | settings))
