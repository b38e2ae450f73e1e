"""New suggestions, decided and committed in groups: members suggesting at once share one
transaction, which reads what the ballot's rules need to know of each link, asks the rules, and
inserts what they admit. Each member still waits until their own suggestion is durable.

Deciding inside the transaction keeps the rules exact when members suggest at once: a member's
limit counts the suggestions admitted just before theirs, and a link proposed twice is added
once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime
from typing import NamedTuple

from bot.models import Added, Author, LinkFacts, Suggestion
from storage.batching import Batcher
from storage.rows import SUGGESTION_COLUMNS, suggestion_from
from storage.sql import Database, Transaction, table_of

MOST = 400  # proposals per transaction on SQLite: nine parameters each, under its limit


class Proposal(NamedTuple):
    cycle_id: int
    key: str
    url: str
    note: str
    author: Author
    now: datetime
    admit: Callable[[LinkFacts], bool]  # the ballot's rules: quick, and never raising


class SuggestionWriter:
    def __init__(self, database: Database) -> None:
        self._db = database
        self._batches: Batcher[Proposal, Added] = Batcher(
            self._record,
            "suggestion writer",
            most=MOST if database.dialect == "sqlite" else 0,  # arrays: no parameter limit
        )

    async def add(self, proposal: Proposal) -> Added:
        return await self._batches.submit(proposal)

    async def _record(self, proposals: list[Proposal]) -> list[Added]:
        async with self._db.transaction() as transaction:
            read = await _facts(transaction, proposals)
            made: Counter[tuple[int, str, str]] = Counter()  # admitted in this batch
            first: dict[tuple[int, str], Proposal] = {}  # the proposal that adds each link
            judged: list[LinkFacts] = []
            for proposal, facts in zip(proposals, read, strict=True):
                place = (proposal.cycle_id, proposal.key)
                author = (proposal.cycle_id, proposal.author.platform, proposal.author.id)
                if made[author]:
                    facts = facts._replace(made=facts.made + made[author])
                judged.append(facts)
                if facts.live is None and place not in first and proposal.admit(facts):
                    first[place] = proposal
                    made[author] += 1
            added = await _insert(transaction, list(first.values()))
        results = []
        for proposal, facts in zip(proposals, judged, strict=True):
            place = (proposal.cycle_id, proposal.key)
            if facts.live is not None:
                results.append(Added(facts, facts.live, False))
            elif place in added:  # added now, by this proposal or an earlier one of the batch
                results.append(Added(facts, added[place], first[place] is proposal))
            else:
                results.append(Added(facts, None, False))
        return results


async def _facts(transaction: Transaction, proposals: list[Proposal]) -> list[LinkFacts]:
    """For each proposal: the live suggestion with its link, how many its author has made, the
    newest issue that featured the link and the latest earlier cycle's suggestion of it."""
    asked, params = table_of(
        transaction.dialect,
        ("bigint", "bigint", "text", "text", "text"),
        [(n, p.cycle_id, p.key, p.author.platform, p.author.id) for n, p in enumerate(proposals)],
    )
    rows = await transaction.fetch_all(
        f"WITH asked (n, cycle, key, platform, author) AS ({asked})"
        f" SELECT asked.n, {SUGGESTION_COLUMNS}, (SELECT COUNT(*) FROM suggestions a"
        "  WHERE a.cycle_id = asked.cycle AND a.author_platform = asked.platform"
        "  AND a.author_id = asked.author) AS made,"  # withdrawn ones count: no way round
        " (SELECT f.entry_id FROM featured_links f WHERE f.link_key = asked.key"
        "  ORDER BY f.entry_id DESC LIMIT 1) AS featured_in,"
        " (SELECT p.id FROM suggestions p WHERE p.link_key = asked.key"
        "  AND p.cycle_id < asked.cycle AND p.withdrawn_at IS NULL"
        "  ORDER BY p.cycle_id DESC LIMIT 1) AS earlier"
        " FROM asked LEFT JOIN suggestions s"
        " ON s.cycle_id = asked.cycle AND s.link_key = asked.key AND s.withdrawn_at IS NULL",
        params,
    )
    facts = [LinkFacts(None, 0)] * len(proposals)
    for row in rows:
        live = suggestion_from(row) if row["id"] is not None else None
        facts[row["n"]] = LinkFacts(live, int(row["made"]), row["featured_in"], row["earlier"])
    return facts


async def _insert(
    transaction: Transaction, proposals: list[Proposal]
) -> dict[tuple[int, str], Suggestion]:
    """Insert the proposals, numbered on from their cycles' last numbers, in one statement."""
    if not proposals:
        return {}
    numbers: dict[int, int] = {}
    for cycle_id in sorted({p.cycle_id for p in proposals}):
        row = await transaction.fetch_one(
            "SELECT COALESCE(MAX(number), 0) FROM suggestions WHERE cycle_id = ?", (cycle_id,)
        )
        numbers[cycle_id] = int(row[0]) if row else 0
    numbered = []
    for p in proposals:
        numbers[p.cycle_id] += 1
        numbered.append((numbers[p.cycle_id], p))
    table, params = table_of(
        transaction.dialect,
        ("bigint", "integer", *["text"] * 6, "timestamptz"),
        [_row(n, p) for n, p in numbered],
    )
    ids = await transaction.fetch_all(
        "INSERT INTO suggestions (cycle_id, number, link_key, url, note, author_platform,"
        f" author_id, author_name, created_at) {table} RETURNING cycle_id, number, id",
        params,
    )
    id_of = {(row[0], row[1]): row[2] for row in ids}
    # The rest is what was written (title and description start empty): nothing to read back.
    return {
        (p.cycle_id, p.key): Suggestion(
            id_of[p.cycle_id, n], p.cycle_id, n, p.url, p.note, p.author, p.now
        )
        for n, p in numbered
    }


def _row(number: int, p: Proposal) -> tuple[object, ...]:
    who = p.author
    return (p.cycle_id, number, p.key, p.url, p.note, who.platform, who.id, who.name, p.now)
