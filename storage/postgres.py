"""PostgreSQL through asyncpg: a small pool, the numbered migrations applied under an advisory
lock, statement timeouts, and reconnection after the server restarts.

The stores' SQL is the same as on SQLite: `?` placeholders become `$1, $2, …` here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import asyncpg

from storage.migrating import migrations, missing_tables
from storage.sql import Params, Row, Transaction, UnusableDatabase

Connection = asyncpg.Connection | asyncpg.pool.PoolConnectionProxy

log = logging.getLogger(__name__)

POOL_SIZE = 4  # a bot's queries are short: one writer at a time, a few readers
STATEMENT_TIMEOUT_MS = 15_000
CONNECT_TIMEOUT_SECONDS = 10.0
CLOSE_SECONDS = 1.0
SCHEMES = ("postgres", "postgresql")

# The connection was lost (the server restarted, or a proxy dropped it): worth one more try.
# A pooled connection whose server process was ended while idle fails its next query with
# asyncpg's InternalClientError or InterfaceError, not a connection error.
CONNECTION_LOST: tuple[type[BaseException], ...] = (
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.InternalClientError,
    asyncpg.InterfaceError,
    ConnectionError,
    TimeoutError,
)


# Query parameters that can be shown: any other may be a secret (`password`, `sslpassword`, …).
SHOWN_PARAMETERS = frozenset(
    ("sslmode", "search_path", "application_name", "connect_timeout", "target_session_attrs")
)


def redacted(url: str) -> str:
    """The URL as people may see it: user, host, database and harmless parameters, never a
    password, whether in the address or as a query parameter."""
    parts = urlsplit(url)
    if parts.password is not None:
        netloc = parts.netloc.rsplit("@", 1)[1]
        parts = parts._replace(netloc=f"{parts.username or ''}:***@{netloc}")
    if parts.query:
        query = [
            (name, value if name.lower() in SHOWN_PARAMETERS else "***")
            for name, value in parse_qsl(parts.query, keep_blank_values=True)
        ]
        parts = parts._replace(query=urlencode(query, safe="*,"))
    return urlunsplit(parts)


def is_database_url(location: object) -> bool:
    return isinstance(location, str) and urlsplit(location).scheme in SCHEMES


@lru_cache(maxsize=512)
def numbered(sql: str) -> str:
    """`?` placeholders as PostgreSQL's `$n` (none of our SQL has a `?` inside a literal)."""
    pieces = sql.split("?")
    return "".join(
        piece + (f"${n}" if n < len(pieces) else "") for n, piece in enumerate(pieces, start=1)
    )


def _affected(status: str) -> int:
    """Rows changed, from a command tag such as "UPDATE 3" or "INSERT 0 1"."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


async def connect(url: str, application_name: str) -> asyncpg.Connection:
    """One connection outside the pool (the leader lock lives on one)."""
    try:
        return await asyncpg.connect(
            url,
            timeout=CONNECT_TIMEOUT_SECONDS,
            server_settings={"application_name": application_name},
        )
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
        raise UnusableDatabase(f"{redacted(url)} can't be reached ({error})") from None


async def schema_of(connection: asyncpg.Connection) -> tuple[int, set[str]]:
    """The schema version a PostgreSQL database is at (0: none) and the tables it has, read
    without writing (check, copy-data)."""
    version = 0
    if await connection.fetchval("SELECT to_regclass('schema_migrations') IS NOT NULL"):
        version = int(
            await connection.fetchval("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")
        )
    rows = await connection.fetch(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
    )
    return version, {row[0] for row in rows}


async def _keep_as_is(connection: asyncpg.Connection) -> None:
    """Pooled connections go back as they are. asyncpg's default reset (unlock, close cursors,
    unlisten, reset settings) would cost a round trip per query, and none of that is used on
    them: the bot's lock lives on a connection of its own."""


