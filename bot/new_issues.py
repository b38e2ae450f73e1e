"""Which feed entries are new newsletter issues, and which of those to announce: pure rules.

An entry is known if any of its identities (key, canonical link, normalised title) was seen in the
feed before. The first check of a feed announces nothing (never the backlog), and a check that
finds more than `BACKLOG_LIMIT` new entries announces only the newest.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bot.models import FeedEntry
from bot.text import plural

BACKLOG_LIMIT = 3  # more new entries than this in one check: announce only the newest

Identity = tuple[str, str]


@dataclass(frozen=True, slots=True)
class Sorted:
    """A feed's entries split by whether they are known."""

    seen: tuple[tuple[int, FeedEntry], ...]  # (stored entry id, entry as the feed has it now)
    new: tuple[FeedEntry, ...]  # newest first, each issue once


@dataclass(frozen=True, slots=True)
class Plan:
    """What to do with a check's new entries."""

    announce: tuple[FeedEntry, ...]  # oldest first
    silent: tuple[FeedEntry, ...]  # recorded without announcing, oldest first
    summary: str  # one sentence for curators

    @property
    def backlog(self) -> bool:
        return bool(self.silent) and bool(self.announce)


def sort_entries(entries: Iterable[FeedEntry], known: Mapping[Identity, int]) -> Sorted:
    """Known entries (under any identity) and new ones; an issue listed twice is new once."""
    seen: list[tuple[int, FeedEntry]] = []
    new: list[FeedEntry] = []
    claimed: set[Identity] = set()
    for entry in entries:
        entry_id = next((known[i] for i in entry.identities if i in known), None)
        if entry_id is not None:
            seen.append((entry_id, entry))
        elif not claimed.intersection(entry.identities):
            new.append(entry)
            claimed.update(entry.identities)
    return Sorted(tuple(seen), tuple(new))


def plan(new: tuple[FeedEntry, ...], *, first_sight: bool) -> Plan:
    """Announce what is new, except on a feed's first check and beyond the backlog limit."""
    if first_sight:
        return Plan(
            announce=(),
            silent=new[::-1],
            summary=f"first check: {plural(len(new), 'existing issue')} recorded without "
            "announcing; new issues will be announced from now on",
        )
    if not new:
        return Plan((), (), "no new issues")
    if len(new) > BACKLOG_LIMIT:
        return Plan(
            announce=new[:1],
            silent=new[:0:-1],
            summary=f"{len(new)} new entries at once: announced the newest, recorded the rest",
        )
    return Plan(new[::-1], (), f"announced {plural(len(new), 'new issue')}")
