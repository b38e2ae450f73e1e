"""The SQLite connection: WAL, foreign keys, numbered forward-only migrations, one writer."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path

import aiosqlite

from storage.migrating import migrations, missing_tables
from storage.sql import Params, Row, Transaction, UnusableDatabase

log = logging.getLogger(__name__)

# Times are kept as ISO-8601 text; `storage.sql.moment` reads them back.
sqlite3.register_adapter(datetime, datetime.isoformat)


class SqliteDatabase:
    """Implements `storage.sql.Database` on two aiosqlite connections: a writer, and a read-only
    reader so that reads don't queue behind writes.

    Writes go through `transaction()`, which holds a lock so that two coroutines never
    interleave statements inside one SQLite transaction.
    """

    dialect = "sqlite"

    def __init__(self, connection: aiosqlite.Connection, path: Path) -> None:
        self._connection = connection
        self._reader: aiosqlite.Connection | None = None
        self._write_lock = asyncio.Lock()
        self.path = path
        self.where = str(path)

    @classmethod
    async def open(cls, path: str | Path) -> SqliteDatabase:
        path = Path(path)
        try:
            if str(path) != ":memory:":
                path.parent.mkdir(parents=True, exist_ok=True)
            connection = await aiosqlite.connect(path, isolation_level=None)
        except (OSError, sqlite3.Error) as error:
            raise UnusableDatabase(f"{path} can't be opened ({error})") from None
        connection.row_factory = sqlite3.Row
        database = cls(connection, path)
        try:
            await database._check_usable()
            await connection.execute("PRAGMA journal_mode = WAL")
            await connection.execute("PRAGMA foreign_keys = ON")
            await connection.execute("PRAGMA busy_timeout = 5000")
            await connection.execute("PRAGMA synchronous = NORMAL")
            await database.migrate()
            if str(path) != ":memory:":
                database._reader = await aiosqlite.connect(path, isolation_level=None)
                database._reader.row_factory = sqlite3.Row
                await database._reader.execute("PRAGMA query_only = ON")
                await database._reader.execute("PRAGMA foreign_keys = ON")
                await database._reader.execute("PRAGMA busy_timeout = 5000")
        except BaseException:
            await connection.close()
            if database._reader is not None:
                await database._reader.close()
            raise
        return database

    async def _check_usable(self) -> None:
        """Refuse, before anything is written, a file that isn't ours to run on."""
        try:
            version = await self.schema_version()
            tables = await self.fetch_all("SELECT name FROM sqlite_master WHERE type = 'table'")
            check = await self.fetch_one("PRAGMA quick_check")
        except sqlite3.DatabaseError as error:
            if "malformed" in str(error):
                raise UnusableDatabase(self._damaged(str(error))) from None
            raise UnusableDatabase(f"{self.path} is not a SQLite database ({error})") from None
        newest = migrations("sqlite")[-1][0]
        if check is not None and check[0] != "ok":
            raise UnusableDatabase(self._damaged(check[0]))
        if version > newest:
            raise UnusableDatabase(
                f"{self.path} was written by a newer Shortlist (schema {version}; this version "
                f"knows up to {newest}); upgrade Shortlist, or point DATABASE_PATH elsewhere"
            )
        if version == 0 and tables:
            raise UnusableDatabase(f"{self.path} is another program's SQLite database")
        missing = missing_tables({row[0] for row in tables}) if version == newest else ""
        if missing:
            raise UnusableDatabase(self._damaged(f"the tables {missing} are missing"))

    def _damaged(self, why: str) -> str:
        return (
            f"{self.path} is damaged (SQLite says: {why}); "
            "restore a backup (see the README's Operating the bot)"
        )

    async def close(self) -> None:
        if self._reader is not None:
            await self._reader.close()
        async with self._write_lock:
            await self._connection.close()

    async def schema_version(self) -> int:
        row = await self.fetch_one("PRAGMA user_version")
        assert row is not None
        return int(row[0])

    async def migrate(self) -> int:
        """Apply every migration newer than `PRAGMA user_version`, all in one transaction."""
        current = await self.schema_version()
        pending = [(version, sql) for version, sql in migrations("sqlite") if version > current]
        if not pending:
            return current
        target = pending[-1][0]
        # executescript would commit an open transaction first, so the script carries its own.
        script = "\n".join(
            ["BEGIN IMMEDIATE;", *(sql for _, sql in pending), f"PRAGMA user_version = {target};"]
        )
        async with self._write_lock:
            try:
                await self._connection.executescript(script + "\nCOMMIT;")
            except BaseException:
                if self._connection.in_transaction:
                    await self._connection.execute("ROLLBACK")
                raise
        log.info("Database %s migrated from version %d to %d", self.path, current, target)
        return target

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        async with self._write_lock:
            await self._connection.execute("BEGIN IMMEDIATE")
            try:
                yield SqliteTransaction(self._connection)
            except BaseException:
                await self._connection.execute("ROLLBACK")
                raise
            await self._connection.execute("COMMIT")

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        return await SqliteTransaction(self._reader or self._connection).fetch_one(sql, params)

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        return await SqliteTransaction(self._reader or self._connection).fetch_all(sql, params)

    async def execute(self, sql: str, params: Params = ()) -> int:
        async with self.transaction() as transaction:
            return await transaction.execute(sql, params)

    def chunks(self, sql: str, size: int) -> AsyncIterator[list[Row]]:
        """The rows of a large read, `size` at a time (tools use it: copy-data)."""
        return SqliteTransaction(self._reader or self._connection).chunks(sql, size)


class SqliteTransaction:
    """Implements `storage.sql.Transaction` on an aiosqlite connection."""

    dialect = "sqlite"

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._connection = connection

    # One trip to the connection's thread per query (a cursor's execute, fetch and close would
    # be three, each waiting for the event loop's next turns to hand back its result).

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        return list(await self._connection.execute_fetchall(sql, tuple(params)))

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        rows = list(await self._connection.execute_fetchall(sql, tuple(params)))
        return rows[0] if rows else None

    async def execute(self, sql: str, params: Params = ()) -> int:
        async with self._connection.execute(sql, tuple(params)) as cursor:
            return cursor.rowcount

    async def execute_many(self, sql: str, rows: Iterable[Params]) -> None:
        await self._connection.executemany(sql, [tuple(row) for row in rows])

    async def chunks(self, sql: str, size: int) -> AsyncIterator[list[Row]]:
        async with self._connection.execute(sql) as cursor:
            while rows := list(await cursor.fetchmany(size)):
                yield rows

    async def copy_rows(self, table: str, columns: Sequence[str], rows: list[Params]) -> None:
        """Many new rows at once (copy-data); a prepared insert per row is SQLite's fast path."""
        marks = ", ".join("?" * len(columns))
        await self.execute_many(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows
        )
