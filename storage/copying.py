"""`copy-data`: a whole database into an empty one, SQLite or PostgreSQL either way round.

The source is read without being changed (`storage.sources`), table by table in chunks, and
written in one transaction on the target by each store's fast path (COPY on PostgreSQL, a prepared
insert in one transaction on SQLite). Before it commits, every table's count and a checksum of its
key columns are compared with the source's; anything that fails rolls the whole copy back, and a
SQLite file the copy created is removed again.

Tallies are not copied: the target's triggers count the copied votes again, and the checks below
prove they agree with the source.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from operator import itemgetter
from pathlib import Path
from typing import Protocol

from storage.lock import BotLock, lock_path
from storage.opening import open_database, take_lock
from storage.postgres import is_database_url
from storage.sources import CHUNK, CopyRefused, Source, open_source
from storage.sql import Database, Params, Row, Transaction, maybe_moment

__all__ = ["TABLES", "CopyRefused", "Progress", "copy_data"]

# Every table, parents before children, with the columns that tell its rows apart: those are
# what the checksum covers.
TABLES = (
    ("cycles", ("id",)),
    ("suggestions", ("id", "cycle_id", "link_key")),
    ("votes", ("suggestion_id", "platform", "voter_id")),
    ("uncounted_votes", ("suggestion_id", "platform", "voter_id", "reason")),
    ("cards", ("platform", "channel_id", "message_id", "suggestion_id")),
    ("card_posts", ("suggestion_id", "platform", "channel_id")),
    ("feeds", ("id", "source")),
    ("feed_entries", ("id", "feed_id")),
    ("featured_links", ("entry_id", "url")),
    ("feed_identities", ("feed_id", "kind", "value")),
    ("deliveries", ("entry_id", "platform", "channel_id")),
    ("meta", ("name", "value")),
    ("slack_requests", ("signature",)),
)
DERIVED = {"suggestions": {"votes"}}  # kept by the target's triggers
IDENTITIES = ("cycles", "suggestions", "feeds", "feed_entries")  # PostgreSQL sequences to move on
TOTALS = (
    ("votes counted", "SELECT COALESCE(SUM(votes), 0) FROM tallies"),
    ("votes on suggestions", "SELECT COALESCE(SUM(votes), 0) FROM suggestions"),
)

Progress = Callable[[str, int, int], None]  # table, rows done, rows in all


class _Writing(Transaction, Protocol):
    def chunks(self, sql: str, size: int) -> AsyncIterator[list[Row]]: ...

    async def copy_rows(self, table: str, columns: Sequence[str], rows: list[Params]) -> None: ...


async def copy_data(
    source: str | Path, target: str | Path, progress: Progress | None = None
) -> dict[str, int]:
    """Copy every row of `source` into the empty `target`; returns the rows copied per table.
    `CopyRefused` says why nothing was copied."""
    created = _check_target(source, target)
    try:
        async with open_source(source) as reading:
            lock: BotLock = await take_lock(target, wait=False)  # no bot may run on it
            try:
                database = await open_database(target)
                try:
                    return await _copy(reading, database, progress or _quiet)
                finally:
                    await database.close()
            finally:
                lock.release()
    except BaseException:
        if created:
            _remove_sqlite(Path(target))
        raise


def _check_target(source: str | Path, target: str | Path) -> bool:
    """Refuses a target that can't be one; True when the copy will create the file."""
    if _same(source, target):
        raise CopyRefused("the source and the target are the same database")
    if is_database_url(target):
        return False
    if "://" in str(target):
        scheme = str(target).split("://", 1)[0]
        raise CopyRefused(
            f"the target must be a SQLite file path or a postgres:// URL, not a {scheme}:// URL"
        )
    path = Path(target)
    if path.is_dir():
        raise CopyRefused(f"{path} is a folder; give a file path in it")
    if not path.parent.is_dir():
        raise CopyRefused(f"the folder {path.parent} does not exist; create it first")
    return not path.exists()


def _same(source: str | Path, target: str | Path) -> bool:
    if is_database_url(source) or is_database_url(target):
        return str(source) == str(target)
    return Path(source).resolve() == Path(target).resolve()


def _remove_sqlite(path: Path) -> None:
    for leftover in (path, *(path.with_name(path.name + end) for end in ("-wal", "-shm"))):
        leftover.unlink(missing_ok=True)
    lock_path(path).unlink(missing_ok=True)


def _quiet(table: str, done: int, total: int) -> None:
    """No progress shown (the library's default; the command line shows it)."""


