"""Cycles, suggestions, votes and cards in SQLite, handed back as the core's dataclasses."""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Collection
from datetime import datetime

from bot.models import Author, CardRef, Cycle, IssueRef, Rollover, Suggestion, Tally
from storage.database import Database, from_text, to_text

SUGGESTION_COLUMNS = (
    "s.id, s.cycle_id, s.number, s.url, s.note, s.author_platform, s.author_id, s.author_name,"
    " s.created_at"
)


def _cycle(row: sqlite3.Row) -> Cycle:
    issue = IssueRef(row["issue_title"], row["issue_link"]) if row["issue_link"] else None
    closed = row["closed_at"]
    return Cycle(
        row["id"], from_text(row["opened_at"]), from_text(closed) if closed else None, issue
    )


def suggestion_from(row: sqlite3.Row) -> Suggestion:
    return Suggestion(
        id=row["id"],
        cycle_id=row["cycle_id"],
        number=row["number"],
        url=row["url"],
        note=row["note"],
        author=Author(row["author_platform"], row["author_id"], row["author_name"]),
        created_at=from_text(row["created_at"]),
    )


class SqliteBallotStore:
    """Implements `bot.ports.BallotStore`."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def current_cycle(self, now: datetime) -> Cycle:
        row = await self._db.fetch_one("SELECT * FROM cycles WHERE closed_at IS NULL")
        if row is not None:
            return _cycle(row)
        async with self._db.transaction() as connection:
            await connection.execute(
                "INSERT INTO cycles (opened_at) SELECT ? WHERE NOT EXISTS"
                " (SELECT 1 FROM cycles WHERE closed_at IS NULL)",
                (to_text(now),),
            )
        row = await self._db.fetch_one("SELECT * FROM cycles WHERE closed_at IS NULL")
        assert row is not None
        return _cycle(row)

    async def get_cycle(self, cycle_id: int) -> Cycle | None:
        row = await self._db.fetch_one("SELECT * FROM cycles WHERE id = ?", (cycle_id,))
        return _cycle(row) if row is not None else None

    async def cycle_closed_by(self, issue_link: str) -> Cycle | None:
        row = await self._db.fetch_one(
            "SELECT * FROM cycles WHERE issue_link = ? ORDER BY id LIMIT 1", (issue_link,)
        )
        return _cycle(row) if row is not None else None

    async def rollover(self, cycle_id: int, issue: IssueRef | None, now: datetime) -> Rollover:
        async with self._db.transaction() as connection:
            await connection.execute(
                "UPDATE cycles SET closed_at = ?, issue_title = ?, issue_link = ?"
                " WHERE id = ? AND closed_at IS NULL",
                (
                    to_text(now),
                    issue.title if issue else None,
                    issue.link if issue else None,
                    cycle_id,
                ),
            )
            await connection.execute(
                "INSERT INTO cycles (opened_at) SELECT ? WHERE NOT EXISTS"
                " (SELECT 1 FROM cycles WHERE closed_at IS NULL)",
                (to_text(now),),
            )
        closed = await self.get_cycle(cycle_id)
        opened = await self._db.fetch_one("SELECT * FROM cycles WHERE closed_at IS NULL")
        assert closed is not None
        assert opened is not None
        return Rollover(closed, _cycle(opened))

    async def add_suggestion(
        self, cycle_id: int, key: str, url: str, note: str, author: Author, now: datetime
    ) -> tuple[Suggestion, bool]:
        async with self._db.transaction() as connection:
            cursor = await connection.execute(
                "INSERT INTO suggestions (cycle_id, number, link_key, url, note, author_platform,"
                " author_id, author_name, created_at)"
                " SELECT ?, COALESCE(MAX(number), 0) + 1, ?, ?, ?, ?, ?, ?, ?"
                " FROM suggestions WHERE cycle_id = ?"
                " ON CONFLICT (cycle_id, link_key) WHERE withdrawn_at IS NULL DO NOTHING",
                (
                    cycle_id,
                    key,
                    url,
                    note,
                    author.platform,
                    author.id,
                    author.name,
                    to_text(now),
                    cycle_id,
                ),
            )
            created = cursor.rowcount == 1
        suggestion = await self.suggestion_by_link(cycle_id, key)
        assert suggestion is not None
        return suggestion, created

    async def suggestion_by_link(self, cycle_id: int, key: str) -> Suggestion | None:
        row = await self._db.fetch_one(
            f"SELECT {SUGGESTION_COLUMNS} FROM suggestions s"
            " WHERE s.cycle_id = ? AND s.link_key = ? AND s.withdrawn_at IS NULL",
            (cycle_id, key),
        )
        return suggestion_from(row) if row is not None else None

    async def show_url(self, suggestion_id: int, url: str) -> None:
        await self._db.execute("UPDATE suggestions SET url = ? WHERE id = ?", (url, suggestion_id))

    async def suggestion_by_number(self, cycle_id: int, number: int) -> Suggestion | None:
        row = await self._db.fetch_one(
            f"SELECT {SUGGESTION_COLUMNS} FROM suggestions s"
            " WHERE s.cycle_id = ? AND s.number = ? AND s.withdrawn_at IS NULL",
            (cycle_id, number),
        )
        return suggestion_from(row) if row is not None else None

    async def count_suggestions_by(self, cycle_id: int, platform: str, author_id: str) -> int:
        row = await self._db.fetch_one(
            "SELECT COUNT(*) FROM suggestions WHERE cycle_id = ? AND author_platform = ?"
            " AND author_id = ? AND withdrawn_at IS NULL",
            (cycle_id, platform, author_id),
        )
        assert row is not None
        return int(row[0])

    async def withdraw(self, suggestion_id: int, now: datetime) -> None:
        await self._db.execute(
            "UPDATE suggestions SET withdrawn_at = ? WHERE id = ? AND withdrawn_at IS NULL",
            (to_text(now), suggestion_id),
        )

    async def add_vote(
        self, suggestion_id: int, platform: str, voter_id: str, now: datetime
    ) -> bool:
        changed = await self._db.execute(
            "INSERT INTO votes (suggestion_id, platform, voter_id, created_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT DO NOTHING",
            (suggestion_id, platform, voter_id, to_text(now)),
        )
        return changed == 1

    async def remove_vote(self, suggestion_id: int, platform: str, voter_id: str) -> bool:
        changed = await self._db.execute(
            "DELETE FROM votes WHERE suggestion_id = ? AND platform = ? AND voter_id = ?",
            (suggestion_id, platform, voter_id),
        )
        return changed == 1

    async def replace_votes(
        self, suggestion_id: int, platform: str, voter_ids: Collection[str], now: datetime
    ) -> bool:
        wanted = set(voter_ids)
        async with self._db.transaction() as connection:
            async with connection.execute(
                "SELECT voter_id FROM votes WHERE suggestion_id = ? AND platform = ?",
                (suggestion_id, platform),
            ) as cursor:
                present = {row[0] for row in await cursor.fetchall()}
            await connection.executemany(
                "DELETE FROM votes WHERE suggestion_id = ? AND platform = ? AND voter_id = ?",
                [(suggestion_id, platform, voter) for voter in present - wanted],
            )
            await connection.executemany(
                "INSERT INTO votes (suggestion_id, platform, voter_id, created_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                [(suggestion_id, platform, voter, to_text(now)) for voter in wanted - present],
            )
        return present != wanted

    async def tally(self, suggestion_id: int) -> Tally:
        rows = await self._db.fetch_all(
            f"SELECT {SUGGESTION_COLUMNS}, v.platform AS vote_platform, COUNT(v.voter_id) AS n"
            " FROM suggestions s LEFT JOIN votes v ON v.suggestion_id = s.id"
            " WHERE s.id = ? GROUP BY s.id, v.platform",
            (suggestion_id,),
        )
        tallies = _tallies(rows)
        if not tallies:
            raise LookupError(f"no suggestion {suggestion_id}")
        return tallies[0]

    async def tallies(self, cycle_id: int) -> list[Tally]:
        rows = await self._db.fetch_all(
            f"SELECT {SUGGESTION_COLUMNS}, v.platform AS vote_platform, COUNT(v.voter_id) AS n"
            " FROM suggestions s LEFT JOIN votes v ON v.suggestion_id = s.id"
            " WHERE s.cycle_id = ? AND s.withdrawn_at IS NULL"
            " GROUP BY s.id, v.platform ORDER BY s.number",
            (cycle_id,),
        )
        return _tallies(rows)

    async def open_card_suggestion(self, card: CardRef) -> Suggestion | None:
        row = await self._db.fetch_one(
            f"SELECT {SUGGESTION_COLUMNS}"
            " FROM cards c JOIN suggestions s ON s.id = c.suggestion_id"
            " JOIN cycles y ON y.id = s.cycle_id"
            " WHERE c.platform = ? AND c.channel_id = ? AND c.message_id = ?"
            " AND s.withdrawn_at IS NULL AND y.closed_at IS NULL",
            (card.platform, card.channel_id, card.message_id),
        )
        return suggestion_from(row) if row is not None else None

    async def has_card(self, suggestion_id: int, platform: str) -> bool:
        row = await self._db.fetch_one(
            "SELECT 1 FROM cards WHERE suggestion_id = ? AND platform = ?",
            (suggestion_id, platform),
        )
        return row is not None


def _tallies(rows: list[sqlite3.Row]) -> list[Tally]:
    """Fold one row per (suggestion, platform) into one tally per suggestion, keeping order."""
    suggestions: dict[int, Suggestion] = {}
    counts: defaultdict[int, dict[str, int]] = defaultdict(dict)
    for row in rows:
        suggestion = suggestions.setdefault(row["id"], suggestion_from(row))
        if row["vote_platform"] is not None:
            counts[suggestion.id][row["vote_platform"]] = row["n"]
    return [Tally(suggestion, counts[suggestion.id]) for suggestion in suggestions.values()]
