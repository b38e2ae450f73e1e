"""Who is acting, in the core's terms: Discord users and members become `bot.models.Member`."""

from __future__ import annotations

import discord

from bot.models import Member
from cogs.discord_bot.render import PLATFORM


class Curators:
    """Curators are members with a configured curator role, or with Manage Server."""

    def __init__(self, role_ids: tuple[int, ...]) -> None:
        self._role_ids = frozenset(role_ids)

    def includes(self, user: discord.abc.User, permissions: discord.Permissions | None) -> bool:
        if permissions is not None and (permissions.manage_guild or permissions.administrator):
            return True
        if isinstance(user, discord.Member):
            return any(role.id in self._role_ids for role in user.roles)
        return False

    def member(self, interaction: discord.Interaction) -> Member:
        user = interaction.user
        curator = interaction.guild_id is not None and self.includes(user, interaction.permissions)
        return Member(
            PLATFORM, str(user.id), user.display_name, is_curator=curator, is_bot=user.bot
        )
