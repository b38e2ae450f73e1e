"""Rows into the core's models: the one place storage turns SQL results into dataclasses."""

from __future__ import annotations

from collections import defaultdict

from bot.models import Author, Suggestion, Tally
from storage.sql import Row, moment

SUGGESTION_COLUMNS = (
    "s.id, s.cycle_id, s.number, s.url, s.note, s.author_platform, s.author_id, s.author_name,"
    " s.created_at, s.title, s.description"
)

# Suggestions with their per-platform tallies, one row per (suggestion, platform), for `fold`.
WITH_TALLIES = (
    f"SELECT {SUGGESTION_COLUMNS}, t.platform AS tally_platform, t.votes AS tally_votes"
    " FROM suggestions s LEFT JOIN tallies t ON t.suggestion_id = s.id AND t.votes > 0"
)


def suggestion_from(row: Row) -> Suggestion:
    return Suggestion(
        id=row["id"],
        cycle_id=row["cycle_id"],
        number=row["number"],
        url=row["url"],
        note=row["note"],
        author=Author(row["author_platform"], row["author_id"], row["author_name"]),
        created_at=moment(row["created_at"]),
        title=row["title"],
        description=row["description"],
    )


def fold(rows: list[Row]) -> list[Tally]:
    """One row per (suggestion, platform) into one tally per suggestion, keeping their order."""
    suggestions: dict[int, Suggestion] = {}
    counts: defaultdict[int, dict[str, int]] = defaultdict(dict)
    for row in rows:
        suggestion = suggestions.get(row["id"])
        if suggestion is None:
            suggestion = suggestions[row["id"]] = suggestion_from(row)
        if row["tally_platform"] is not None:
            counts[suggestion.id][row["tally_platform"]] = row["tally_votes"]
    return [Tally(suggestion, counts[suggestion.id]) for suggestion in suggestions.values()]
