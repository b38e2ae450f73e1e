"""The Discord front end: slash commands, reaction votes and announcements on discord.py."""

from cogs.discord_bot.frontend import DiscordFrontEnd, configure_library

__all__ = ["DiscordFrontEnd", "configure_library"]