async def _copy(source: Source, target: Database, progress: Progress) -> dict[str, int]:
    for table, _ in TABLES:
        row = await target.fetch_one(f"SELECT COUNT(*) FROM {table}")
        if row is not None and row[0]:
            raise CopyRefused(f"{target.where} is not empty ({table} has rows); give a new one")
    totals = {table: await source.number(f"SELECT COUNT(*) FROM {table}") for table, _ in TABLES}
    copied: dict[str, int] = {}
    checksums: dict[str, int] = {}
    async with target.transaction() as transaction:
        writing: _Writing = transaction  # type: ignore[assignment]  # both stores' have these
        async with _tallied_afterwards(transaction):
            for table, keys in TABLES:
                shown = _Shown(progress, table, totals[table])
                copied[table], checksums[table] = await _copy_table(
                    source, writing, table, keys, shown
                )
        if target.dialect == "postgres":
            for table in IDENTITIES:
                await transaction.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                    f" COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) FROM {table}"
                )
        await _verify(source, writing, copied, checksums)
    return copied


@asynccontextmanager
async def _tallied_afterwards(transaction: Transaction) -> AsyncIterator[None]:
    """On SQLite, votes are counted once at the end instead of by their per-row triggers (two
    statements for every vote: most of a large copy's time); the triggers are back before the
    transaction commits. PostgreSQL's triggers run once a statement, and stay."""
    if transaction.dialect != "sqlite":
        yield
        return
    triggers = await transaction.fetch_all(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'votes'"
    )
    for name, _ in triggers:
        await transaction.execute(f"DROP TRIGGER {name}")
    yield
    await transaction.execute(
        "INSERT INTO tallies (suggestion_id, platform, votes)"
        " SELECT suggestion_id, platform, COUNT(*) FROM votes GROUP BY suggestion_id, platform"
    )
    await transaction.execute(
        "UPDATE suggestions SET votes = (SELECT COUNT(*) FROM votes WHERE suggestion_id = id)"
    )
    for _, sql in triggers:
        await transaction.execute(sql)


class _Shown:
    """One table's progress, as rows are done."""

    def __init__(self, progress: Progress, table: str, total: int) -> None:
        self._progress, self._table, self._total = progress, table, total

    def __call__(self, done: int) -> None:
        self._progress(self._table, done, self._total)


async def _copy_table(
    source: Source,
    target: _Writing,
    table: str,
    keys: Sequence[str],
    progress: Callable[[int], None],
) -> tuple[int, int]:
    """Rows and checksum of one table, copied chunk by chunk."""
    done = checksum = 0
    progress(0)
    columns: list[str] = []
    times: list[int] = []
    async for rows in _read_ahead(source.chunks(f"SELECT * FROM {table}")):
        if not columns:
            names = list(rows[0].keys())
            columns = [name for name in names if name not in DERIVED.get(table, ())]
            times = [at for at, name in enumerate(columns) if name.endswith("_at")]
        records = [_record(row, columns, times) for row in rows]
        await target.copy_rows(table, columns, records)
        checksum = _add(checksum, rows, keys)
        done += len(rows)
        progress(done)
    return done, checksum


async def _read_ahead(chunks: AsyncIterator[list[Row]]) -> AsyncIterator[list[Row]]:
    """The source's next chunk is read while the target writes this one."""
    upcoming = asyncio.ensure_future(anext(chunks, None))
    try:
        while (rows := await upcoming) is not None:
            upcoming = asyncio.ensure_future(anext(chunks, None))
            yield rows
    finally:
        upcoming.cancel()


def _record(row: Row, columns: Sequence[str], times: Sequence[int]) -> Params:
    """A row as the target takes it: times as datetimes (SQLite keeps them as text)."""
    values = [row[name] for name in columns] if len(columns) != len(row) else list(row)
    for at in times:
        if isinstance(values[at], str):
            values[at] = maybe_moment(values[at])
    return values


def _add(checksum: int, rows: Sequence[Row], keys: Sequence[str]) -> int:
    """An order-free checksum of the key columns: the stores return rows in their own order,
    and a text key's order differs between SQLite and PostgreSQL collations."""
    checksum += sum(map(hash, map(itemgetter(*keys), rows)))
    return checksum & 0xFFFF_FFFF_FFFF_FFFF


async def _verify(
    source: Source, target: _Writing, copied: dict[str, int], checksums: dict[str, int]
) -> None:
    for table, keys in TABLES:
        count = checksum = 0
        async for rows in target.chunks(f"SELECT {', '.join(keys)} FROM {table}", CHUNK):
            count += len(rows)
            checksum = _add(checksum, rows, keys)
        if count != copied[table] or checksum != checksums[table]:
            raise CopyRefused(
                f"{table}: {copied[table]} rows read, {count} in the copy"
                + ("" if count != copied[table] else ", but their keys differ")
            )
    for what, sql in TOTALS:
        before, after = await source.number(sql), await target.fetch_one(sql)
        if after is None or int(before) != int(after[0]):
            raise CopyRefused(f"{what}: {before} in the source, {after and after[0]} in the copy")
