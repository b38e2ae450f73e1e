"""Core results as console text: plain lines, as a terminal shows them."""

from __future__ import annotations

from bot.models import Announcement, Shortlist, Tally
from bot.status import FeedStatus
from bot.text import credits_line, cycle_title, day, moment, plural, votes_label


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
    title = f" ({status.title})" if status.title else ""
    state = (
        "disabled (/poll tries it again)"
        if status.disabled
        else f"next check {moment(status.next_check)}"
    )
    lines = [
        f"Feed {status.source}{title}: {state}",
        f"  last check: {moment(status.last_check, never='not since start-up')}"
        f" · last success: {moment(status.last_success)} · issues known: {status.entries}",
    ]
    if status.fetch_url != status.source:
        lines.append(f"  moved permanently to {status.fetch_url}")
    if status.last_error:
        lines.append(
            f"  last error ({moment(status.last_error_at)}): {status.last_error}"
            + (f" · {plural(status.failures, 'failure')} in a row" if status.failures else "")
        )
    lines += [f"  not yet announced in {owed}" for owed in status.undelivered]
    return "\n".join(lines)


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
