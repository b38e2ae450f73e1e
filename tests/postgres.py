"""A real PostgreSQL server for the tests: one database per run, one schema per test.

The server is the one at `SHORTLIST_TEST_POSTGRES` (default: postgres@127.0.0.1:5432, trust
authentication). Without one the PostgreSQL tests skip, with one line saying why, unless
`SHORTLIST_REQUIRE_POSTGRES` is set (CI sets it): then they fail.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Iterator

import asyncpg
import pytest

from storage import redacted

SERVER = os.environ.get("SHORTLIST_TEST_POSTGRES", "postgres://postgres@127.0.0.1:5432/postgres")


async def admin(sql: str, server: str = SERVER) -> None:
    """One statement on the server's maintenance database (CREATE/DROP DATABASE)."""
    connection = await asyncpg.connect(server, timeout=5)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def run_database() -> Iterator[str]:
    """This run's own database, dropped at the end; skips (or fails, in CI) with no server."""
    name = f"shortlist_test_{secrets.token_hex(4)}"
    try:
        asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
        why = f"no PostgreSQL server at {redacted(SERVER)} ({error})"
        if os.environ.get("SHORTLIST_REQUIRE_POSTGRES"):
            pytest.fail(f"SHORTLIST_REQUIRE_POSTGRES is set but there is {why}")
        pytest.skip(f"PostgreSQL tests skipped: {why}")
    base, _, _ = SERVER.rpartition("/")
    yield f"{base}/{name}"
    asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def fresh_schema(database_url: str) -> str:
    """A new, empty schema in the run's database, as a DATABASE_URL that works in it."""
    schema = f"t_{secrets.token_hex(6)}"
    connection = await asyncpg.connect(database_url, timeout=5)
    try:
        await connection.execute(f"CREATE SCHEMA {schema}")
    finally:
        await connection.close()
    return f"{database_url}?search_path={schema}"
