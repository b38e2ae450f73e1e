"""/suggest, /shortlist and reaction votes on Discord."""

from __future__ import annotations

import io
import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.ballot import Ballot
from bot.cards import CardRefresher
from bot.errors import DuplicateSuggestion, SelfVote, UserFacingError
from bot.models import CardRef, Member, Shortlist, Suggestion, Tally
from bot.text import shortlist_markdown, suggested_reply
from cogs.discord_bot.members import Curators, reactor
from cogs.discord_bot.render import (
    NO_PINGS,
    PLATFORM,
    card_embed,
    shortlist_embed,
)

log = logging.getLogger(__name__)

REACTION_PAGE = 100  # the most users Discord returns in one page of a reaction


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
        curators: Curators,
        *,
        suggestions_channel_id: int | None,
        vote_emoji: str,
        refresh_interval: float = 10.0,
    ) -> None:
        self.bot = bot
        self.ballot = ballot
        self.curators = curators
        self.suggestions_channel_id = suggestions_channel_id
        self.emoji = discord.PartialEmoji.from_str(vote_emoji)
        self.refresher = CardRefresher(ballot, PLATFORM, self._edit_card, interval=refresh_interval)

    async def cog_unload(self) -> None:
        await self.refresher.flush()

    # Suggesting

    @app_commands.command(name="suggest", description="Suggest a link for the next issue")
    @app_commands.describe(
        url="The link to suggest", note="Why it belongs in the next issue (280 characters at most)"
    )
    @app_commands.guild_only()
    async def suggest(
        self, interaction: discord.Interaction, url: str, note: str | None = None
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        member = self.curators.member(interaction)
        try:
            result = await self.ballot.suggest(member, url, note or "")
        except DuplicateSuggestion as duplicate:
            link = await self._card_link(duplicate.suggestion, interaction.guild_id)
            where = f"\nIts card: {link}" if link else ""
            await interaction.followup.send(
                f"{duplicate.message}{where}", ephemeral=True, allowed_mentions=NO_PINGS
            )
            return

        channel_id = self.suggestions_channel_id or interaction.channel_id
        assert channel_id is not None
        message = await self._post_card(
            channel_id, interaction.guild_id, result.suggestion, is_new=result.is_new
        )
        text = suggested_reply(result, message.jump_url, here="this server")
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_PINGS)

    async def _post_card(
        self, channel_id: int, guild_id: int | None, suggestion: Suggestion, *, is_new: bool
    ) -> discord.Message:
        # With its guild, the message's jump_url points into the server rather than at DMs.
        channel = self.bot.get_partial_messageable(channel_id, guild_id=guild_id)
        tally = await self.ballot.tally(suggestion)
        try:
            message = await channel.send(
                embed=card_embed(tally, str(self.emoji)), allowed_mentions=NO_PINGS
            )
        except discord.HTTPException as error:
            log.warning("Could not post a card in channel %s: %s", channel_id, error)
            if is_new:
                await self.ballot.withdraw(suggestion)
            raise UserFacingError(
                f"I couldn't post the suggestion card in <#{channel_id}> (Discord said: "
                f"{error.text or error.status}). Please ask an admin to let me send messages and "
                "embed links there; nothing was saved."
            ) from error
        await self.ballot.attach_card(
            suggestion, CardRef(PLATFORM, str(channel_id), str(message.id))
        )
        try:
            await message.add_reaction(self.emoji)
        except discord.HTTPException as error:
            log.warning("Could not add the vote reaction to card %s: %s", message.id, error)
        return message

    async def _card_link(self, suggestion: Suggestion, guild_id: int | None) -> str | None:
        for card in await self.ballot.cards_of(suggestion):
            if card.platform == PLATFORM:
                channel = self.bot.get_partial_messageable(int(card.channel_id), guild_id=guild_id)
                return channel.get_partial_message(int(card.message_id)).jump_url
        return None

    async def _edit_card(self, card: CardRef, tally: Tally, closed: bool) -> None:
        message = self.bot.get_partial_messageable(int(card.channel_id)).get_partial_message(
            int(card.message_id)
        )
        await message.edit(embed=card_embed(tally, str(self.emoji), closed=closed))

    # Voting

    def _is_vote(self, payload_emoji: discord.PartialEmoji) -> bool:
        if self.emoji.id is not None:
            return payload_emoji.id == self.emoji.id
        return payload_emoji.id is None and payload_emoji.name == self.emoji.name

    def _voter(self, payload: discord.RawReactionActionEvent) -> Member | None:
        if payload.guild_id is None or not self._is_vote(payload.emoji):
            return None
        if self.bot.user is not None and payload.user_id == self.bot.user.id:
            return None  # the bot's own reaction is only the button
        return reactor(payload.user_id, payload.member)

    @commands.Cog.listener()
    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        voter = self._voter(payload)
        if voter is None:
            return
        card = CardRef(PLATFORM, str(payload.channel_id), str(payload.message_id))
        try:
            await self.ballot.vote_on_card(card, voter)
        except SelfVote:
            await self._remove_self_vote(payload)

    @commands.Cog.listener()
    async def on_raw_reaction_remove(self, payload: discord.RawReactionActionEvent) -> None:
        voter = self._voter(payload)
        if voter is None:
            return
        card = CardRef(PLATFORM, str(payload.channel_id), str(payload.message_id))
        await self.ballot.unvote_on_card(card, voter)

    async def _remove_self_vote(self, payload: discord.RawReactionActionEvent) -> None:
        """Keep Discord's visible count honest where the bot may manage messages."""
        message = self.bot.get_partial_messageable(payload.channel_id).get_partial_message(
            payload.message_id
        )
        try:
            await message.remove_reaction(payload.emoji, discord.Object(payload.user_id))
        except discord.Forbidden:
            log.debug("No Manage Messages in %s: self-vote left visible", payload.channel_id)
        except discord.HTTPException as error:
            log.warning("Could not remove a self-vote reaction: %s", error)

    @commands.Cog.listener()
    async def on_raw_message_delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        card = CardRef(PLATFORM, str(payload.channel_id), str(payload.message_id))
        withdrawn = await self.ballot.withdraw_card(card)
        if withdrawn is not None:
            log.info("Card of #%d deleted by a moderator: suggestion withdrawn", withdrawn.number)

    @commands.Cog.listener()
    async def on_raw_bulk_message_delete(self, payload: discord.RawBulkMessageDeleteEvent) -> None:
        for message_id in payload.message_ids:
            await self.ballot.withdraw_card(
                CardRef(PLATFORM, str(payload.channel_id), str(message_id))
            )

    async def recover_votes(self) -> None:
        """Bring stored votes in line with the reactions on every open card."""
        cards = await self.ballot.open_cards(PLATFORM)
        recovered = 0
        for card, suggestion in cards:
            try:
                reactors = await self._reactors(card)
            except discord.NotFound:
                await self.ballot.withdraw_card(card)
                log.info("Card of #%d is gone: suggestion withdrawn", suggestion.number)
                continue
            except discord.HTTPException as error:
                log.warning("Could not read the reactions on card %s: %s", card, error)
                continue
            await self.ballot.reconcile_card(card, reactors)
            recovered += 1
        log.info("Recovered votes on %d of %d cards", recovered, len(cards))

    async def _reactors(self, card: CardRef) -> list[Member]:
        """Everyone who reacted with the vote emoji, normal and super reactions, every page."""
        found: dict[int, Member] = {}
        emoji = str(self.emoji) if self.emoji.id is None else f"{self.emoji.name}:{self.emoji.id}"
        for reaction_type in (0, 1):
            after: int | None = None
            while True:
                page = await self.bot.http.get_reaction_users(
                    card.channel_id, card.message_id, emoji, REACTION_PAGE, after, reaction_type
                )
                for user in page:
                    user_id = int(user["id"])
                    found[user_id] = Member(
                        PLATFORM,
                        str(user_id),
                        user.get("global_name") or user["username"],
                        is_bot=bool(user.get("bot")),
                    )
                if len(page) < REACTION_PAGE:
                    break
                after = int(page[-1]["id"])
        if self.bot.user is not None:
            found.pop(self.bot.user.id, None)
        return list(found.values())

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
        files = [_markdown_file(shortlist)] if truncated else []
        await interaction.followup.send(
            embed=embed, files=files, ephemeral=True, allowed_mentions=NO_PINGS
        )

    @shortlist.command(name="export", description="The full shortlist as Markdown for the draft")
    @app_commands.describe(cycle="An earlier cycle's number (default: the open one)")
    async def shortlist_export(
        self, interaction: discord.Interaction, cycle: app_commands.Range[int, 1] | None = None
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        member = self.curators.member(interaction)
        shortlist = await self.ballot.shortlist(member, cycle_id=cycle)
        await interaction.followup.send(
            f"Shortlist of cycle {shortlist.cycle.id}, {shortlist.total} suggestions:",
            file=_markdown_file(shortlist),
            ephemeral=True,
        )

    @shortlist.command(name="close", description="Close this cycle's ballot and open the next")
    async def shortlist_close(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        member = self.curators.member(interaction)
        before = await self.ballot.shortlist(member)
        rollover = await self.ballot.close_cycle(member)
        await interaction.followup.send(
            f"Closed cycle {rollover.closed.id} with {before.total} suggestion"
            f"{'' if before.total == 1 else 's'}; its shortlist is frozen "
            f"(`/shortlist show cycle:{rollover.closed.id}`). Cycle {rollover.opened.id} is open "
            "for the next issue.",
            ephemeral=True,
        )


def _markdown_file(shortlist: Shortlist) -> discord.File:
    data = shortlist_markdown(shortlist).encode()
    return discord.File(io.BytesIO(data), filename=f"shortlist-cycle-{shortlist.cycle.id}.md")
