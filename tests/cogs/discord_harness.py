"""A real ShortlistBot on a real SQLite file, its HTTP captured at discord.py's choke points."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import aiohttp

from bot.ballot import Ballot
from bot.fetching import FeedFetcher
from bot.models import Member
from bot.settings import DiscordSettings
from bot.watcher import FeedWatcher
from cogs.discord_bot import DiscordFrontEnd
from storage import Database, SqliteBallotStore, SqliteFeedStore
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
_HANDLERS = ("CommandTree-invoker", "discord.py:", "discord vote recovery")
_CARD_EDITS = ("refresh card",)


async def settle(*, cards: bool = True) -> None:
    """Wait for the tasks discord.py and the bot start for events (and, with `cards`, the
    debounced card edits they schedule)."""
    names = _HANDLERS + _CARD_EDITS if cards else _HANDLERS
    for _ in range(100):
        current = asyncio.current_task()
        busy = [
            task
            for task in asyncio.all_tasks()
            if task is not current and task.get_name().startswith(names)
        ]
        if not busy:
            return
        await asyncio.wait(busy, timeout=5)
    raise AssertionError("the bot never settled")


class DiscordHarness:
    def __init__(
        self, path: Path, api: FakeDiscordAPI, *, feeds: tuple[str, ...] = (), **settings: Any
    ) -> None:
        self.path = path
        self.api = api
        self.feeds = feeds
        self.settings = DiscordSettings(
            token=TOKEN,
            guild_id=GUILD_ID,
            announce_channel_ids=(ANNOUNCE_ID,),
            suggestions_channel_id=SUGGESTIONS_ID,
            curator_role_ids=(CURATOR_ROLE_ID,),
            curator_channel_id=CURATOR_CHANNEL_ID,
            **settings,
        )

    async def start(self) -> None:
        self.database = await Database.open(self.path)
        self.ballot = Ballot(SqliteBallotStore(self.database), suggestions_per_member=5)
        self.session = aiohttp.ClientSession()
        self.watcher = None
        if self.feeds:
            self.watcher = FeedWatcher(
                SqliteFeedStore(self.database),
                self.ballot,
                FeedFetcher(self.session),
                sources=self.feeds,
                poll_seconds=900,
                alert_after=3,
            )
        self.front = DiscordFrontEnd(
            self.settings, self.ballot, self.watcher, refresh_interval=0.2, guild_ready_timeout=0.01
        )
        if self.watcher is not None:
            self.watcher.add_announcer(self.front)
        self.bot = self.front.bot
        await self.bot.login(TOKEN)
        self.gateway("READY", ready())
        self.gateway("GUILD_CREATE", guild_create())
        await asyncio.wait_for(self.bot.wait_until_ready(), 5)
        await settle()

    async def stop(self) -> None:
        await self.bot.close()
        await self.session.close()
        await self.database.close()

    def gateway(self, event: str, data: dict[str, Any]) -> None:
        self.bot._connection.parsers[event](data)

    async def send(self, event: str, data: dict[str, Any], *, cards: bool = True) -> None:
        self.gateway(event, data)
        await settle(cards=cards)
