"""The ballot's store: cycles, suggestions, votes and cards on SQLite or PostgreSQL, handed back
as the core's dataclasses. Suggestions and votes are written in groups (storage.suggestions,
storage.votes); the open cycle's ranking is kept in memory (storage.mirror)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection
from datetime import datetime

from bot.models import (
    Added,
    Author,
    CardRef,
    Cast,
    Counted,
    Cycle,
    FeaturedIssue,
    IssueRef,
    LinkFacts,
    Rollover,
    Suggestion,
    Tally,
    Verdict,
    Why,
)
from storage.mirror import CycleMirror
from storage.rows import SUGGESTION_COLUMNS, WITH_TALLIES, fold, suggestion_from
from storage.sql import Database, Row, maybe_moment, moment
from storage.suggestions import Proposal, SuggestionWriter
from storage.votes import VoteWriter

MIRROR_ABOVE = 100  # longer shortlists are sorted in memory


# Opens a cycle unless one is open (the unique index on open cycles makes it a no-op then).
_OPEN_CYCLE = "INSERT INTO cycles (opened_at) VALUES (?) ON CONFLICT DO NOTHING"


def _cycle(row: Row) -> Cycle:
    issue = IssueRef(row["issue_title"], row["issue_link"]) if row["issue_link"] else None
    return Cycle(row["id"], moment(row["opened_at"]), maybe_moment(row["closed_at"]), issue)


class SqlBallotStore:
    """Implements `bot.ports.BallotStore`."""

    def __init__(
        self, database: Database, judge: Callable[[Cast, Suggestion | None], Verdict]
    ) -> None:
        """`judge` (the core's `bot.vote_rules.judge`) says whether a vote counts."""
        self._db = database
        self._suggestions = SuggestionWriter(database)
        self._mirror = CycleMirror()
        # Changed tallies go to the mirror, once a batch.
        self._votes = VoteWriter(database, self._mirror.put, judge)

    async def current_cycle(self, now: datetime) -> Cycle:
        row = await self._db.fetch_one("SELECT * FROM cycles WHERE closed_at IS NULL")
        if row is not None:
            return _cycle(row)
        await self._db.execute(_OPEN_CYCLE, (now,))
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
        async with self._db.transaction() as transaction:
            await transaction.execute(
                "UPDATE cycles SET closed_at = ?, issue_title = ?, issue_link = ?"
                " WHERE id = ? AND closed_at IS NULL",
                (now, issue.title if issue else None, issue.link if issue else None, cycle_id),
            )
            await transaction.execute(_OPEN_CYCLE, (now,))
        closed = await self.get_cycle(cycle_id)
        opened = await self._db.fetch_one("SELECT * FROM cycles WHERE closed_at IS NULL")
        assert closed is not None
        assert opened is not None
        return Rollover(closed, _cycle(opened))

    async def add_suggestion(
        self,
        cycle_id: int,
        key: str,
        url: str,
        note: str,
        author: Author,
        now: datetime,
        admit: Callable[[LinkFacts], bool],
    ) -> Added:
        added = await self._suggestions.add(Proposal(cycle_id, key, url, note, author, now, admit))
        if added.created and added.suggestion is not None:
            self._mirror.put(Tally(added.suggestion, {}))
        return added

    async def show_url(self, suggestion_id: int, url: str) -> None:
        await self._db.execute("UPDATE suggestions SET url = ? WHERE id = ?", (url, suggestion_id))
        self._mirror.change(suggestion_id, url=url)

    async def set_note(self, suggestion_id: int, note: str) -> None:
        await self._db.execute(
            "UPDATE suggestions SET note = ? WHERE id = ?", (note, suggestion_id)
        )
        self._mirror.change(suggestion_id, note=note)

    async def set_page(self, suggestion_id: int, title: str, description: str) -> None:
        await self._db.execute(
            "UPDATE suggestions SET title = ?, description = ? WHERE id = ?",
            (title, description, suggestion_id),
        )
        self._mirror.change(suggestion_id, title=title, description=description)

    async def suggestion_by_number(self, cycle_id: int, number: int) -> Suggestion | None:
        row = await self._db.fetch_one(
            f"SELECT {SUGGESTION_COLUMNS} FROM suggestions s"
            " WHERE s.cycle_id = ? AND s.number = ? AND s.withdrawn_at IS NULL",
            (cycle_id, number),
        )
        return suggestion_from(row) if row is not None else None

    async def featured_issue(self, entry_id: int) -> FeaturedIssue | None:
        row = await self._db.fetch_one(
            "SELECT title, link, published_at FROM feed_entries WHERE id = ?", (entry_id,)
        )
        if row is None:
            return None
        return FeaturedIssue(row["title"], row["link"], maybe_moment(row["published_at"]))

    async def suggestion(self, suggestion_id: int) -> Suggestion | None:
        row = await self._db.fetch_one(
            f"SELECT {SUGGESTION_COLUMNS} FROM suggestions s WHERE s.id = ?", (suggestion_id,)
        )
        return suggestion_from(row) if row is not None else None

    async def withdraw(self, suggestion_id: int, now: datetime) -> None:
        await self._db.execute(
            "UPDATE suggestions SET withdrawn_at = ? WHERE id = ? AND withdrawn_at IS NULL",
            (now, suggestion_id),
        )
        self._mirror.drop(suggestion_id)

    async def replace_votes(
        self, suggestion_id: int, platform: str, voter_ids: Collection[str], now: datetime
    ) -> bool:
        wanted = set(voter_ids)
        async with self._db.transaction() as transaction:
            rows = await transaction.fetch_all(
                "SELECT voter_id FROM votes WHERE suggestion_id = ? AND platform = ?",
                (suggestion_id, platform),
            )
            present = {row[0] for row in rows}
            await transaction.execute_many(
                "DELETE FROM votes WHERE suggestion_id = ? AND platform = ? AND voter_id = ?",
                [(suggestion_id, platform, voter) for voter in present - wanted],
            )
            await transaction.execute_many(
                "INSERT INTO votes (suggestion_id, platform, voter_id, created_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                [(suggestion_id, platform, voter, now) for voter in wanted - present],
            )
        if present != wanted:
            self._mirror.put(await self.tally(suggestion_id))
        return present != wanted

    async def tally(self, suggestion_id: int) -> Tally:
        rows = await self._db.fetch_all(f"{WITH_TALLIES} WHERE s.id = ?", (suggestion_id,))
        if not rows:
            raise LookupError(f"no suggestion {suggestion_id}")
        return fold(rows)[0]

    async def ranked(self, cycle_id: int, limit: int | None) -> tuple[list[Tally], int]:
        """The cycle's live suggestions, most votes first (the earlier among equals), at most
        `limit` of them, and how many there are in all. A short list is an index walk; a long
        one comes from the mirror, read once."""
        if limit is None or limit > MIRROR_ABOVE:
            ranked = await self._mirror.ranked(cycle_id, lambda: self._read_ranked(cycle_id, None))
            return ranked[:limit], len(ranked)
        return await self._read_ranked(cycle_id, limit), await self._live(cycle_id)

    async def _read_ranked(self, cycle_id: int, limit: int | None) -> list[Tally]:
        rows = await self._db.fetch_all(
            "WITH top AS ("
            f" SELECT {SUGGESTION_COLUMNS}, s.votes FROM suggestions s"
            " WHERE s.cycle_id = ? AND s.withdrawn_at IS NULL"
            f" ORDER BY s.votes DESC, s.number{'' if limit is None else ' LIMIT ?'})"
            " SELECT top.*, t.platform AS tally_platform, t.votes AS tally_votes FROM top"
            " LEFT JOIN tallies t ON t.suggestion_id = top.id AND t.votes > 0"
            " ORDER BY top.votes DESC, top.number",
            (cycle_id,) if limit is None else (cycle_id, limit),
        )
        # Thousands of rows become models in a worker thread: the event loop stays free.
        return fold(rows) if len(rows) < 500 else await asyncio.to_thread(fold, rows)

    async def _live(self, cycle_id: int) -> int:
        counted = await self._db.fetch_one(
            "SELECT COUNT(*) FROM suggestions WHERE cycle_id = ? AND withdrawn_at IS NULL",
            (cycle_id,),
        )
        assert counted is not None
        return int(counted[0])

    async def count(self, cast: Cast, now: datetime) -> Counted:
        return await self._votes.cast(cast, now)

    def count_later(
        self, cast: Cast, now: datetime, then: Callable[[tuple[Cast, datetime], Counted], None]
    ) -> None:
        self._votes.post(cast, now, then)

    async def votes_counted(self) -> None:
        await self._votes.drain()

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

    async def why(self, suggestion_id: int) -> Why:
        merged = await self._db.fetch_all(
            f"SELECT {SUGGESTION_COLUMNS} FROM suggestions s WHERE s.merged_into = ?"
            " ORDER BY s.number",
            (suggestion_id,),
        )
        uncounted = await self._db.fetch_all(
            "SELECT reason, platform, COUNT(*) FROM uncounted_votes WHERE suggestion_id = ?"
            " GROUP BY reason, platform ORDER BY reason, platform",
            (suggestion_id,),
        )
        return Why(
            await self.tally(suggestion_id),
            tuple(suggestion_from(row) for row in merged),
            tuple((row[0], row[1], int(row[2])) for row in uncounted),
        )

    async def has_card(self, suggestion_id: int, platform: str) -> bool:
        row = await self._db.fetch_one(
            "SELECT 1 FROM cards WHERE suggestion_id = ? AND platform = ?",
            (suggestion_id, platform),
        )
        return row is not None
