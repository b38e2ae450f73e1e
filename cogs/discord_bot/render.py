"""Core results as Discord embeds and text. User-written text is escaped; nothing here pings."""

from __future__ import annotations

from datetime import datetime

import discord

from bot import text
from bot.models import Announcement, Author, PollResult, Shortlist, Tally
from bot.status import FeedStatus
from bot.text import credits_line, cut, cycle_title, day, plural, votes_with_split

PLATFORM = "discord"
BRAND = discord.Colour.from_rgb(88, 101, 242)
EMBED_DESCRIPTION_LIMIT = 4096
NO_PINGS = discord.AllowedMentions.none()


def escape(text: str) -> str:
    """Markdown and mentions neutralised: user text shows as written and pings nobody."""
    return discord.utils.escape_mentions(discord.utils.escape_markdown(text))


def author_text(author: Author) -> str:
    if author.platform == PLATFORM:
        return f"<@{author.id}>"  # shown as a mention; embeds and NO_PINGS never notify
    return f"{escape(author.name)} (on {author.platform.capitalize()})"


def card_embed(tally: Tally, emoji: str, *, closed: bool = False) -> discord.Embed:
    suggestion = tally.suggestion
    about = [f"*{escape(suggestion.description)}*"] if suggestion.description else []
    embed = discord.Embed(
        title=cut(f"#{suggestion.number} · {escape(suggestion.label)}", 256),
        url=suggestion.url,
        description="\n\n".join([*about, escape(suggestion.note)]).strip() or None,
        colour=discord.Colour.dark_grey() if closed else BRAND,
    )
    embed.add_field(name="Suggested by", value=author_text(suggestion.author), inline=True)
    embed.add_field(name="Votes", value=votes_with_split(tally), inline=True)
    if closed:
        embed.set_footer(text="Voting closed: this ballot is frozen")
    else:
        embed.set_footer(text=f"React with {emoji} to vote · for the next issue")
    return embed


def shortlist_lines(shortlist: Shortlist) -> list[str]:
    lines = []
    for rank, tally in enumerate(shortlist.ranked, start=1):
        suggestion = tally.suggestion
        title = f"{escape(cut(suggestion.title, 100))} " if suggestion.title else ""
        line = f"**{rank}.** {votes_with_split(tally)} · #{suggestion.number} {title}"
        line += f"<{suggestion.url}>"
        if suggestion.note:
            line += f" — {escape(cut(suggestion.note, 280))}"
        lines.append(f"{line} — {author_text(suggestion.author)}")
    return lines


def shortlist_embed(shortlist: Shortlist) -> tuple[discord.Embed, bool]:
    """The ranked list in one embed; True if it had to be cut (send the full list as a file)."""
    lines = shortlist_lines(shortlist) or ["No suggestions yet."]
    kept: list[str] = []
    size = 0
    for line in lines:
        if size + len(line) + 1 > EMBED_DESCRIPTION_LIMIT - 100:
            break
        kept.append(line)
        size += len(line) + 1
    missing = shortlist.total - len(kept) if shortlist.ranked else 0
    truncated = len(kept) < len(lines)
    if missing > 0:
        kept.append(f"… and {missing} more" + (" (full list attached)" if truncated else ""))
    embed = discord.Embed(
        title=cut(cycle_title(shortlist), 256), description="\n".join(kept), colour=BRAND
    )
    embed.set_footer(
        text=f"{plural(shortlist.total, 'suggestion')} · ranked by votes, ties to the earlier one"
    )
    return embed, truncated


def announcement_embed(announcement: Announcement) -> discord.Embed:
    embed = discord.Embed(
        title=cut(f"New issue: {announcement.title}", 256),
        url=announcement.link or None,
        description=escape(announcement.summary) or None,
        colour=BRAND,
        timestamp=announcement.published,
    )
    if announcement.feed_title:
        embed.set_author(name=cut(announcement.feed_title, 256))
    if announcement.published:
        embed.add_field(name="Published", value=day(announcement.published), inline=True)
    if announcement.credits:
        thanks = credits_line([escape(name) for name in announcement.credits])
        embed.add_field(name="From the ballot", value=cut(thanks, 1024), inline=False)
    embed.add_field(
        name="Next issue",
        value="Suggestions are open: use `/suggest` to propose a link, and vote on the cards.",
        inline=False,
    )
    return embed


def poll_text(results: list[PollResult]) -> str:
    return text.poll_text(results, escape=escape, address=_address)


def status_embed(statuses: list[FeedStatus]) -> discord.Embed:
    embed = discord.Embed(title="Feed status", colour=BRAND)
    if not statuses:
        embed.description = "No feeds are configured (FEED_URLS)."
    for status in statuses[:25]:
        heading, lines = text.feed_status_lines(  # a field's name shows no code span
            status, escape=escape, address=_plain_address, when=_when
        )
        embed.add_field(name=cut(heading, 256), value=cut("\n".join(lines), 1024), inline=False)
    return embed


def _address(url: str) -> str:
    return f"`{cut(url, 200)}`"


def _plain_address(url: str) -> str:
    return cut(url, 200)


def _when(moment: datetime | None, otherwise: str) -> str:  # Discord shows it in local time
    return discord.utils.format_dt(moment, "R") if moment is not None else otherwise
