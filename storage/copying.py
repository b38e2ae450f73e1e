"""`copy-data`: a whole database into an empty one, SQLite or PostgreSQL either way round, in one
transaction, with every table's count verified before it commits.

Tallies are not copied: the target's triggers count the copied votes again, and the check below
proves they agree with the source.
"""

from __future__ import annotations

from pathlib import Path

from storage.lock import BotLock
from storage.opening import open_database, take_lock
from storage.sql import Database, Row, Transaction, maybe_moment

# Every table, parents before children, with the columns that order its rows.
TABLES = (
    ("cycles", "id"),
    ("suggestions", "id"),
    ("votes", "suggestion_id, platform, voter_id"),
    ("uncounted_votes", "suggestion_id, platform, voter_id, reason"),
    ("cards", "platform, channel_id, message_id"),
    ("card_posts", "suggestion_id, platform, channel_id"),
    ("feeds", "id"),
    ("feed_entries", "id"),
    ("featured_links", "entry_id, url"),
    ("feed_identities", "feed_id, kind, value"),
    ("deliveries", "entry_id, platform, channel_id"),
    ("meta", "name"),
)
DERIVED = {"suggestions": {"votes"}}  # kept by the target's triggers
IDENTITIES = ("cycles", "suggestions", "feeds", "feed_entries")  # PostgreSQL sequences to move on


class CopyRefused(Exception):
    """The copy was not made (nothing was written); says why."""


async def copy_data(source: str | Path, target: str | Path) -> dict[str, int]:
    """Copy every row of `source` into the empty `target`; returns the rows copied per table."""
    if str(source) == str(target):
        raise CopyRefused("the source and the target are the same database")
    locks: list[BotLock] = []
    databases: list[Database] = []
    try:
        for location in (source, target):
            locks.append(await take_lock(location, wait=False))  # no bot may run on it
            databases.append(await open_database(location))
        return await _copy(*databases)
    finally:
        for database in databases:
            await database.close()
        for lock in locks:
            lock.release()


async def _copy(source: Database, target: Database) -> dict[str, int]:
    for table, _ in TABLES:
        row = await target.fetch_one(f"SELECT COUNT(*) FROM {table}")
        if row is not None and row[0]:
            raise CopyRefused(f"{target.where} is not empty ({table} has rows); give a new one")
    copied: dict[str, int] = {}
    async with target.transaction() as transaction:
        for table, order in TABLES:
            rows = await source.fetch_all(f"SELECT * FROM {table} ORDER BY {order}")
            copied[table] = len(rows)
            if rows:
                await _insert(transaction, table, rows)
        if target.dialect == "postgres":
            for table in IDENTITIES:
                await transaction.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                    f" COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) FROM {table}"
                )
        await _verify(source, transaction, copied)
    return copied


async def _insert(transaction: Transaction, table: str, rows: list[Row]) -> None:
    skip = DERIVED.get(table, set())
    columns = [name for name in rows[0].keys() if name not in skip]  # noqa: SIM118 - a row iterates its values
    await transaction.execute_many(
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
        [
            [maybe_moment(row[name]) if name.endswith("_at") else row[name] for name in columns]
            for row in rows
        ],
    )


async def _verify(source: Database, target: Transaction, copied: dict[str, int]) -> None:
    checks = [(table, f"SELECT COUNT(*) FROM {table}") for table, _ in TABLES]
    checks.append(("votes counted", "SELECT COALESCE(SUM(votes), 0) FROM tallies"))
    checks.append(("votes on suggestions", "SELECT COALESCE(SUM(votes), 0) FROM suggestions"))
    for what, sql in checks:
        before, after = await source.fetch_one(sql), await target.fetch_one(sql)
        if before is None or after is None or int(before[0]) != int(after[0]):
            raise CopyRefused(
                f"{what}: {before and before[0]} in the source, {after and after[0]}"
                " in the copy; nothing was written"
            )
