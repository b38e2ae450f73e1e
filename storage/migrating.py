"""The numbered, forward-only migration scripts: one folder per dialect, the same numbers."""

from __future__ import annotations

import re
from importlib import resources

_MIGRATION_NAME = re.compile(r"^(?P<version>\d{4})_[a-z0-9_]+\.sql$")


def migrations(dialect: str = "sqlite") -> list[tuple[int, str]]:
    """The scripts shipped in `storage/migrations/<dialect>`, in order."""
    found = []
    for entry in resources.files("storage").joinpath("migrations", dialect).iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match["version"]), entry.read_text(encoding="utf-8")))
    found.sort()
    versions = [version for version, _ in found]
    if versions != list(range(1, len(versions) + 1)):
        raise RuntimeError(f"Migrations must be numbered 1, 2, 3… without gaps; found {versions}")
    return found


def newest() -> int:
    return migrations()[-1][0]


# The tables the newest schema has: a database at that schema without one of them was damaged
# by hand (or by another program), and the bot would fail at its first use of it.
TABLES = frozenset(
    {
        "cycles",
        "suggestions",
        "votes",
        "uncounted_votes",
        "tallies",
        "cards",
        "card_posts",
        "feeds",
        "feed_entries",
        "featured_links",
        "feed_identities",
        "deliveries",
        "meta",
        "slack_requests",
    }
)


def missing_tables(present: set[str]) -> str:
    """The newest schema's tables absent from `present`, for a message ("" if none)."""
    return ", ".join(sorted(TABLES - present))
