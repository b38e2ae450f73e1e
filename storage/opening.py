"""Opening the database a setting names: a SQLite file path, or a PostgreSQL URL."""

from __future__ import annotations

from pathlib import Path

from storage.leader import PostgresLeader
from storage.lock import BotLock, DatabaseLock
from storage.postgres import PostgresDatabase, is_database_url
from storage.sql import Database
from storage.sqlite import SqliteDatabase


async def open_database(location: str | Path) -> Database:
    """The database at `location`, migrated, without taking the bot's lock (tools use this)."""
    if is_database_url(location):
        return await PostgresDatabase.open(str(location))
    return await SqliteDatabase.open(location)


async def open_for_bot(location: str | Path) -> tuple[BotLock, Database]:
    """The bot's lock, then the database. On SQLite a second bot is refused (`DatabaseInUse`);
    on PostgreSQL it stands by until the active one stops."""
    lock: BotLock
    if is_database_url(location):
        leader = PostgresLeader(str(location))
        await leader.acquire()
        lock = leader
    else:
        file_lock = DatabaseLock(Path(location))
        file_lock.acquire()
        lock = file_lock
    try:
        return lock, await open_database(location)
    except BaseException:
        lock.release()
        raise