class PostgresDatabase:
    """Implements `storage.sql.Database` on an asyncpg pool."""

    dialect = "postgres"

    def __init__(self, pool: asyncpg.Pool, url: str) -> None:
        self._pool = pool
        self._write_lock = asyncio.Lock()  # one write transaction at a time, as on SQLite
        self.where = redacted(url)

    @classmethod
    async def open(cls, url: str) -> PostgresDatabase:
        try:
            pool = await asyncpg.create_pool(
                url,
                min_size=1,
                max_size=POOL_SIZE,
                timeout=CONNECT_TIMEOUT_SECONDS,
                command_timeout=STATEMENT_TIMEOUT_MS / 1000 + 5,
                reset=_keep_as_is,
                server_settings={
                    "application_name": "shortlist",
                    "statement_timeout": str(STATEMENT_TIMEOUT_MS),
                    "idle_in_transaction_session_timeout": str(STATEMENT_TIMEOUT_MS * 2),
                },
            )
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
            raise UnusableDatabase(f"{redacted(url)} can't be reached ({error})") from None
        database = cls(pool, url)
        try:
            await database.migrate()
        except BaseException:
            await pool.close()
            raise
        return database

    async def close(self) -> None:
        """Close the pool; a connection still busy after a second (a hung server) is
        terminated, without waiting for its query's cancellation to be answered."""
        closing = asyncio.ensure_future(self._pool.close())
        if not (await asyncio.wait({closing}, timeout=CLOSE_SECONDS))[0]:
            closing.cancel()
            self._pool.terminate()

    async def schema_version(self) -> int:
        exists = await self.fetch_one("SELECT to_regclass('schema_migrations') IS NOT NULL")
        if exists is None or not exists[0]:
            return 0
        row = await self.fetch_one("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")
        return int(row[0]) if row is not None else 0

    async def migrate(self) -> int:
        """Apply every newer migration in one transaction, under an advisory lock, so two bots
        starting at once never both migrate."""
        scripts = migrations("postgres")
        newest = scripts[-1][0]
        async with self._pool.acquire() as connection, connection.transaction():
            await connection.execute(
                "SELECT pg_advisory_xact_lock("
                " hashtext('shortlist migrations ' || current_schema()))"
            )
            await connection.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY,"
                " applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
            )
            current = int(
                await connection.fetchval("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")
            )
            if current > newest:
                raise UnusableDatabase(
                    f"{self.where} was written by a newer Shortlist (schema {current}; this "
                    f"version knows up to {newest}); upgrade Shortlist, or use another DATABASE_URL"
                )
            others = await connection.fetchval(
                "SELECT COUNT(*) FROM pg_tables WHERE schemaname = current_schema()"
                " AND tablename != 'schema_migrations'"
            )
            if current == 0 and others:
                raise UnusableDatabase(f"{self.where} holds another program's tables")
            for version, script in scripts[current:]:
                await connection.execute(script)
                await connection.execute(
                    "INSERT INTO schema_migrations (version) VALUES ($1)", version
                )
            present = await connection.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
            )
            missing = missing_tables({row[0] for row in present})
            if missing:
                raise UnusableDatabase(f"{self.where} is damaged: the tables {missing} are missing")
        if newest > current:
            log.info("Database %s migrated from version %d to %d", self.where, current, newest)
        return newest

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        async with self._write_lock, self._connection(begin=True) as connection:
            try:
                yield PostgresTransaction(connection)
            except BaseException:
                with contextlib.suppress(*CONNECTION_LOST):  # a lost one rolled back already
                    await connection.execute("ROLLBACK")
                raise
            await connection.execute("COMMIT")

    @asynccontextmanager
    async def _connection(self, *, begin: bool = False) -> AsyncIterator[Connection]:
        """A pooled connection known to work, in a transaction if `begin`: one left dead by a
        server restart fails its first statement, and is replaced before anything is done."""
        for attempt in range(3):
            connection = await self._pool.acquire()
            try:
                await connection.execute("BEGIN" if begin else "SELECT 1")
            except CONNECTION_LOST:
                with contextlib.suppress(asyncpg.InterfaceError):  # released itself as it closed
                    connection.terminate()  # the pool opens a new one in its place
                await self._pool.release(connection)
                if attempt == 2:
                    raise
                await asyncio.sleep(0.2 * attempt)
                continue
            try:
                yield connection
            finally:
                await self._pool.release(connection)
            return

    async def _read(self, method: str, sql: str, params: Params) -> Any:
        try:
            return await getattr(self._pool, method)(numbered(sql), *params)
        except CONNECTION_LOST:  # a read is safe to try again, on a fresh connection
            async with self._connection() as connection:
                return await getattr(connection, method)(numbered(sql), *params)

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        rows: list[Row] = await self._read("fetch", sql, params)
        return rows

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        return await self._read("fetchrow", sql, params)

    async def execute(self, sql: str, params: Params = ()) -> int:
        async with self.transaction() as transaction:
            return await transaction.execute(sql, params)


class PostgresTransaction:
    """Implements `storage.sql.Transaction` on an asyncpg connection."""

    dialect = "postgres"

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        rows: list[Row] = await self._connection.fetch(numbered(sql), *params)
        return rows

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        return await self._connection.fetchrow(numbered(sql), *params)

    async def execute(self, sql: str, params: Params = ()) -> int:
        return _affected(await self._connection.execute(numbered(sql), *params))

    async def execute_many(self, sql: str, rows: Iterable[Params]) -> None:
        batch = [tuple(row) for row in rows]
        if batch:
            await self._connection.executemany(numbered(sql), batch)

    async def chunks(self, sql: str, size: int) -> AsyncIterator[list[Row]]:
        cursor = await self._connection.cursor(numbered(sql))
        while rows := await cursor.fetch(size):
            yield rows

    async def copy_rows(self, table: str, columns: Sequence[str], rows: list[Params]) -> None:
        """Many new rows at once (copy-data) through COPY, PostgreSQL's fast path."""
        await self._connection.copy_records_to_table(table, records=rows, columns=list(columns))
