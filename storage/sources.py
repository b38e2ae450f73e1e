"""The side `copy-data` reads: a Shortlist database opened so that nothing on it can change.

A SQLite source is copied first, by SQLite's online backup from a read-only connection, into a
private temporary file that is migrated and read instead; a PostgreSQL source is read in one
repeatable-read transaction in which any missing migrations are applied and then rolled back.
Either way the source is never written, never migrated, and nothing is created beside it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import sqlite3
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Protocol

import asyncpg

from storage.lock import DatabaseInUse, lock_path
from storage.migrating import migrations
from storage.postgres import (
    PostgresTransaction,
    connect,
    is_database_url,
    redacted,
    schema_of,
)
from storage.sql import Row, UnusableDatabase
from storage.sqlite import SqliteDatabase

CHUNK = 10_000  # rows read, and written, at a time: memory stays flat whatever the table's size
OURS = ("cycles", "suggestions", "votes", "feeds")  # a database without these is not Shortlist's


class CopyRefused(Exception):
    """The copy was not made (nothing was written); says why."""


class Source(Protocol):
    where: str

    async def number(self, sql: str) -> int:
        """The one number a query such as COUNT(*) gives."""

    def chunks(self, sql: str) -> AsyncIterator[list[Row]]: ...


@asynccontextmanager
async def open_source(location: str | Path) -> AsyncIterator[Source]:
    """The database at `location`, read-only; `CopyRefused` if it is missing or not ours."""
    if is_database_url(location):
        async with _postgres_source(str(location)) as source:
            yield source
    elif "://" in str(location):
        raise CopyRefused(f"{location} is neither a SQLite file nor a postgres:// URL")
    else:
        async with _sqlite_source(Path(location)) as source:
            yield source


class _SqliteSource:
    def __init__(self, database: SqliteDatabase, where: str) -> None:
        self._database = database
        self.where = where

    async def number(self, sql: str) -> int:
        row = await self._database.fetch_one(sql)
        return int(row[0]) if row is not None else 0

    def chunks(self, sql: str) -> AsyncIterator[list[Row]]:
        return self._database.chunks(sql, CHUNK)


@asynccontextmanager
async def _sqlite_source(path: Path) -> AsyncIterator[Source]:
    folder = await asyncio.to_thread(_snapshot, path)
    copy = folder / "source.sqlite3"
    try:
        try:
            database = await SqliteDatabase.open(copy)  # migrated here, never at the source
        except UnusableDatabase as error:
            raise CopyRefused(str(error).replace(str(copy), str(path))) from None
        try:
            yield _SqliteSource(database, str(path))
        finally:
            await database.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _refuse_if_running(path: Path) -> None:
    """A bot writing the source would add votes the copy never sees; its lock file tells,
    read without creating it (a bot always has one)."""
    lock = lock_path(path)
    if not lock.exists():
        return
    import fcntl

    with lock.open("r", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = handle.read().strip() or "unknown"
            raise DatabaseInUse(
                f"Another Shortlist ({holder}) is using the database {path}; stop it first"
            ) from None


def _snapshot(path: Path) -> Path:
    """A private folder holding a consistent copy of `path`, made by a connection that can't
    write. With no write-ahead log beside it (the bot stopped cleanly) the file is opened as
    immutable, so SQLite creates no -wal or -shm file at the source either."""
    if not path.is_file():
        raise CopyRefused(f"there is no database at {path}")
    _refuse_if_running(path)
    folder = Path(tempfile.mkdtemp(prefix="shortlist-copy-"))
    try:
        _back_up(path, folder / "source.sqlite3")
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return folder


def _back_up(path: Path, copy: Path) -> None:
    wal = path.with_name(path.name + "-wal")
    mode = "mode=ro" if wal.exists() and wal.stat().st_size else "immutable=1"
    uri = f"file:{path.resolve()}?{mode}"
    try:
        with (
            contextlib.closing(sqlite3.connect(uri, uri=True, timeout=30)) as source,
            contextlib.closing(sqlite3.connect(copy)) as target,
        ):
            version = int(source.execute("PRAGMA user_version").fetchone()[0])
            tables = {row[0] for row in source.execute("SELECT name FROM sqlite_master")}
            if version == 0 or not set(OURS) <= tables:
                raise CopyRefused(f"{path} is not a Shortlist database")
            source.backup(target)
    except sqlite3.DatabaseError as error:
        raise CopyRefused(f"{path} is not a SQLite database ({error})") from None
    os.chmod(copy, 0o600)


class _PostgresSource:
    def __init__(self, connection: asyncpg.Connection, where: str) -> None:
        self._connection = connection
        self.where = where

    async def number(self, sql: str) -> int:
        return int(await self._connection.fetchval(sql))

    def chunks(self, sql: str) -> AsyncIterator[list[Row]]:
        return PostgresTransaction(self._connection).chunks(sql, CHUNK)


@asynccontextmanager
async def _postgres_source(url: str) -> AsyncIterator[Source]:
    from storage.leader import PostgresLeader

    where = redacted(url)
    try:
        leader = PostgresLeader(url)
        await leader.acquire(wait=False)  # no bot may write it while it is read
    except UnusableDatabase as error:
        raise CopyRefused(str(error)) from None
    try:
        connection = await connect(url, "shortlist copy-data")
        try:
            transaction = connection.transaction(isolation="repeatable_read")
            await transaction.start()
            try:
                await _migrate_for_reading(connection, where)
                yield _PostgresSource(connection, where)
            finally:
                await transaction.rollback()  # whatever was migrated for reading is undone
        finally:
            await connection.close()
    finally:
        leader.release()


async def _migrate_for_reading(connection: asyncpg.Connection, where: str) -> None:
    scripts = migrations("postgres")
    current, present = await schema_of(connection)
    if current == 0 or not set(OURS) <= present:
        raise CopyRefused(f"{where} holds no Shortlist database")
    if current > scripts[-1][0]:
        raise CopyRefused(f"{where} was written by a newer Shortlist (schema {current})")
    for _, script in scripts[current:]:
        await connection.execute(script)
