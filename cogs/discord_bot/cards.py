"""Cards on Discord: an embed with the vote reaction as its button (`bot.ports.CardPlatform`)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import discord
from discord.ext import commands

from bot.errors import CardGone, CardRefused, ChannelGone
from bot.models import CardRef, Member, Tally
from cogs.discord_bot.render import NO_PINGS, PLATFORM, card_embed

log = logging.getLogger(__name__)

REACTION_PAGE = 100  # the most users Discord returns in one page of a reaction
CLOCK_SKEW = timedelta(minutes=1)
UNKNOWN_CHANNEL = 10003  # Discord's JSON error code for a channel that does not exist


def messages_since(
    bot: discord.Client, channel_id: str, since: datetime
) -> AsyncIterator[discord.Message]:
    """The channel's messages posted since `since` (a minute earlier, for clocks that differ),
    oldest first, page by page (`after=`), however many came since."""
    channel = bot.get_partial_messageable(int(channel_id))
    after = discord.Object(discord.utils.time_snowflake(since - CLOCK_SKEW))
    return channel.history(limit=None, after=after, oldest_first=True)


class DiscordCards:
    name = PLATFORM
    place = "this server"
    bulk_edit_seconds = 0.0  # discord.py paces itself by its rate-limit buckets

    def __init__(
        self, bot: commands.Bot, emoji: discord.PartialEmoji, guild_id: int | None
    ) -> None:
        self._bot = bot
        self.emoji = emoji
        self._guild_id = guild_id

    def _message(self, card: CardRef) -> discord.PartialMessage:
        channel_id = int(card.channel_id)
        # With its guild, the message's jump_url points into the server rather than at DMs.
        channel = self._bot.get_partial_messageable(channel_id, guild_id=self._guild(channel_id))
        return channel.get_partial_message(int(card.message_id))

    def _guild(self, channel_id: int) -> int | None:
        channel = self._bot.get_channel(channel_id)
        guild = getattr(channel, "guild", None)
        if guild is not None:
            return int(guild.id)
        if self._guild_id is None and len(self._bot.guilds) == 1:
            return self._bot.guilds[0].id
        return self._guild_id

    async def post_card(self, channel_id: str, tally: Tally, key: str) -> CardRef:
        channel = self._bot.get_partial_messageable(int(channel_id))
        try:
            # The nonce (enforced) makes a repeated post return the card already made.
            message = await channel.send(
                embed=card_embed(tally, str(self.emoji)), allowed_mentions=NO_PINGS, nonce=key
            )
        except discord.HTTPException as error:
            log.warning("Could not post a card in channel %s: %s", channel_id, error)
            raise CardRefused(
                f"I couldn't post the suggestion card in <#{channel_id}> (Discord said: "
                f"{error.text or error.status}). Please ask an admin to let me send messages and "
                "embed links there; nothing was saved."
            ) from error
        await self._add_vote_reaction(message)
        return CardRef(PLATFORM, channel_id, str(message.id))

    async def find_card(
        self, channel_id: str, tally: Tally, key: str, since: datetime
    ) -> CardRef | None:
        """The bot's message in the channel since `since` with this nonce, or showing this
        suggestion (its number and link: an earlier cycle's card of the same link is not it)."""
        suggestion = tally.suggestion
        title = f"#{suggestion.number} · "
        async for message in messages_since(self._bot, channel_id, since):
            if self._bot.user is None or message.author.id != self._bot.user.id:
                continue
            if str(message.nonce) == key or any(
                embed.url == suggestion.url and (embed.title or "").startswith(title)
                for embed in message.embeds
            ):
                await self._add_vote_reaction(message)  # the crash may have come before it
                return CardRef(PLATFORM, channel_id, str(message.id))
        return None

    async def _add_vote_reaction(self, message: discord.Message) -> None:
        try:
            await message.add_reaction(self.emoji)
        except discord.HTTPException as error:
            log.warning("Could not add the vote reaction to card %s: %s", message.id, error)

    async def edit_card(self, card: CardRef, tally: Tally, *, closed: bool) -> None:
        embed = card_embed(tally, str(self.emoji), closed=closed)
        await self._message(card).edit(embed=embed)

    async def delete_card(self, card: CardRef) -> None:
        try:
            await self._message(card).delete()
        except discord.NotFound:
            return  # deleted already

    async def card_link(self, card: CardRef) -> str:
        return self._message(card).jump_url

    async def reactors(self, card: CardRef) -> list[Member]:
        """Everyone who reacted with the vote emoji, normal and super reactions, every page."""
        found: dict[int, Member] = {}
        emoji = self.emoji
        key = str(emoji) if emoji.id is None else f"{emoji.name}:{emoji.id}"
        for reaction_type in (0, 1):
            after: int | None = None
            while True:
                try:
                    page = await self._bot.http.get_reaction_users(
                        card.channel_id, card.message_id, key, REACTION_PAGE, after, reaction_type
                    )
                except discord.NotFound as error:
                    if error.code == UNKNOWN_CHANNEL:
                        raise ChannelGone(card.channel_id) from error
                    raise CardGone(str(card)) from error
                for user in page:
                    found[int(user["id"])] = Member(
                        PLATFORM,
                        str(int(user["id"])),
                        user.get("global_name") or user["username"],
                        is_bot=bool(user.get("bot")),
                    )
                if len(page) < REACTION_PAGE:
                    break
                after = int(page[-1]["id"])
        if self._bot.user is not None:
            found.pop(self._bot.user.id, None)  # the bot's own reaction is only the button
        return list(found.values())
