"""What operators do with the database file while the bot runs: check it, back it up."""

from __future__ import annotations

import contextlib
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from storage.leader import HOLDER
from storage.migrating import migrations, missing_tables
from storage.postgres import connect, schema_of

COUNTED = ("cycles", "suggestions", "votes", "cards", "feeds", "feed_entries", "deliveries")


@dataclass(frozen=True, slots=True)
class Report:
    schema: int
    newest: int
    counts: dict[str, int]
    check: str  # SQLite's quick_check: "ok" when sound
    missing: str = ""  # tables the schema should have and this database lacks
    active: str | None = None  # PostgreSQL: the bot holding the database, if one runs


def inspect(path: Path) -> Report:
    """Open read-only (nothing is written, not even a journal mode) and report."""
    uri = f"file:{path.resolve()}?mode=ro"
    with contextlib.closing(sqlite3.connect(uri, uri=True, timeout=5)) as connection:
        schema = int(connection.execute("PRAGMA user_version").fetchone()[0])
        check = str(connection.execute("PRAGMA quick_check").fetchone()[0])
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
        counts = {
            table: int(connection.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
            for table in COUNTED
            if table in tables
        }
    newest = migrations()[-1][0]
    return Report(schema, newest, counts, check, "" if schema < newest else missing_tables(tables))


def recall(path: Path, name: str) -> str | None:
    """One fact the bot keeps in `meta` (its heartbeat), read without writing anything."""
    uri = f"file:{path.resolve()}?mode=ro"
    try:
        with contextlib.closing(sqlite3.connect(uri, uri=True, timeout=5)) as connection:
            row = connection.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
    except sqlite3.Error:
        return None
    return None if row is None else str(row[0])


async def recall_on_server(url: str, name: str) -> str | None:
    """The same on PostgreSQL; `UnusableDatabase` if unreachable."""
    connection = await connect(url, "shortlist check")
    try:
        if not await connection.fetchval("SELECT to_regclass('meta') IS NOT NULL"):
            return None
        value = await connection.fetchval("SELECT value FROM meta WHERE name = $1", name)
    finally:
        await connection.close()
    return None if value is None else str(value)


async def inspect_server(url: str) -> Report:
    """The same report for a PostgreSQL database, read-only; `UnusableDatabase` if unreachable."""
    connection = await connect(url, "shortlist check")
    try:
        async with connection.transaction(readonly=True):
            schema, tables = await schema_of(connection)
            counts = {
                table: int(await connection.fetchval(f"SELECT COUNT(*) FROM {table}"))
                for table in COUNTED
                if table in tables
            }
            active = await connection.fetchval(HOLDER)
    finally:
        await connection.close()
    newest = migrations("postgres")[-1][0]
    missing = "" if schema < newest else missing_tables(tables)
    return Report(schema, newest, counts, "ok", missing, active)


class BackupFailed(Exception):
    """The copy could not be made; says why."""


def backup(path: Path, target: Path) -> int:
    """A consistent copy of a live database (SQLite's online backup); returns its size."""
    if target.exists():
        raise BackupFailed(f"{target} exists already; give a new file name")
    if not path.exists():
        raise BackupFailed(f"there is no database at {path} yet")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        uri = f"file:{path.resolve()}?mode=ro"
        with (
            contextlib.closing(sqlite3.connect(uri, uri=True, timeout=30)) as source,
            contextlib.closing(sqlite3.connect(target)) as copy,
        ):
            source.backup(copy)
    except (OSError, sqlite3.Error) as error:
        target.unlink(missing_ok=True)
        raise BackupFailed(str(error)) from None
    return target.stat().st_size
