"""/poll, /feed status and /feed credits on Discord."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.announcing import Announcer
from bot.text import credits_text
from bot.watcher import FeedWatcher
from cogs.discord_bot.members import Curators
from cogs.discord_bot.render import NO_PINGS, escape, poll_text, status_embed


class FeedCog(commands.Cog):
    """Curators check the newsletter feeds by hand and see how they are doing."""

    feed = app_commands.Group(
        name="feed",
        description="Curators: the newsletter feeds",
        guild_only=True,
        default_permissions=discord.Permissions(manage_guild=True),
    )

    def __init__(self, watcher: FeedWatcher, announcer: Announcer, curators: Curators) -> None:
        self.watcher = watcher
        self.announcer = announcer
        self.curators = curators

    @app_commands.command(name="poll", description="Curators: check the newsletter feeds now")
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_guild=True)
    async def poll(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        results = await self.watcher.poll_now(self.curators.member(interaction))
        await interaction.followup.send(
            poll_text(results), ephemeral=True, allowed_mentions=NO_PINGS
        )

    @feed.command(name="status", description="Each feed's last check, last error and next check")
    async def status(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        statuses = await self.watcher.status(self.curators.member(interaction))
        await interaction.followup.send(embed=status_embed(statuses), ephemeral=True)

    @feed.command(name="credits", description="Who got links into the latest issues")
    async def credits(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        credits = await self.announcer.credits(self.curators.member(interaction))
        await interaction.followup.send(
            credits_text(credits, escape), ephemeral=True, allowed_mentions=NO_PINGS
        )
