"""/suggest, /withdraw, /note, /shortlist and reaction votes on Discord."""

from __future__ import annotations

import io
import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot import export
from bot.ballot import Ballot
from bot.cards import CardService
from bot.models import CardRef, Cast
from bot.notes import MAX_NOTE_LENGTH
from bot.text import closed_reply, why_text
from bot.urls import MAX_URL_LENGTH
from cogs.discord_bot.members import Curators
from cogs.discord_bot.render import NO_PINGS, PLATFORM, escape, shortlist_embed

log = logging.getLogger(__name__)


class BallotCog(commands.Cog):
    """Members suggest and vote; curators rank, close and export the ballot."""

    shortlist = app_commands.Group(
        name="shortlist",
        description="Curators: the suggestions for the next issue, ranked by votes",
        guild_only=True,
        default_permissions=discord.Permissions(manage_guild=True),
    )

    def __init__(
        self,
        bot: commands.Bot,
        ballot: Ballot,
        cards: CardService,
        curators: Curators,
        *,
        suggestions_channel_id: int | None,
        vote_emoji: discord.PartialEmoji,
    ) -> None:
        self.bot = bot
        self.ballot = ballot
        self.cards = cards
        self.curators = curators
        self.suggestions_channel_id = suggestions_channel_id
        self.emoji = vote_emoji

    # Suggesting

    @app_commands.command(name="suggest", description="Suggest a link for the next issue")
    @app_commands.describe(
        url="The link to suggest",
        note="Why it belongs in the next issue (280 characters at most)",
        anyway="Curators: add it even though an earlier issue featured it",
    )
    @app_commands.guild_only()
    async def suggest(
        self,
        interaction: discord.Interaction,
        # Discord enforces the limits while the member types.
        url: app_commands.Range[str, 1, MAX_URL_LENGTH],
        note: app_commands.Range[str, None, MAX_NOTE_LENGTH] | None = None,
        anyway: bool = False,
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        channel_id = self.suggestions_channel_id or interaction.channel_id
        assert channel_id is not None
        reply = await self.cards.suggest(
            self.curators.member(interaction),
            url,
            note or "",
            channel_id=str(channel_id),
            anyway=anyway,
        )
        await interaction.followup.send(reply, ephemeral=True, allowed_mentions=NO_PINGS)

    @app_commands.command(name="withdraw", description="Take back your suggestion")
    @app_commands.describe(number="The suggestion's number (#n on its card)")
    @app_commands.guild_only()
    async def withdraw(
        self, interaction: discord.Interaction, number: app_commands.Range[int, 1]
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        reply = await self.cards.withdraw(self.curators.member(interaction), number)
        await interaction.followup.send(reply, ephemeral=True, allowed_mentions=NO_PINGS)

    @app_commands.command(name="note", description="Rewrite the note of your suggestion")
    @app_commands.describe(
        number="The suggestion's number (#n on its card)",
        text="The new note (280 characters at most); leave it out to remove the note",
    )
    @app_commands.guild_only()
    async def note(
        self,
        interaction: discord.Interaction,
        number: app_commands.Range[int, 1],
        text: app_commands.Range[str, None, MAX_NOTE_LENGTH] | None = None,
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        reply = await self.cards.edit_note(self.curators.member(interaction), number, text or "")
        await interaction.followup.send(reply, ephemeral=True, allowed_mentions=NO_PINGS)

    # Voting

    def _is_vote(self, payload_emoji: discord.PartialEmoji) -> bool:
        if self.emoji.id is not None:
            return payload_emoji.id == self.emoji.id
        return payload_emoji.id is None and payload_emoji.name == self.emoji.name

    def reaction(self, payload: discord.RawReactionActionEvent) -> None:
        """The vote emoji added or removed: handed to the ballot at once, from the gateway's
        parser (`ShortlistBot.dispatch`), without a task per reaction."""
        if payload.guild_id is None or not self._is_vote(payload.emoji):
            return
        if self.bot.user is not None and payload.user_id == self.bot.user.id:
            return  # the bot's own reaction is only the button
        card = CardRef(PLATFORM, str(payload.channel_id), str(payload.message_id))
        added = payload.event_type == "REACTION_ADD"
        by_bot = payload.member is not None and payload.member.bot  # removals don't say
        self.ballot.reactions.take(Cast(PLATFORM, str(payload.user_id), added, card, bot=by_bot))

    async def remove_self_vote(self, cast: Cast) -> None:
        """Keep Discord's visible count honest where the bot may manage messages."""
        assert cast.card is not None
        channel = self.bot.get_partial_messageable(int(cast.card.channel_id))
        message = channel.get_partial_message(int(cast.card.message_id))
        try:
            await message.remove_reaction(self.emoji, discord.Object(int(cast.voter_id)))
        except discord.Forbidden:
            log.debug("No Manage Messages in %s: self-vote left visible", channel.id)
        except discord.HTTPException as error:
            log.warning("Could not remove a self-vote reaction: %s", error)

    @commands.Cog.listener()
    async def on_raw_message_delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        await self.cards.card_deleted(
            CardRef(PLATFORM, str(payload.channel_id), str(payload.message_id))
        )

    @commands.Cog.listener()
    async def on_raw_bulk_message_delete(self, payload: discord.RawBulkMessageDeleteEvent) -> None:
        for message_id in payload.message_ids:
            await self.cards.card_deleted(
                CardRef(PLATFORM, str(payload.channel_id), str(message_id))
            )

    # Curators

    @shortlist.command(name="show", description="The suggestions ranked by votes")
    @app_commands.describe(
        limit="Show only the top N", cycle="An earlier cycle's number (default: the open one)"
    )
    async def shortlist_show(
        self,
        interaction: discord.Interaction,
        limit: app_commands.Range[int, 1, 100] | None = None,
        cycle: app_commands.Range[int, 1] | None = None,
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        member = self.curators.member(interaction)
        shortlist = await self.ballot.shortlist(member, limit=limit, cycle_id=cycle)
        embed, truncated = shortlist_embed(shortlist)
        files = [_file(*export.document(shortlist))] if truncated else []
        await interaction.followup.send(
            embed=embed, files=files, ephemeral=True, allowed_mentions=NO_PINGS
        )

    @shortlist.command(name="export", description="The full shortlist as a file for the draft")
    @app_commands.describe(
        cycle="An earlier cycle's number (default: the open one)",
        format="Markdown to paste into the draft (default), or CSV for a spreadsheet",
    )
    @app_commands.choices(
        format=[
            app_commands.Choice(name="Markdown", value="md"),
            app_commands.Choice(name="CSV", value="csv"),
        ]
    )
    async def shortlist_export(
        self,
        interaction: discord.Interaction,
        cycle: app_commands.Range[int, 1] | None = None,
        format: str = "md",
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        member = self.curators.member(interaction)
        shortlist = await self.ballot.shortlist(member, cycle_id=cycle)
        await interaction.followup.send(
            f"Shortlist of cycle {shortlist.cycle.id}, {shortlist.total} suggestions:",
            file=_file(*export.document(shortlist, csv=format == "csv")),
            ephemeral=True,
        )

    @shortlist.command(name="why", description="How one suggestion came to its count")
    @app_commands.describe(
        number="The suggestion's number (#n on its card)",
        cycle="An earlier cycle's number (default: the open one)",
    )
    async def shortlist_why(
        self,
        interaction: discord.Interaction,
        number: app_commands.Range[int, 1],
        cycle: app_commands.Range[int, 1] | None = None,
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        why = await self.ballot.why(self.curators.member(interaction), number, cycle)
        await interaction.followup.send(
            why_text(why, escape), ephemeral=True, allowed_mentions=NO_PINGS
        )

    @shortlist.command(name="close", description="Close this cycle's ballot and open the next")
    async def shortlist_close(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        rollover = await self.ballot.close_cycle(self.curators.member(interaction))
        show = f"`/shortlist show cycle:{rollover.closed.id}`"
        await interaction.followup.send(closed_reply(rollover, show=show), ephemeral=True)


def _file(name: str, text: str) -> discord.File:
    return discord.File(io.BytesIO(text.encode()), filename=name)
