"""The seam between the stores and the two databases: what a connection must offer so that the
same SQL runs on SQLite and PostgreSQL.

The stores write portable SQL with `?` placeholders, and pass datetimes as they are: SQLite keeps
them as ISO-8601 text, PostgreSQL as `timestamptz`. `moment` reads either back.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Any, Protocol

Row = Any  # sqlite3.Row or asyncpg.Record: both read by column name and by position
Params = Sequence[object]


class UnusableDatabase(Exception):
    """The database can't be used: not reachable, not ours, damaged, or newer than this code."""


class Transaction(Protocol):
    """A connection inside a transaction: nothing it writes is seen until it commits."""

    dialect: str

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]: ...

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None: ...

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement; returns the rows it changed."""

    async def execute_many(self, sql: str, rows: Iterable[Params]) -> None: ...


class Database(Protocol):
    dialect: str  # "sqlite" or "postgres"
    where: str  # for people and logs: the file, or the server without its password

    def transaction(self) -> AbstractAsyncContextManager[Transaction]:
        """One write transaction at a time per process, as on SQLite."""

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]: ...

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None: ...

    async def execute(self, sql: str, params: Params = ()) -> int:
        """One write statement in its own transaction; returns the rows it changed."""

    async def schema_version(self) -> int: ...

    async def close(self) -> None: ...


def moment(value: str | datetime) -> datetime:
    """A stored time as an aware datetime, whichever database kept it."""
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def stamp(dialect: str, value: datetime) -> str | datetime:
    """A time as a parameter repeated on many rows: SQLite's ISO-8601 text made once, where its
    registered adapter would make it again for every row (a third of a vote's insert)."""
    return value if dialect == "postgres" else value.isoformat()


def maybe_moment(value: str | datetime | None) -> datetime | None:
    return None if value is None or value == "" else moment(value)


def one_of(
    dialect: str, column: str, kind: str, values: Sequence[object]
) -> tuple[str, list[object]]:
    """`column` is one of `values`, and its parameters: an IN list on SQLite; one array on
    PostgreSQL, so that the statement's text (prepared once) is the same whatever the count."""
    if dialect == "postgres":
        return f"{column} = ANY(?::{kind}[])", [list(values)]
    return f"{column} IN ({', '.join('?' * len(values))})", list(values)


def table_of(
    dialect: str, kinds: Sequence[str], rows: Sequence[Sequence[object]]
) -> tuple[str, list[object]]:
    """`rows` as a table to select from or compare with, and its parameters: VALUES on SQLite;
    parallel arrays through unnest on PostgreSQL (one statement text whatever the count).
    `kinds` are the columns' PostgreSQL types; SQLite takes the first as an integer."""
    if dialect == "postgres":
        arrays: list[object] = [list(column) for column in zip(*rows, strict=True)]
        return "SELECT * FROM unnest(" + ", ".join(f"?::{k}[]" for k in kinds) + ")", arrays
    first = "CAST(? AS BIGINT)" if kinds[0] == "bigint" else "?"
    one = "(" + ", ".join([first, *["?"] * (len(kinds) - 1)]) + ")"
    return "VALUES " + ", ".join([one] * len(rows)), [part for row in rows for part in row]


async def insert_rows(
    transaction: Transaction,
    head: str,
    kinds: Sequence[str],
    rows: Sequence[Sequence[object]],
    tail: str = "",
) -> None:
    """`head` ("INSERT INTO t (a, b)") for each of `rows`: one statement on PostgreSQL, so that
    its statement-level triggers run once; a prepared statement run per row on SQLite."""
    if not rows:
        return
    if transaction.dialect == "postgres":
        table, params = table_of(transaction.dialect, kinds, rows)
        await transaction.execute(f"{head} {table} {tail}", params)
    else:
        values = ", ".join("?" * len(kinds))
        await transaction.execute_many(f"{head} VALUES ({values}) {tail}", rows)


async def delete_rows(
    transaction: Transaction,
    table: str,
    columns: Sequence[str],
    kinds: Sequence[str],
    rows: Sequence[Sequence[object]],
) -> None:
    """Delete the rows of `table` whose `columns` equal one of `rows`, as `insert_rows` does."""
    if not rows:
        return
    if transaction.dialect == "postgres":
        matching, params = table_of(transaction.dialect, kinds, rows)
        await transaction.execute(
            f"DELETE FROM {table} WHERE ({', '.join(columns)}) IN ({matching})", params
        )
    else:
        condition = " AND ".join(f"{column} = ?" for column in columns)
        await transaction.execute_many(f"DELETE FROM {table} WHERE {condition}", rows)
