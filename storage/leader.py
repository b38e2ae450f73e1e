"""One active bot per PostgreSQL database, and hot standbys: a session advisory lock held on a
connection of its own (never a pooled one).

A second bot on the same `DATABASE_URL` waits for the lock and takes over within a couple of
seconds of the active one stopping: when a process dies, even by SIGKILL, the server sees its
connection close and frees the lock. The holder's connection is named after its pid and host, so
a standby can say whom it is waiting for.

If the lock's connection is lost (the server restarted), the holder takes the lock again on a new
connection; if another bot got there first, `lost` is set and the bot must stop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket

import asyncpg

from storage.lock import DatabaseInUse
from storage.postgres import CONNECTION_LOST, connect, redacted
from storage.sql import UnusableDatabase

log = logging.getLogger(__name__)

LOCK_CLASS = 0x53484C54  # "SHLT": the first half of the advisory lock's key
KEY = "hashtext(current_database() || '.' || current_schema())"
TAKE = f"SELECT pg_try_advisory_lock({LOCK_CLASS}, {KEY})"
HOLDER = (
    "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
    f" WHERE l.locktype = 'advisory' AND l.granted AND l.classid = {LOCK_CLASS}"
    f" AND l.objid = {KEY}::oid AND l.objsubid = 2 AND l.database = ("
    " SELECT oid FROM pg_database WHERE datname = current_database())"
)
UNREACHABLE: tuple[type[BaseException], ...] = (*CONNECTION_LOST, UnusableDatabase)
POLL_SECONDS = 1.0  # how often a standby tries the lock
CHECK_SECONDS = 3.0  # how often the holder checks its lock's connection
CONFIRM_SECONDS = 2.0  # a lock check before a post that takes longer counts as lost


class PostgresLeader:
    """Implements the bot's lock (see `storage.lock.DatabaseLock`) on PostgreSQL."""

    def __init__(self, url: str) -> None:
        self._url = url
        self.where = redacted(url)
        self.name = f"shortlist (pid {os.getpid()} on {socket.gethostname()})"
        self.lost = asyncio.Event()
        self._connection: asyncpg.Connection | None = None
        self._keeper: asyncio.Task[None] | None = None
        self._retaking = asyncio.Lock()

    async def acquire(self, *, wait: bool = True) -> None:
        """Take the lock, waiting (as a standby) for as long as another bot holds it; with
        `wait` False, raise `DatabaseInUse` instead."""
        self._connection = await connect(self._url, self.name)  # unreachable: raises at once
        if await self._connection.fetchval("SELECT current_schema()") is None:
            self.release()
            raise UnusableDatabase(f"{self.where} names a schema (search_path) that does not exist")
        waiting_for: str | None = None
        while not await self._try():
            if not wait:
                holder = await self._holder()
                self.release()
                raise DatabaseInUse(
                    f"Another Shortlist ({holder or 'unknown'}) is using the database {self.where}"
                )
            holder = await self._holder()
            if holder != waiting_for:
                log.warning(
                    "Standing by: %s is active on %s; taking over as soon as it stops",
                    holder or "another Shortlist",
                    self.where,
                )
                waiting_for = holder
            await asyncio.sleep(POLL_SECONDS)
        if waiting_for is not None:
            log.warning("Taking over: this bot is now the active one on %s", self.where)
        self._keeper = asyncio.create_task(self._keep(), name="leader lock")

    async def _try(self) -> bool:
        """One attempt at the lock on a live connection; a lost connection is opened again."""
        try:
            if self._connection is None or self._connection.is_closed():
                self._connection = await connect(self._url, self.name)
            return bool(await self._connection.fetchval(TAKE))
        except UNREACHABLE as error:
            log.warning("The database can't be reached (%s); trying again", error)
            self._drop_connection()
            return False

    async def _holder(self) -> str | None:
        if self._connection is None:
            return None
        with contextlib.suppress(*CONNECTION_LOST):
            name = await self._connection.fetchval(HOLDER)
            return str(name) if name else None
        return None

    async def _keep(self) -> None:
        """While active: check the lock's connection; after losing it, take the lock again."""
        while True:
            await asyncio.sleep(CHECK_SECONDS)
            if await self._alive():
                continue
            log.warning("Lost the connection that holds the bot's lock; taking the lock again")
            held = await self._retake()
            while held is None:  # unreachable: try again until the server answers
                await asyncio.sleep(POLL_SECONDS)
                held = await self._retake()
            if not held:
                return

    async def confirm(self) -> bool:
        """The session holding the lock answers now, so no standby can hold it: checked right
        before each post, not only every CHECK_SECONDS (a standby takes over in under one)."""
        if self.lost.is_set():
            return False
        try:
            if await asyncio.wait_for(self._alive(), CONFIRM_SECONDS):
                return True
        except TimeoutError:
            pass
        return bool(await self._retake())

    async def _retake(self) -> bool | None:
        """After the lock's session was lost: True if this bot holds the lock again, False if
        another bot took it (`lost` is set), None if the database can't be reached. One at a
        time: the keeper and a post's check never open two sessions that race each other."""
        async with self._retaking:
            if await self._alive():
                return True  # the other one got there first
            self._drop_connection()  # the session is gone: the lock went with it
            if await self._try():
                log.info("The bot's lock is held again")
                return True
            if self._connection is None:
                return None
            log.error("Another Shortlist took over %s; this one stops acting", self.where)
            self.lost.set()
            return False

    async def _alive(self) -> bool:
        if self._connection is None:
            return False
        try:
            await self._connection.fetchval("SELECT 1")
        except CONNECTION_LOST:
            return False
        return True

    def _drop_connection(self) -> None:
        if self._connection is not None:
            self._connection.terminate()
            self._connection = None

    def release(self) -> None:
        """Closing the connection frees the lock at once."""
        if self._keeper is not None:
            self._keeper.cancel()
        self._drop_connection()
