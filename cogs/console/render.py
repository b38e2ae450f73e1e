"""Core results as console text: plain lines, as a terminal shows them."""

from __future__ import annotations

from bot import text
from bot.models import Announcement, Shortlist, Tally
from bot.status import FeedStatus
from bot.text import credits_line, cycle_title, day, plural, votes_label


def tally_line(tally: Tally) -> str:
    return f"{tally.suggestion.number} ({votes_label(tally.votes)})"


def announcement(item: Announcement) -> str:
    lines = [f"New issue: {item.title}"]
    if item.link:
        lines.append(f"  {item.link}")
    if item.published:
        lines.append(f"  Published {day(item.published)}")
    if item.summary:
        lines.append(f"  {item.summary}")
    if item.credits:
        lines.append(f"  {credits_line(item.credits)}")
    lines.append("  Suggestions for the next issue are open: /suggest <url> [note]")
    return "\n".join(lines)


def feed_status(status: FeedStatus) -> str:
    heading, lines = text.feed_status_lines(status)
    return "\n".join([f"Feed {heading}", *(f"  {line}" for line in lines)])


def shortlist(shortlist: Shortlist) -> str:
    lines = [f"{cycle_title(shortlist)}: {plural(shortlist.total, 'suggestion')}"]
    if not shortlist.ranked:
        lines.append("  No suggestions yet.")
    for rank, tally in enumerate(shortlist.ranked, start=1):
        suggestion = tally.suggestion
        lines.append(
            f"{rank:>3}. {votes_label(tally.votes):<8} #{suggestion.number} {suggestion.url}"
        )
        if suggestion.title:
            lines.append(f"       “{suggestion.title}”")
        if suggestion.note:
            lines.append(f"       {suggestion.note}")
        split = ", ".join(
            f"{platform} {count}" for platform, count in sorted(tally.by_platform.items())
        )
        suffix = f" · {split}" if len(tally.by_platform) > 1 else ""
        lines.append(f"       suggested by {suggestion.author.name}{suffix}")
    if len(shortlist.ranked) < shortlist.total:
        lines.append(f"  … and {shortlist.total - len(shortlist.ranked)} more.")
    return "\n".join(lines)
