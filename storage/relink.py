"""Bringing stored link identities in line with the link rules in force.

Identity rules are data: when the rules that decide "same link" change (a new version of the code
or of the tracker data), every suggestion's key and every feed entry's link identity is computed
again, so that the ballot and the feed history behave as if they had been made under the new
rules. Suggestions of one cycle that now share a key are merged into the earliest.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from storage.sql import Database, Row, Transaction

log = logging.getLogger(__name__)

META_NAME = "link_rules"


@dataclass(frozen=True, slots=True)
class LinkRules:
    """The core's link rules, handed in by the composition root (storage knows no URL rules)."""

    version: str
    key: Callable[[str], str | None]  # a link's identity; None if it has none any more


async def relink(database: Database, rules: LinkRules) -> bool:
    """Recompute every stored link identity if the rules changed; True if anything was done."""
    row = await database.fetch_one("SELECT value FROM meta WHERE name = ?", (META_NAME,))
    if row is not None and row[0] == rules.version:
        return False
    async with database.transaction() as transaction:
        merged = await _rekey_suggestions(transaction, rules)
        await _rekey_feed_links(transaction, rules)
        await transaction.execute(
            "INSERT INTO meta (name, value) VALUES (?, ?)"
            " ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            (META_NAME, rules.version),
        )
    log.info("Link identities follow rules %s now (%d suggestions merged)", rules.version, merged)
    return True


async def _rekey_suggestions(transaction: Transaction, rules: LinkRules) -> int:
    rows = await transaction.fetch_all(
        "SELECT id, cycle_id, number, url, author_platform, author_id, withdrawn_at"
        " FROM suggestions ORDER BY cycle_id, number"
    )
    keys = {row["id"]: rules.key(row["url"]) or row["url"] for row in rows}
    groups: defaultdict[tuple[int, str], list[Row]] = defaultdict(list)
    for row in rows:
        if row["withdrawn_at"] is None:
            groups[(row["cycle_id"], keys[row["id"]])].append(row)
    await transaction.execute("UPDATE suggestions SET link_key = NULL")
    merged = 0
    for group in groups.values():
        kept, *others = group  # the earliest suggestion keeps its number
        for other in others:
            await _merge(transaction, kept, other)
            merged += 1
    await transaction.execute_many(
        "UPDATE suggestions SET link_key = ? WHERE id = ?",
        [(key, suggestion_id) for suggestion_id, key in keys.items()],
    )
    return merged


async def _merge(transaction: Transaction, kept: Row, other: Row) -> None:
    """Votes united (one per member, never the kept suggestion's author's), cards re-pointed."""
    await transaction.execute(
        "INSERT INTO votes (suggestion_id, platform, voter_id, created_at)"
        " SELECT ?, platform, voter_id, created_at FROM votes"
        " WHERE suggestion_id = ? AND NOT (platform = ? AND voter_id = ?)"
        " ON CONFLICT DO NOTHING",
        (kept["id"], other["id"], kept["author_platform"], kept["author_id"]),
    )
    await transaction.execute(
        "UPDATE cards SET suggestion_id = ?, stale = 1 WHERE suggestion_id = ?",
        (kept["id"], other["id"]),
    )
    if other["url"].startswith("https:") and not kept["url"].startswith("https:"):
        await transaction.execute(
            "UPDATE suggestions SET url = ? WHERE id = ?", (other["url"], kept["id"])
        )
    await transaction.execute(
        "UPDATE suggestions SET withdrawn_at = ?, merged_into = ? WHERE id = ?",
        (datetime.now(UTC), kept["id"], other["id"]),
    )
    log.warning(
        "Cycle %d: #%d (%s) is the same link as #%d under the new link rules; merged into #%d",
        kept["cycle_id"],
        other["number"],
        other["url"],
        kept["number"],
        kept["number"],
    )


async def _rekey_feed_links(transaction: Transaction, rules: LinkRules) -> None:
    """A feed's past issues stay recognised: every link identity is computed anew."""
    links = await transaction.fetch_all(
        "SELECT feed_id, value, entry_id FROM feed_identities WHERE kind = 'link'"
        " UNION ALL SELECT feed_id, link, id FROM feed_entries WHERE link != ''"
    )
    featured = await transaction.fetch_all("SELECT entry_id, url FROM featured_links")
    await transaction.execute_many(
        "UPDATE featured_links SET link_key = ? WHERE entry_id = ? AND url = ?",
        [(rules.key(row["url"]), row["entry_id"], row["url"]) for row in featured],
    )
    await transaction.execute("DELETE FROM feed_identities WHERE kind = 'link'")
    await transaction.execute_many(
        "INSERT INTO feed_identities (feed_id, kind, value, entry_id) VALUES (?, 'link', ?, ?)"
        " ON CONFLICT DO NOTHING",
        [
            (row["feed_id"], key, row["entry_id"])
            for row in links
            if (key := rules.key(row["value"])) is not None
        ],
    )
