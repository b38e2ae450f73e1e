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


def maybe_moment(value: str | datetime | None) -> datetime | None:
    return None if value is None or value == "" else moment(value)


def int_values(rows: int, width: int) -> str:
    """`VALUES (?, ?), …` whose first column is an integer on both databases (PostgreSQL would
    otherwise take an untyped parameter in a VALUES list as text)."""
    one = "(" + ", ".join(["CAST(? AS BIGINT)", *["?"] * (width - 1)]) + ")"
    return "VALUES " + ", ".join([one] * rows)


def text_values(rows: int, width: int) -> str:
    one = "(" + ", ".join("?" * width) + ")"
    return "VALUES " + ", ".join([one] * rows)


def placeholders(count: int) -> str:
    return ", ".join("?" * count)
