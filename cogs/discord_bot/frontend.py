"""Discord as a front end of the composition root: run, stop, announce, alert curators."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

import aiohttp
import discord
import yarl

from bot.announcing import Announcer
from bot.ballot import Ballot
from bot.cards import CardService
from bot.errors import FrontEndUnavailable, PostRefused
from bot.models import Announcement, Shortlist
from bot.ports import BotState
from bot.retrying import pause
from bot.settings import DiscordSettings
from bot.text import cut, fill_template
from bot.watcher import FeedWatcher
from cogs.discord_bot.cards import messages_since
from cogs.discord_bot.client import ShortlistBot
from cogs.discord_bot.members import Curators
from cogs.discord_bot.render import (
    NO_PINGS,
    PLATFORM,
    announcement_embed,
    escape,
    shortlist_embed,
)

log = logging.getLogger(__name__)


def configure_library(settings: DiscordSettings) -> None:
    """Process-wide discord.py settings, made once by the entry point: no voice warnings for a
    text-only bot, and REST and gateway traffic sent to a Discord-compatible server if asked."""
    discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False
    if settings.api_base is not None:
        discord.http.Route.BASE = settings.api_base
    if settings.gateway_url is not None:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.gateway_url)


class DiscordFrontEnd:
    name = PLATFORM
    # A repeated post with the same nonce returns the first one (enforce_nonce), and after
    # Discord's few minutes the history search finds it: posting again at once is safe.
    settles = timedelta(0)

    def __init__(
        self,
        settings: DiscordSettings,
        ballot: Ballot,
        cards: CardService,
        watcher: FeedWatcher | None,
        announcer: Announcer,
        state: BotState,
        *,
        template: str | None = None,
        guild_ready_timeout: float = 2.0,
    ) -> None:
        self._settings = settings
        self._template = template
        self.bot = ShortlistBot(
            ballot,
            cards,
            watcher,
            announcer,
            state,
            curators=Curators(settings.curator_role_ids),
            guild_id=settings.guild_id,
            suggestions_channel_id=settings.suggestions_channel_id,
            vote_emoji=settings.vote_emoji,
            guild_ready_timeout=guild_ready_timeout,
            channel_ids=tuple(
                channel
                for channel in (
                    settings.suggestions_channel_id,
                    *settings.announce_channel_ids,
                    settings.curator_channel_id,
                )
                if channel is not None
            ),
        )
        self.card_platform = self.bot.card_platform
        # A self-vote's reaction is removed where the bot may (wired by bot.app).
        self.answer_self_vote = self.bot.ballot_cog.remove_self_vote
        self._stopping = asyncio.Event()

    async def run(self) -> None:
        """Log in (retrying network faults) and stay connected until `stop()`.

        A rejected token ends this front end (`FrontEndUnavailable`); the others keep going.
        """
        attempt = 0
        while not self._stopping.is_set():
            try:
                await self.bot.login(self._settings.token)
                break
            except discord.LoginFailure:
                await self.bot.close()
                raise FrontEndUnavailable(
                    "Discord rejected DISCORD_TOKEN; copy the bot token again from the "
                    "Developer Portal (Bot → Reset Token)"
                ) from None
            except (OSError, aiohttp.ClientError, discord.HTTPException) as error:
                await self._fresh_session()
                await pause("Discord", error, attempt, self._stopping)
                attempt += 1
        if self._stopping.is_set():
            await self.bot.close()
            return
        try:
            await self.bot.connect(reconnect=True)
        finally:
            if not self.bot.is_closed():
                await self.bot.close()

    async def sync_now(self, guild_id: int | None) -> str:
        """Log in, sync the slash commands to `guild_id` (None: globally) whether or not they
        changed, log out; says what was done. `python -m bot sync-commands` runs it."""
        self.bot.forced_sync = True
        self.bot.sync_guild_id = guild_id
        try:
            await self.bot.login(self._settings.token)  # its setup hook syncs
        except discord.LoginFailure:
            raise FrontEndUnavailable("Discord rejected DISCORD_TOKEN") from None
        except (OSError, aiohttp.ClientError, discord.HTTPException) as error:
            raise FrontEndUnavailable(f"Discord could not be reached ({error})") from None
        finally:
            await self.bot.close()
        return self.bot.sync_report

    async def _fresh_session(self) -> None:
        """Close the failed attempt's HTTP session; the next login makes a new one. Closing
        the session closes its connector too, and discord.py would hand the closed connector
        to the next session ("Session is closed"): forget it, so that a new one is made."""
        await self.bot.http.close()
        self.bot.http.connector = discord.utils.MISSING

    async def stop(self) -> None:
        self._stopping.set()
        await self.bot.close()

    # Announcer

    def announce_channels(self) -> tuple[str, ...]:
        return tuple(str(channel) for channel in self._settings.announce_channel_ids)

    def is_ready(self) -> bool:
        return self.bot.is_ready()

    async def wait_until_ready(self) -> None:
        await self.bot.wait_until_ready()

    async def announce(self, channel_id: str, announcement: Announcement, key: str) -> str:
        channel = self.bot.get_partial_messageable(int(channel_id))
        role_id = self._settings.announce_role_id
        mention = f"<@&{role_id}>" if role_id is not None else ""
        content = mention or None
        if self._template is not None:
            filled = fill_template(
                self._template,
                announcement,
                escape,
                mention,
                escape_link=discord.utils.escape_mentions,
            )
            content = cut(filled, 2000)
        pings = NO_PINGS
        if role_id is not None:
            pings = discord.AllowedMentions(
                everyone=False, users=False, roles=[discord.Object(role_id)], replied_user=False
            )
        # With a nonce (and the enforce_nonce discord.py sends with it), Discord answers a
        # repeated post with the message it already made instead of posting it again.
        try:
            message = await channel.send(
                content, embed=announcement_embed(announcement), allowed_mentions=pings, nonce=key
            )
        except discord.HTTPException as error:  # Discord answered: nothing was posted
            raise PostRefused(f"{error.status} {error.text or error}") from error
        if self._settings.publish_announcements:
            await self._publish(message, int(channel_id))
        return str(message.id)

    async def _publish(self, message: discord.Message, channel_id: int) -> None:
        """In an announcement channel, publish: servers following it get the issue too."""
        channel = self.bot.get_channel(channel_id)
        if not isinstance(channel, discord.TextChannel) or not channel.is_news():
            return
        try:
            await message.publish()
        except discord.HTTPException as error:
            log.warning("Could not publish the announcement in %s: %s", channel_id, error)

    async def find_announcement(
        self, channel_id: str, announcement: Announcement, key: str, since: datetime
    ) -> str | None:
        """The bot's message in the channel since `since` that announces this issue, if any."""
        wanted = announcement_embed(announcement)
        async for message in messages_since(self.bot, channel_id, since):
            if self.bot.user is None or message.author.id != self.bot.user.id:
                continue
            if str(message.nonce) == key or any(
                embed.title == wanted.title and embed.url == wanted.url for embed in message.embeds
            ):
                return str(message.id)
        return None

    async def post_digest(self, standings: Shortlist) -> None:
        channel_id = self._settings.suggestions_channel_id
        if channel_id is None:
            log.info("No weekly digest on Discord: set DISCORD_SUGGESTIONS_CHANNEL_ID")
            return
        embed, _ = shortlist_embed(standings)
        embed.title = f"This week's top {len(standings.ranked)} for the next issue"
        embed.add_field(
            name="Your vote counts",
            value=f"React {self._settings.vote_emoji} on the cards in this channel to vote, "
            "and `/suggest` a link of your own.",
            inline=False,
        )
        channel = self.bot.get_partial_messageable(channel_id)
        await channel.send(embed=embed, allowed_mentions=NO_PINGS)

    async def alert_curators(self, message: str) -> None:
        channel_id = self._settings.curator_channel_id
        if channel_id is None:
            log.warning("For the curators (set DISCORD_CURATOR_CHANNEL_ID to post it): %s", message)
            return
        await self.bot.get_partial_messageable(channel_id).send(
            cut(message, 2000), allowed_mentions=NO_PINGS
        )
