"""Migrations and connection settings on real SQLite files."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import asyncpg
import pytest

from storage import Database, SqliteDatabase, UnusableDatabase
from storage.migrating import migrations


async def test_a_new_database_is_migrated_to_the_newest_version(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "bot.sqlite3"
    database = await SqliteDatabase.open(path)
    try:
        assert await database.schema_version() == migrations()[-1][0]
        mode = await database.fetch_one("PRAGMA journal_mode")
        keys = await database.fetch_one("PRAGMA foreign_keys")
        assert mode is not None
        assert keys is not None
        assert (mode[0], keys[0]) == ("wal", 1)
    finally:
        await database.close()
    assert path.exists()


async def test_reopening_applies_nothing_twice(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    await (await SqliteDatabase.open(path)).close()
    database = await SqliteDatabase.open(path)
    try:
        assert await database.migrate() == migrations()[-1][0]
    finally:
        await database.close()


def test_migrations_are_numbered_without_gaps() -> None:
    versions = [version for version, _ in migrations()]
    assert versions == list(range(1, len(versions) + 1))


async def test_a_failing_migration_leaves_the_database_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    with sqlite3.connect(path) as raw:  # version 1, with a table migration 2 will create too
        raw.executescript(migrations()[0][1])
        raw.execute("PRAGMA user_version = 1")
        raw.execute("CREATE TABLE feeds (x INTEGER)")
    with pytest.raises(sqlite3.OperationalError, match="already exists"):
        await SqliteDatabase.open(path)
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == 1
        tables = {row[0] for row in raw.execute("SELECT name FROM sqlite_master")}
    assert "feed_entries" not in tables


async def test_a_database_that_is_not_ours_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    with sqlite3.connect(path) as raw:  # a database some other program got to first
        raw.execute("CREATE TABLE cycles (x INTEGER)")
    before = path.read_bytes()
    with pytest.raises(UnusableDatabase, match="another program's"):
        await SqliteDatabase.open(path)
    assert path.read_bytes() == before


async def test_a_failed_transaction_is_rolled_back(database: Database) -> None:
    async def insert_then_fail() -> None:
        async with database.transaction() as connection:
            await connection.execute("INSERT INTO cycles (opened_at) VALUES ('2026-01-01')")
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        await insert_then_fail()
    assert await database.fetch_all("SELECT * FROM cycles") == []
    await database.execute("INSERT INTO cycles (opened_at) VALUES ('2026-01-01')")
    assert len(await database.fetch_all("SELECT * FROM cycles")) == 1


async def test_only_one_cycle_can_be_open(database: Database) -> None:
    await database.execute("INSERT INTO cycles (opened_at) VALUES ('2026-01-01')")
    with pytest.raises((sqlite3.IntegrityError, asyncpg.UniqueViolationError)):
        await database.execute("INSERT INTO cycles (opened_at) VALUES ('2026-01-02')")
