"""Votes, committed in groups: one writer takes whatever votes arrived while it was busy and
records them in one transaction, so a burst of reactions costs a few transactions instead of one
each. A caller either waits until its vote is durable or hands it over and hears of it with its
batch (bot.reactions); whether a vote counts is the core's `judge`, this module only moves data.

Each vote names a card (resolved, in SQL, to the open cycle's live suggestion) or a suggestion.
The tallies are kept by triggers (migration 0005) in the same transaction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import TypeVar

from bot.models import CardRef, Cast, Counted, Suggestion, Tally, Verdict
from storage.batching import Batcher, chunks
from storage.rows import SUGGESTION_COLUMNS, suggestion_from
from storage.sql import (
    Database,
    Row,
    Transaction,
    delete_rows,
    insert_rows,
    one_of,
    stamp,
    table_of,
)

CHUNK = 900  # rows per IN (...) list: SQLite's and PostgreSQL's limits are 32,766 parameters

_Key = tuple[int, str, str]  # (suggestion, platform, voter)
VOTE_KEY = ("suggestion_id", "platform", "voter_id")
VOTE_KINDS = ("bigint", "text", "text", "timestamptz")
_T = TypeVar("_T")
# A suggestion live on the open cycle's ballot, with a row per platform that has votes for it.
_TALLY = "t.platform AS tally_platform, t.votes AS tally_votes"
_LIVE_JOINS = (
    " JOIN cycles y ON y.id = s.cycle_id"
    " LEFT JOIN tallies t ON t.suggestion_id = s.id AND t.votes > 0"
)
_LIVE = "s.withdrawn_at IS NULL AND y.closed_at IS NULL"


RETRY_AFTER = (0.2, 1.0, 3.0, 6.0)  # seconds: a dropped database is usually back within these


class VoteWriter:
    """Records casts in groups."""

    def __init__(
        self,
        database: Database,
        changed: Callable[[Tally], None],
        judge: Callable[[Cast, Suggestion | None], Verdict],
    ) -> None:
        """`changed` hears of each tally that a batch changed, once; `judge` (the core's
        `bot.vote_rules.judge`) says whether each cast counts."""
        self._db = database
        self._changed = changed
        self._judge = judge
        # A batch's writes are idempotent (insert if absent, delete if present): one that
        # failed with the connection (a server restart, a failover) is written again.
        self._batches: Batcher[tuple[Cast, datetime], Counted] = Batcher(
            self._record_batch, "vote writer", retry_after=RETRY_AFTER
        )

    async def cast(self, cast: Cast, now: datetime) -> Counted:
        return await self._batches.submit((cast, now))

    def post(
        self, cast: Cast, now: datetime, then: Callable[[tuple[Cast, datetime], Counted], None]
    ) -> None:
        self._batches.post((cast, now), then)

    async def drain(self) -> None:
        await self._batches.drain()

    async def _record_batch(self, batch: list[tuple[Cast, datetime]]) -> list[Counted]:
        return await self._record([cast for cast, _ in batch], batch[-1][1])

    async def _record(self, casts: Sequence[Cast], now: datetime) -> list[Counted]:
        async with self._db.transaction() as transaction:
            suggestions, counts = await _resolve(transaction, casts)
            # Whether a vote is there already is read only where the batch also takes votes
            # back; for the rest, the insert says which rows it added.
            retracted = {
                (s.id, c.platform, c.voter_id)
                for c, s in zip(casts, suggestions, strict=True)
                if s and not c.add
            }
            voted = await _existing(transaction, retracted)
            stored = set(voted)  # of the votes this batch takes back, those in the table
            outcomes: list[tuple[Suggestion | None, bool, bool]] = []
            adds: dict[_Key, int] = {}  # -> the outcome of the cast that added it
            removes: set[_Key] = set()
            uncounted: set[tuple[int, str, str, str]] = set()  # (suggestion, platform, voter, why)
            late: list[Cast] = []  # on a card whose suggestion is not live in the open cycle
            for cast, suggestion in zip(casts, suggestions, strict=True):
                verdict = self._judge(cast, suggestion)
                if verdict is Verdict.LATE or suggestion is None:
                    if cast.card is not None and cast.add:
                        late.append(cast)
                    outcomes.append((None, False, False))
                    continue
                key = (suggestion.id, cast.platform, cast.voter_id)
                if verdict is not Verdict.COUNTS:  # noted when added, never counted
                    if cast.add:
                        uncounted.add((*key, verdict.value))
                    own = verdict is Verdict.SELF
                    outcomes.append((suggestion if own else None, False, own))
                    continue
                changed = (key not in voted) if cast.add else (key in voted)
                if changed and cast.add:
                    voted.add(key)
                    adds[key] = len(outcomes)
                    removes.discard(key)
                elif changed:
                    voted.discard(key)
                    removes.add(key)
                    adds.pop(key, None)
                outcomes.append((suggestion, changed, False))
            await delete_rows(transaction, "votes", VOTE_KEY, VOTE_KINDS[:3], sorted(removes))
            added = await _insert(transaction, sorted(adds), now)  # B-tree order: faster
            for key in adds.keys() - retracted - added:  # it was there already
                suggestion = outcomes[adds[key]][0]
                outcomes[adds[key]] = (suggestion, False, False)
            uncounted |= await _late(transaction, late)
            await insert_rows(
                transaction,
                "INSERT INTO uncounted_votes (suggestion_id, platform, voter_id, reason,"
                " created_at)",
                (*VOTE_KINDS[:3], "text", "timestamptz"),
                [(*row, now) for row in sorted(uncounted)],
                "ON CONFLICT DO NOTHING",
            )
        tallies = _tallies([s for s, _, _ in outcomes], counts, added, removes & stored)
        for suggestion_id in {s.id for s, changed, _ in outcomes if s and changed}:
            self._changed(tallies[suggestion_id])
        return [Counted(tallies[s.id] if s else None, changed, own) for s, changed, own in outcomes]


def _tallies(
    suggestions: Iterable[Suggestion | None],
    counts: dict[int, dict[str, int]],
    inserted: Iterable[_Key],
    deleted: Iterable[_Key],
) -> dict[int, Tally]:
    """The suggestions' tallies as the triggers leave them: as read before the writes, with
    the votes inserted and deleted (this is the only writer), so nothing is read again."""
    for (suggestion_id, platform, _), step in [
        *((key, 1) for key in inserted),
        *((key, -1) for key in deleted),
    ]:
        count = counts.setdefault(suggestion_id, {})
        count[platform] = count.get(platform, 0) + step
    unique = {s.id: s for s in suggestions if s}  # a batch names a few cards thousands of times
    return {
        sid: Tally(s, {p: n for p, n in counts.get(sid, {}).items() if n > 0})
        for sid, s in unique.items()
    }


async def _insert(transaction: Transaction, keys: Sequence[_Key], now: datetime) -> set[_Key]:
    """Insert the votes; the ones that were not there already."""
    when = stamp(transaction.dialect, now)
    return await _keys_from(
        transaction,
        lambda rows: (
            "INSERT INTO votes (suggestion_id, platform, voter_id, created_at)"
            f" {rows} ON CONFLICT DO NOTHING RETURNING suggestion_id, platform, voter_id"
        ),
        VOTE_KINDS,
        [(*key, when) for key in keys],
    )


async def _keys_from(
    transaction: Transaction,
    statement: Callable[[str], str],
    kinds: Sequence[str],
    rows: Sequence[Sequence[object]],
) -> set[_Key]:
    """The votes' keys that `statement` (given `rows` as a table) returns: in chunks on SQLite,
    in one statement on PostgreSQL (arrays have no parameter limit; its triggers run once)."""
    found: set[_Key] = set()
    whole = transaction.dialect == "postgres"
    for chunk in [list(rows)] if whole and rows else _chunks(rows):
        table, params = table_of(transaction.dialect, kinds, chunk)
        answered = await transaction.fetch_all(statement(table), params)
        found.update((row[0], row[1], row[2]) for row in answered)
    return found


async def _resolve(
    transaction: Transaction, casts: Sequence[Cast]
) -> tuple[list[Suggestion | None], dict[int, dict[str, int]]]:
    """Each cast's live suggestion in the open cycle (by card or by id), or None; and those
    suggestions' votes per platform."""
    cards = {cast.card for cast in casts if cast.card is not None}
    ids = {cast.suggestion_id for cast in casts if cast.suggestion_id is not None}
    by_card: dict[CardRef, Suggestion] = {}
    by_id: dict[int, Suggestion] = {}
    counts: defaultdict[int, dict[str, int]] = defaultdict(dict)

    def found(row: Row) -> Suggestion:
        suggestion = by_id.get(row["id"]) or suggestion_from(row)
        by_id[suggestion.id] = suggestion
        if row["tally_platform"] is not None:
            counts[suggestion.id][row["tally_platform"]] = row["tally_votes"]
        return suggestion

    for card_chunk in _chunks(sorted(cards)):
        wanted, params = table_of(
            transaction.dialect,
            ("text", "text", "text"),
            [(c.platform, c.channel_id, c.message_id) for c in card_chunk],
        )
        rows = await transaction.fetch_all(
            "SELECT c.platform AS card_platform, c.channel_id, c.message_id,"
            f" {SUGGESTION_COLUMNS}, {_TALLY} FROM cards c"
            f" JOIN suggestions s ON s.id = c.suggestion_id{_LIVE_JOINS}"
            f" WHERE {_LIVE} AND (c.platform, c.channel_id, c.message_id) IN ({wanted})",
            params,
        )
        for row in rows:
            by_card[CardRef(row["card_platform"], row["channel_id"], row["message_id"])] = found(
                row
            )
    for chunk in _chunks(sorted(ids)):
        among, params = one_of(transaction.dialect, "s.id", "bigint", chunk)
        rows = await transaction.fetch_all(
            f"SELECT {SUGGESTION_COLUMNS}, {_TALLY} FROM suggestions s{_LIVE_JOINS}"
            f" WHERE {_LIVE} AND {among}",
            params,
        )
        for row in rows:
            found(row)
    resolved = [
        by_card.get(cast.card) if cast.card is not None else by_id.get(cast.suggestion_id or 0)
        for cast in casts
    ]
    return resolved, counts


