"""The shortlist as Markdown, ready to paste into the issue's draft."""

from __future__ import annotations

from bot.models import Shortlist, votes_label


def cycle_title(shortlist: Shortlist) -> str:
    cycle = shortlist.cycle
    if cycle.is_open:
        return f"Shortlist for the next issue (cycle {cycle.id}, open)"
    if cycle.issue is not None:
        return f"Shortlist of cycle {cycle.id} (closed by {cycle.issue.title})"
    return f"Shortlist of cycle {cycle.id} (closed)"


def shortlist_markdown(shortlist: Shortlist) -> str:
    lines = [f"# {cycle_title(shortlist)}", ""]
    if not shortlist.ranked:
        lines.append("No suggestions yet.")
    for rank, tally in enumerate(shortlist.ranked, start=1):
        suggestion = tally.suggestion
        line = f"{rank}. [{suggestion.url}]({suggestion.url}) ({votes_label(tally.votes)})"
        if suggestion.note:
            line += f" — {suggestion.note}"
        lines.append(f"{line} — suggested by {suggestion.author.name}")
    return "\n".join(lines) + "\n"
