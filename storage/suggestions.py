"""New suggestions, committed in groups like votes: members suggesting at once share one
transaction, and each still waits until its own suggestion is durable."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from bot.models import Author, LinkFacts, Suggestion
from storage.batching import Batcher, chunks
from storage.rows import SUGGESTION_COLUMNS, suggestion_from
from storage.sql import Database, Transaction, insert_rows, table_of

CHUNK = 400  # (cycle, key) pairs per IN list


class Proposal(NamedTuple):
    cycle_id: int
    key: str
    url: str
    note: str
    author: Author
    now: datetime


class SuggestionWriter:
    def __init__(self, database: Database) -> None:
        self._db = database
        self._batches: Batcher[Proposal, tuple[Suggestion, bool]] = Batcher(
            self._record, "suggestion writer"
        )

    async def add(self, proposal: Proposal) -> tuple[Suggestion, bool]:
        """The new suggestion and True, or the live one with that link and False."""
        return await self._batches.submit(proposal)

    async def _record(self, proposals: list[Proposal]) -> list[tuple[Suggestion, bool]]:
        wanted = sorted({(p.cycle_id, p.key) for p in proposals})
        async with self._db.transaction() as transaction:
            existing = await _live(transaction, wanted)
            numbers: dict[int, int] = {}
            for cycle_id in {cycle for cycle, _ in wanted}:
                row = await transaction.fetch_one(
                    "SELECT COALESCE(MAX(number), 0) FROM suggestions WHERE cycle_id = ?",
                    (cycle_id,),
                )
                numbers[cycle_id] = int(row[0]) if row else 0
            new: dict[tuple[int, str], Proposal] = {}
            for proposal in proposals:  # the first of each new link wins its number
                place = (proposal.cycle_id, proposal.key)
                if place not in existing and place not in new:
                    new[place] = proposal
            rows = []
            for (cycle_id, key), p in new.items():
                numbers[cycle_id] += 1
                rows.append(
                    (
                        cycle_id,
                        numbers[cycle_id],
                        key,
                        p.url,
                        p.note,
                        p.author.platform,
                        p.author.id,
                        p.author.name,
                        p.now,
                    )
                )
            await insert_rows(  # one statement on PostgreSQL, not one per suggestion
                transaction,
                "INSERT INTO suggestions (cycle_id, number, link_key, url, note,"
                " author_platform, author_id, author_name, created_at)",
                ("bigint", "integer", *["text"] * 6, "timestamptz"),
                rows,
            )
            stored = await _live(transaction, sorted(new))
        results = []
        for proposal in proposals:
            place = (proposal.cycle_id, proposal.key)
            if place in existing:
                results.append((existing[place], False))
            else:  # the same link twice in one batch: the first proposal made it
                results.append((stored[place], new[place] is proposal))
        return results


async def _live(
    transaction: Transaction, places: list[tuple[int, str]]
) -> dict[tuple[int, str], Suggestion]:
    found: dict[tuple[int, str], Suggestion] = {}
    for chunk in chunks(places, CHUNK):
        wanted, params = table_of(transaction.dialect, ("bigint", "text"), chunk)
        rows = await transaction.fetch_all(
            f"SELECT {SUGGESTION_COLUMNS}, s.link_key FROM suggestions s"
            f" WHERE s.withdrawn_at IS NULL AND (s.cycle_id, s.link_key) IN ({wanted})",
            params,
        )
        for row in rows:
            found[(row["cycle_id"], row["link_key"])] = suggestion_from(row)
    return found


class Asked(NamedTuple):
    cycle_id: int
    key: str
    platform: str
    author_id: str


class LinkLookup:
    """Before suggesting, for everyone asking at once in one query: the live suggestion with
    that link, the author's count, the newest issue that featured the link and the latest
    earlier cycle's suggestion of it."""

    def __init__(self, database: Database) -> None:
        self._db = database
        self._batches: Batcher[Asked, LinkFacts] = Batcher(
            self._answer,
            "link lookup",
            most=CHUNK if database.dialect == "sqlite" else 0,  # arrays: no parameter limit
        )

    async def ask(self, asked: Asked) -> LinkFacts:
        return await self._batches.submit(asked)

    async def _answer(self, batch: list[Asked]) -> list[LinkFacts]:
        asked, params = table_of(
            self._db.dialect,
            ("bigint", "bigint", "text", "text", "text"),
            [(n, *question) for n, question in enumerate(batch)],
        )
        rows = await self._db.fetch_all(
            f"WITH asked (n, cycle, key, platform, author) AS ({asked})"
            f" SELECT asked.n, {SUGGESTION_COLUMNS}, (SELECT COUNT(*) FROM suggestions a"
            "  WHERE a.cycle_id = asked.cycle AND a.author_platform = asked.platform"
            "  AND a.author_id = asked.author AND a.withdrawn_at IS NULL) AS made,"
            " (SELECT f.entry_id FROM featured_links f WHERE f.link_key = asked.key"
            "  ORDER BY f.entry_id DESC LIMIT 1) AS featured_in,"
            " (SELECT p.id FROM suggestions p WHERE p.link_key = asked.key"
            "  AND p.cycle_id < asked.cycle AND p.withdrawn_at IS NULL"
            "  ORDER BY p.cycle_id DESC LIMIT 1) AS earlier"
            " FROM asked LEFT JOIN suggestions s"
            " ON s.cycle_id = asked.cycle AND s.link_key = asked.key AND s.withdrawn_at IS NULL",
            params,
        )
        answers = [LinkFacts(None, 0)] * len(batch)
        for row in rows:
            found = suggestion_from(row) if row["id"] is not None else None
            answers[row["n"]] = LinkFacts(
                found, int(row["made"]), row["featured_in"], row["earlier"]
            )
        return answers
