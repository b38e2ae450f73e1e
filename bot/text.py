"""Renderings every front end shares: headings, dates, plurals, the Markdown export."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from bot.models import (
    Announcement,
    Credit,
    FeaturedIssue,
    PollResult,
    Rollover,
    Shortlist,
    Suggested,
    Tally,
    Why,
)
from bot.status import FeedStatus

GENERIC_APOLOGY = "Sorry, something went wrong on my side; it has been logged."
SELF_VOTE = "You can't vote for your own suggestion."


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def cut(text: str, limit: int) -> str:
    """`text` in at most `limit` characters: cut with an ellipsis to fit a platform's field."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def votes_label(count: int) -> str:
    return plural(count, "vote")


def moment(when: datetime | None, *, never: str = "never") -> str:
    return when.strftime("%Y-%m-%d %H:%M UTC") if when is not None else never


def day(when: datetime | None) -> str:
    return when.strftime("%d %B %Y").lstrip("0") if when is not None else ""


def votes_with_split(tally: Tally) -> str:
    """`3 votes`, or with more than one platform voting, `3 votes (Discord 2 · Slack 1)`."""
    if len(tally.by_platform) < 2:
        return votes_label(tally.votes)
    parts = " · ".join(
        f"{platform.capitalize()} {count}" for platform, count in sorted(tally.by_platform.items())
    )
    return f"{votes_label(tally.votes)} ({parts})"


def suggested_reply(result: Suggested, card_link: str, *, here: str) -> str:
    """What the member hears after /suggest posted a card (`here`: this server, Slack…)."""
    number = result.suggestion.number
    if result.is_new:
        return f"Suggested #{number} for the next issue: {card_link}{suggested_before(result)}"
    origin = result.suggestion.author.platform.capitalize()
    return (
        f"That link was already suggested on {origin} as #{number}; here is its card for "
        f"{here}, votes are counted together: {card_link}"
    )


def suggested_before(result: Suggested) -> str:
    """ " (It was suggested before, …)" when an earlier cycle had the link; else ""."""
    if result.before is None:
        return ""
    earlier = result.before.suggestion
    return (
        f"\nIt was suggested before, in cycle {earlier.cycle_id} on {day(earlier.created_at)}, "
        f"and had {votes_label(result.before.votes)} then; no issue has featured it yet."
    )


def credits_line(names: Sequence[str]) -> str:
    """ "Thanks to A, B and C, whose suggestions made it into this issue." (names as given:
    the caller escapes them for its platform)."""
    if not names:
        return ""
    listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
    whose = "whose suggestion" if len(names) == 1 else "whose suggestions"
    return f"Thanks to {listed}, {whose} made it into this issue."


def credits_text(credits: Sequence[Credit], escape: Callable[[str], str] = str) -> str:
    """`/shortlist credits`: one line per recent issue, names escaped for the platform."""
    if not credits:
        return "No issue has carried a link from the ballot yet."
    lines = ["Links from the ballot in the latest issues:"]
    for credit in credits:
        when = f" ({day(credit.published)})" if credit.published else ""
        names = ", ".join(escape(name) for name in credit.names)
        lines.append(f"• {escape(credit.issue)}{when}: {names}")
    return "\n".join(lines)


REASONS = {
    "self": "by its author",
    "bot": "by a bot",
    "closed": "after its cycle closed",
    "withdrawn": "after it was withdrawn",
}


def why_text(why: Why, escape: Callable[[str], str] = str) -> str:
    """`/shortlist why <n>`: the count by platform, what was merged in, what did not count."""
    suggestion = why.tally.suggestion
    lines = [f"#{suggestion.number} {escape(suggestion.label)}: {votes_with_split(why.tally)}"]
    if why.merged:
        merged = "; ".join(
            f"#{other.number} {escape(other.url)} (suggested by {escape(other.author.name)})"
            for other in why.merged
        )
        lines.append(f"Merged into it (the same link): {merged}")
    else:
        lines.append("No other submission was merged into it.")
    if why.uncounted:
        parts = [
            f"{count} {REASONS.get(reason, reason)} ({platform})"
            for reason, platform, count in why.uncounted
        ]
        lines.append("Reactions that did not count: " + "; ".join(parts))
    else:
        lines.append("Every reaction on its cards counted.")
    return "\n".join(lines)


