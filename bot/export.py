"""The shortlist as the draft needs it: Markdown a curator pastes into the next issue, or CSV for
a spreadsheet. Both carry each page's title (see bot/pages.py) when it is known."""

from __future__ import annotations

import csv
import io
import re

from bot.models import Shortlist, Suggestion
from bot.text import cycle_title, votes_label

CSV_COLUMNS = (
    "rank",
    "votes",
    "votes_by_platform",
    "number",
    "title",
    "url",
    "note",
    "description",
    "submitter",
    "submitter_platform",
    "suggested_at",
)


def markdown(shortlist: Shortlist) -> str:
    """`1. [Title](url) — note (suggested by X · N votes)`, one line per suggestion."""
    lines = [f"# {cycle_title(shortlist)}", ""]
    if not shortlist.ranked:
        lines.append("No suggestions yet.")
    for rank, tally in enumerate(shortlist.ranked, start=1):
        suggestion = tally.suggestion
        line = f"{rank}. [{_link_text(suggestion)}]({_target(suggestion.url)})"
        if suggestion.note:
            line += f" — {_plain(suggestion.note)}"
        by = _plain(suggestion.author.name)
        lines.append(f"{line} (suggested by {by} · {votes_label(tally.votes)})")
    return "\n".join(lines) + "\n"


def csv_text(shortlist: Shortlist) -> str:
    """One row per suggestion, ranked; cells that a spreadsheet would run as formulas are
    quoted so that they stay text."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for rank, tally in enumerate(shortlist.ranked, start=1):
        suggestion = tally.suggestion
        by_platform = "; ".join(
            f"{name} {count}" for name, count in sorted(tally.by_platform.items())
        )
        writer.writerow(
            [
                rank,
                tally.votes,
                by_platform,
                suggestion.number,
                _cell(suggestion.title),
                _cell(suggestion.url),
                _cell(suggestion.note),
                _cell(suggestion.description),
                _cell(suggestion.author.name),
                suggestion.author.platform,
                suggestion.created_at.isoformat(timespec="seconds"),
            ]
        )
    return out.getvalue()


def filename(shortlist: Shortlist, extension: str) -> str:
    return f"shortlist-cycle-{shortlist.cycle.id}.{extension}"


def document(shortlist: Shortlist, *, csv: bool = False) -> tuple[str, str]:
    """The export as a file: its name and its text, Markdown unless `csv`."""
    if csv:
        return filename(shortlist, "csv"), csv_text(shortlist)
    return filename(shortlist, "md"), markdown(shortlist)


def _link_text(suggestion: Suggestion) -> str:
    """Inside a link's brackets nothing is linked again: only markup is escaped."""
    return _MARKUP.sub(r"\\\1", _one_line(suggestion.label))


# What members wrote stays text in the draft: no link, image, HTML, emphasis or code of theirs
# comes alive (a backslash before ASCII punctuation is always a literal in CommonMark), and a
# bare address is kept from being linked by GitHub-flavoured renderers.
_MARKUP = re.compile(r"([\\`*_\[\]<>!|~&#])")
_BARE_LINK = re.compile(r"(?i)\b(https?|ftp)://|\b(www)\.")


def _plain(text: str) -> str:
    escaped = _MARKUP.sub(r"\\\1", _one_line(text))
    return _BARE_LINK.sub(lambda m: f"{m[1]}\\://" if m[1] else f"{m[2]}\\.", escaped)


def _target(url: str) -> str:
    return url.replace("(", "%28").replace(")", "%29").replace(" ", "%20")


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _cell(text: str) -> str:
    """Text a spreadsheet shows as text (CSV injection: =, +, -, @ would start a formula)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