async def _late(transaction: Transaction, casts: Sequence[Cast]) -> set[tuple[int, str, str, str]]:
    """Reactions on cards of a closed cycle or of a withdrawn suggestion, with which it was."""
    if not casts:
        return set()
    cards = sorted(
        {(c.card.platform, c.card.channel_id, c.card.message_id) for c in casts if c.card}
    )
    found: dict[tuple[str, str, str], tuple[int, str]] = {}
    for chunk in _chunks(cards):
        wanted, params = table_of(transaction.dialect, ("text", "text", "text"), chunk)
        rows = await transaction.fetch_all(
            "SELECT c.platform, c.channel_id, c.message_id, s.id, y.closed_at"
            " FROM cards c JOIN suggestions s ON s.id = c.suggestion_id"
            " JOIN cycles y ON y.id = s.cycle_id"
            f" WHERE (c.platform, c.channel_id, c.message_id) IN ({wanted})",
            params,
        )
        found.update(
            ((row[0], row[1], row[2]), (row[3], "closed" if row[4] is not None else "withdrawn"))
            for row in rows
        )
    late = set()
    for cast in casts:
        assert cast.card is not None
        where = (cast.card.platform, cast.card.channel_id, cast.card.message_id)
        if where in found:
            suggestion_id, why = found[where]
            late.add((suggestion_id, cast.platform, cast.voter_id, why))
    return late


async def _existing(transaction: Transaction, keys: set[_Key]) -> set[_Key]:
    return await _keys_from(
        transaction,
        lambda rows: (
            "SELECT suggestion_id, platform, voter_id FROM votes"
            f" WHERE (suggestion_id, platform, voter_id) IN ({rows})"
        ),
        VOTE_KINDS[:3],
        sorted(keys),
    )


def _chunks(items: Sequence[_T]) -> Iterable[list[_T]]:
    return chunks(items, CHUNK)