def already_featured(issue: FeaturedIssue | None, *, curator: bool) -> str:
    if issue is None:
        text = "That link was already featured in an earlier issue of the newsletter."
    else:
        when = f", published {day(issue.published)}" if issue.published else ""
        text = f"That link was already featured in {issue.title}{when}: {issue.link}"
    if curator:
        text += "\nCurators can add it anyway: suggest it again with `anyway` before the link."
    return text


PLACEHOLDERS = ("title", "link", "date", "summary", "feed", "mention", "credits")


def fill_template(
    template: str,
    announcement: Announcement,
    escape: Callable[[str], str],
    mention: str = "",
    *,
    escape_link: Callable[[str], str],
) -> str:
    """ANNOUNCEMENT_TEMPLATE filled in: the feed's words escaped for the platform (its link by
    `escape_link`, which keeps it a working link), `mention` as the platform writes a ping (or
    empty). The credits follow on a line of their own unless the template places them with
    {credits}."""
    credits = credits_line([escape(name) for name in announcement.credits])
    values = {
        "title": escape(announcement.title),
        "link": escape_link(announcement.link),
        "date": day(announcement.published),
        "summary": escape(announcement.summary),
        "feed": escape(announcement.feed_title),
        "mention": mention,
        "credits": credits,
    }
    filled = template.format_map(values).strip()
    if credits and "{credits}" not in template:
        filled += "\n" + credits
    return filled


def closed_reply(rollover: Rollover, *, show: str = "") -> str:
    """What a curator hears after closing a cycle (`show`: how to see its shortlist there)."""
    frozen = f"its shortlist is frozen ({show})" if show else "its shortlist is frozen"
    closed = plural(rollover.suggestions, "suggestion")
    return (
        f"Closed cycle {rollover.closed.id} with {closed}; {frozen}. "
        f"Cycle {rollover.opened.id} is open for the next issue."
    )


def cycle_title(shortlist: Shortlist) -> str:
    cycle = shortlist.cycle
    if cycle.is_open:
        return f"Shortlist for the next issue (cycle {cycle.id}, open)"
    if cycle.issue is not None:
        return f"Shortlist of cycle {cycle.id} (closed by {cycle.issue.title})"
    return f"Shortlist of cycle {cycle.id} (closed)"


Escape = Callable[[str], str]
When = Callable[[datetime | None, str], str]  # a time as the platform shows it; the word if none


def poll_text(results: Sequence[PollResult], *, escape: Escape = str, address: Escape = str) -> str:
    """`/poll`: one line per feed checked (`address` shows a feed's URL on the platform)."""
    lines = [f"Checked {plural(len(results), 'feed')}:"]
    lines += [f"• {address(result.source)}: {escape(result.summary)}" for result in results]
    return "\n".join(lines)


def feed_status_lines(
    status: FeedStatus,
    *,
    escape: Escape = str,
    address: Escape = str,
    when: When | None = None,
    poll: str = "/poll",
) -> tuple[str, list[str]]:
    """`/feed status` for one feed: its heading and its lines, the same on every platform (the
    front end puts them in an embed field, a block or the terminal)."""
    shown = when or (lambda at, never: moment(at, never=never))
    heading = f"{escape(status.title or 'Feed')} — {address(status.source)}"
    lines = [
        f"Next check: disabled (410 Gone; {poll} tries it again)"
        if status.disabled
        else f"Next check: {shown(status.next_check, 'soon')}",
        f"Last check: {shown(status.last_check, 'not since start-up')}"
        f" · last success: {shown(status.last_success, 'never')}"
        f" · issues known: {status.entries}",
    ]
    if status.fetch_url != status.source:
        lines.append(f"Moved permanently to {address(status.fetch_url)}")
    if status.last_error:
        lines.append(
            f"Last error ({shown(status.last_error_at, 'just now')}):"
            f" {escape(cut(status.last_error, 200))}"
            + (f" · {plural(status.failures, 'failure')} in a row" if status.failures else "")
        )
    lines += [f"Not yet announced in {escape(cut(owed, 150))}" for owed in status.undelivered]
    return heading, lines
