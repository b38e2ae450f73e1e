"""Core results as Slack Block Kit. Every user-written string is escaped, so nobody can inject
`<!channel>` or a user mention; submitters are shown by name, never mentioned."""

from __future__ import annotations

from typing import Any

from bot import text
from bot.models import Announcement, Author, PollResult, Shortlist, Tally
from bot.settings import SlackSettings
from bot.status import FeedStatus
from bot.text import (
    credits_line,
    cut,
    cycle_title,
    day,
    plural,
    votes_label,
    votes_with_split,
)

PLATFORM = "slack"
Block = dict[str, Any]
SECTION_LIMIT = 3000
MAX_BLOCKS = 50


def escape(text: str) -> str:
    """Slack's three control characters, as its docs ask."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def link(url: str, label: str | None = None) -> str:
    return f"<{escape(url)}|{escape(cut(label or url, 200))}>"


def author_text(author: Author) -> str:
    where = "" if author.platform == PLATFORM else f" (on {author.platform.capitalize()})"
    return escape(author.name) + where


def _mrkdwn(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": cut(text, SECTION_LIMIT)}}


def _context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": cut(text, SECTION_LIMIT)}]}


def card(tally: Tally, reaction: str, *, closed: bool = False) -> tuple[str, list[Block]]:
    """A suggestion card: (fallback text, blocks)."""
    suggestion = tally.suggestion
    lines = [f"*#{suggestion.number}* {link(suggestion.url, suggestion.title or None)}"]
    if suggestion.description:
        lines.append(f"_{escape(cut(suggestion.description, 300))}_")
    if suggestion.note:
        lines.append(escape(suggestion.note))
    blocks = [
        _mrkdwn("\n".join(lines)),
        _context(
            f"Suggested by {author_text(suggestion.author)} · *{votes_with_split(tally)}* · "
            + ("voting closed" if closed else f"react with :{reaction}: to vote for the next issue")
        ),
    ]
    fallback = (
        f"Suggestion #{suggestion.number}: {escape(suggestion.label)} ({votes_label(tally.votes)})"
    )
    return fallback, blocks


def shortlist(shortlist: Shortlist, command: str = "/shortlist") -> tuple[str, list[Block]]:
    title = cycle_title(shortlist)
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": cut(title, 150)}}
    ]
    if not shortlist.ranked:
        blocks.append(_mrkdwn("No suggestions yet."))
    room = MAX_BLOCKS - 3
    for rank, tally in enumerate(shortlist.ranked[:room], start=1):
        suggestion = tally.suggestion
        page = link(suggestion.url, suggestion.title or None)
        line = f"*{rank}.* {votes_with_split(tally)} · #{suggestion.number} {page}"
        if suggestion.note:
            line += f"\n{escape(suggestion.note)}"
        blocks.append(_mrkdwn(f"{line}\n_suggested by {author_text(suggestion.author)}_"))
    shown = min(len(shortlist.ranked), room)
    if shown < shortlist.total:
        blocks.append(
            _context(f"… and {shortlist.total - shown} more: `{command} export` has them all.")
        )
    blocks.append(
        _context(
            f"{plural(shortlist.total, 'suggestion')} · ranked by votes, ties to the earlier one"
        )
    )
    return title, blocks


def announcement(
    item: Announcement, command: str = "/suggest", ping: str | None = None
) -> tuple[str, list[Block]]:
    """The announcement; `ping` is a user group to mention (`<!subteam^S…>`), if any."""
    title = f"New issue: {item.title}"
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": cut(title, 150)}}
    ]
    if ping is not None:
        blocks.append(_mrkdwn(f"<!subteam^{ping}>"))
    body = link(item.link, item.title) if item.link else escape(item.title)
    if item.summary:
        body += f"\n{escape(item.summary)}"
    blocks.append(_mrkdwn(body))
    context = [escape(item.feed_title)] if item.feed_title else []
    if item.published:
        context.append(f"published {day(item.published)}")
    if context:
        blocks.append(_context(" · ".join(context)))
    if item.credits:
        blocks.append(_mrkdwn(credits_line([escape(name) for name in item.credits])))
    blocks.append(
        _mrkdwn(
            f"Suggestions for the next issue are open: `{command} &lt;link&gt; [note]`, "
            "then vote with reactions."
        )
    )
    fallback = escape(title) if ping is None else f"<!subteam^{ping}> {escape(title)}"
    return fallback, blocks


def digest(standings: Shortlist, settings: SlackSettings) -> tuple[str, list[Block]]:
    """The weekly digest: the top few, and how to vote or suggest."""
    title = f"This week's top {len(standings.ranked)} for the next issue"
    _, ranked = shortlist(standings, settings.commands.shortlist)
    ranked[0] = {"type": "header", "text": {"type": "plain_text", "text": title}}
    ranked[-1] = _context(
        f"React with :{settings.vote_reaction}: on the cards to vote · "
        f"`{settings.commands.suggest} &lt;link&gt;` to suggest one"
    )
    return title, ranked


def as_written(text: str) -> list[Block]:
    """A message in the community's own words (ANNOUNCEMENT_TEMPLATE, already escaped)."""
    return [_mrkdwn(text)]


def poll(results: list[PollResult]) -> str:
    return text.poll_text(results, escape=escape, address=_address)


def feed_status(statuses: list[FeedStatus], command: str = "/shortlist") -> tuple[str, list[Block]]:
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Feed status"}}
    ]
    if not statuses:
        blocks.append(_mrkdwn("No feeds are configured (FEED_URLS)."))
    for status in statuses[: MAX_BLOCKS - 1]:
        heading, lines = text.feed_status_lines(
            status, escape=escape, address=_address, poll=f"`{command} poll`"
        )
        blocks.append(_mrkdwn("\n".join([f"*{heading}*", *lines])))
    return "Feed status", blocks


def _address(url: str) -> str:
    return f"`{escape(url)}`"
