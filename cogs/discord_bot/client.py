"""The discord.py bot: intents, command tree, error mapping, start-up work."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.announcing import Announcer
from bot.ballot import Ballot
from bot.cards import CardService
from bot.errors import UserFacingError
from bot.ports import BotState
from bot.text import GENERIC_APOLOGY
from bot.watcher import FeedWatcher
from cogs.discord_bot.ballot_cog import BallotCog
from cogs.discord_bot.cards import DiscordCards
from cogs.discord_bot.feed_cog import FeedCog
from cogs.discord_bot.members import Curators
from cogs.discord_bot.render import NO_PINGS, PLATFORM

log = logging.getLogger(__name__)

_REACTIONS = frozenset({"raw_reaction_add", "raw_reaction_remove"})
SYNCED = "discord.commands"  # "<application> <scope> <digest>" of the commands last synced

# What the bot does in a channel: read it, post cards and announcements, react, read reactions,
# remove self-votes (Manage Messages; optional, it copes without).
INVITE_PERMISSIONS = discord.Permissions(
    view_channel=True,
    send_messages=True,
    embed_links=True,
    attach_files=True,
    add_reactions=True,
    read_message_history=True,
    manage_messages=True,
)


def intents() -> discord.Intents:
    """Guilds, reactions and message deletions; nothing privileged."""
    wanted = discord.Intents.none()
    wanted.guilds = True
    wanted.guild_reactions = True
    wanted.guild_messages = True  # MESSAGE_DELETE, so a deleted card withdraws its suggestion
    return wanted


class WrongPlace(app_commands.CheckFailure):
    """A command used outside the community's own server; says where it belongs."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ShortlistTree(app_commands.CommandTree["ShortlistBot"]):
    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        """Every command acts only in the community's own server, never in a DM or another
        server the bot is in (where that server's admins would otherwise be curators)."""
        if interaction.guild_id is None:
            raise app_commands.NoPrivateMessage("Please use this command in a server channel.")
        home = self.client.home_guild_id()
        if home is None:
            raise WrongPlace(
                "Shortlist is in several servers and doesn't know which is the community's: "
                "its operator needs to set DISCORD_GUILD_ID."
            )
        if interaction.guild_id != home:
            raise WrongPlace("Shortlist runs the ballot of another server; nothing was changed.")
        return True

    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        """Refusals become the member's ephemeral message; anything else is logged."""
        cause: BaseException = error
        if isinstance(error, app_commands.CommandInvokeError):
            cause = error.original
        if isinstance(cause, UserFacingError | WrongPlace):
            message = cause.message
        elif isinstance(cause, app_commands.NoPrivateMessage):
            message = "Please use this command in a server channel."
        elif isinstance(cause, app_commands.CheckFailure):
            message = "Only curators can do that."
        else:
            command = interaction.command.qualified_name if interaction.command else "?"
            log.error("/%s failed", command, exc_info=cause)
            message = GENERIC_APOLOGY
        try:
            if interaction.response.is_done():
                await interaction.followup.send(message, ephemeral=True, allowed_mentions=NO_PINGS)
            else:
                await interaction.response.send_message(
                    message, ephemeral=True, allowed_mentions=NO_PINGS
                )
        except discord.HTTPException as failure:
            log.warning("Could not tell the member about an error: %s", failure)


