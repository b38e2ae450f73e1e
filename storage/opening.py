"""Opening the database a setting names: a SQLite file path, or a PostgreSQL URL."""

from __future__ import annotations

from pathlib import Path

from storage.leader import PostgresLeader
from storage.lock import BotLock, DatabaseLock, NoLock
from storage.postgres import PostgresDatabase, is_database_url
from storage.sql import Database
from storage.sqlite import SqliteDatabase


async def open_database(location: str | Path) -> Database:
    """The database at `location`, migrated, without taking the bot's lock (tools use this)."""
    if is_database_url(location):
        return await PostgresDatabase.open(str(location))
    return await SqliteDatabase.open(location)


async def take_lock(location: str | Path, *, wait: bool) -> BotLock:
    """The bot's lock on the database at `location`. Held by another bot: `DatabaseInUse` on
    SQLite; on PostgreSQL, a wait until it is free (`wait`) or `DatabaseInUse`."""
    if is_database_url(location):
        leader = PostgresLeader(str(location))
        await leader.acquire(wait=wait)
        return leader
    lock = DatabaseLock(Path(location))
    lock.acquire()
    return lock


async def open_for_bot(location: str | Path, *, exclusive: bool = True) -> tuple[BotLock, Database]:
    """The bot's lock, then the database. On SQLite a second bot is refused (`DatabaseInUse`);
    on PostgreSQL it stands by until the active one stops. Not `exclusive`: no lock, for an
    operator's command beside a running bot."""
    lock: BotLock = await take_lock(location, wait=True) if exclusive else NoLock()
    try:
        return lock, await open_database(location)
    except BaseException:
        lock.release()
        raise