class ShortlistBot(commands.Bot):
    def __init__(
        self,
        ballot: Ballot,
        cards: CardService,
        watcher: FeedWatcher | None,
        announcer: Announcer,
        state: BotState,
        *,
        curators: Curators,
        guild_id: int | None,
        suggestions_channel_id: int | None,
        vote_emoji: str,
        channel_ids: tuple[int, ...] = (),
        guild_ready_timeout: float = 2.0,
    ) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents(),
            tree_cls=ShortlistTree,
            allowed_mentions=NO_PINGS,
            help_command=None,
            guild_ready_timeout=guild_ready_timeout,
        )
        self.cards = cards
        self.watcher = watcher
        self.announcer = announcer
        self.state = state
        self.curators = curators
        self.guild_id = guild_id
        self.channel_ids = channel_ids  # the community's configured channels
        emoji = discord.PartialEmoji.from_str(vote_emoji)
        self.card_platform = DiscordCards(self, emoji, guild_id)
        self.ballot_cog = BallotCog(
            self,
            ballot,
            cards,
            curators,
            suggestions_channel_id=suggestions_channel_id,
            vote_emoji=emoji,
        )
        self._recovery: asyncio.Task[None] | None = None
        # `python -m bot sync-commands` sets these: a sync even if nothing changed, and where.
        self.forced_sync = False
        self.sync_guild_id = guild_id
        self.sync_report = ""

    def dispatch(self, event_name: str, /, *args: Any, **kwargs: Any) -> None:
        """Reactions go to the ballot straight from the parser, and end there: discord.py's
        usual dispatch (a task per listener per event, after looking for `wait_for`s and
        listeners that this bot doesn't have) would cost a burst of votes most of its time."""
        if event_name not in _REACTIONS:
            super().dispatch(event_name, *args, **kwargs)
            return
        try:
            self.ballot_cog.reaction(args[0])
        except Exception:  # never into the gateway's parser: it would drop the connection
            log.exception("Could not take a reaction")

    async def setup_hook(self) -> None:
        if self.get_cog(BallotCog.__cog_name__) is None:
            await self.add_cog(self.ballot_cog)
            if self.watcher is not None:
                await self.add_cog(FeedCog(self.watcher, self.announcer, self.curators))
        await self.sync_commands()
        if self.application_id is not None:
            log.info("Invite me with: %s", self.invite_url())

    def home_guild_id(self) -> int | None:
        """The community's server: DISCORD_GUILD_ID, else the server of its configured
        channels, else the only server the bot is in; None when that can't be told."""
        if self.guild_id is not None:
            return self.guild_id
        for channel_id in self.channel_ids:
            channel = self.get_channel(channel_id)
            if isinstance(channel, discord.abc.GuildChannel):
                return channel.guild.id
        return self.guilds[0].id if len(self.guilds) == 1 else None

    def invite_url(self) -> str:
        assert self.application_id is not None
        return discord.utils.oauth_url(
            self.application_id,
            permissions=INVITE_PERMISSIONS,
            scopes=("bot", "applications.commands"),
        )

    async def sync_commands(self) -> None:
        """Sync the slash commands only when they, their scope or the application changed (or
        when forced); switching between a server and global commands empties the scope left
        behind, so no member sees a command twice."""
        guild_id = self.sync_guild_id
        guild = discord.Object(guild_id) if guild_id is not None else None
        if guild is not None:
            self.tree.copy_global_to(guild=guild)
        scope = str(guild_id) if guild_id is not None else "global"
        payload = [command.to_dict(self.tree) for command in self.tree.get_commands(guild=guild)]
        digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]
        record = f"{self.application_id} {scope} {digest}"
        before = (await self.state.recall(SYNCED) or "").split()
        if " ".join(before) == record and not self.forced_sync:
            self.sync_report = "Slash commands unchanged since the last sync; not synced again"
            log.info(self.sync_report)
            return
        application, left = None, None
        if len(before) == 3:
            application, left = before[0], before[1]
        elif len(before) == 2:  # recorded before the application was: this one's
            application, left = str(self.application_id), before[0]
        try:
            synced = await self.tree.sync(guild=guild)
            if left not in (None, scope) and application == str(self.application_id):
                await self._empty(str(left))
        except discord.HTTPException as error:
            self.sync_report = f"Could not sync slash commands (the last synced ones stay): {error}"
            log.error(self.sync_report)
            return
        await self.state.remember(SYNCED, record)
        where = f"to guild {guild_id}" if guild_id else "globally (may take up to an hour)"
        self.sync_report = (
            f"Synced {len(synced)} slash commands {where} for application {self.application_id}"
        )
        log.info(self.sync_report)

    async def _empty(self, scope: str) -> None:
        assert self.application_id is not None
        if scope == "global":
            await self.http.bulk_upsert_global_commands(self.application_id, payload=[])
        else:
            await self.http.bulk_upsert_guild_commands(self.application_id, int(scope), payload=[])
        log.info("Removed the slash commands left in the previous scope (%s)", scope)

    async def on_ready(self) -> None:
        log.info("Connected to Discord as %s in %d servers", self.user, len(self.guilds))
        if self._recovery is None or self._recovery.done():
            self._recovery = asyncio.create_task(self._recover(), name="discord vote recovery")

    async def _recover(self) -> None:
        try:
            await self.cards.recover(PLATFORM)
        except Exception:
            log.exception("Vote recovery failed")

    async def close(self) -> None:
        if self._recovery is not None:
            self._recovery.cancel()
        await super().close()
