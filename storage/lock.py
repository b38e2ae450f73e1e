"""One bot per database: an OS-level lock beside the database file, held while the bot runs.

The lock is `flock` on `<database>.lock` beside the database's real path (a symlink or another
spelling of the path finds the same lock): the kernel frees it when the process ends in any way,
SIGKILL included, so a crash never leaves a stale lock. The file names the holder (pid and host)
so that a second instance can say who has the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from pathlib import Path
from typing import Protocol, TextIO

from storage.sql import UnusableDatabase

try:
    import fcntl
except ImportError:  # not on Windows: the lock is then advisory only through the holder line
    fcntl = None  # type: ignore[assignment]


class DatabaseInUse(Exception):
    """Another running bot holds the database."""


class BotLock(Protocol):
    """What the running bot holds so that it is the only active one on its database."""

    lost: asyncio.Event  # set if another bot took over (the bot must then stop)

    async def confirm(self) -> bool:
        """Whether this bot still holds the lock, checked now (before a post a standby might
        also make); False also sets `lost`."""

    def release(self) -> None: ...


def lock_path(database_path: Path) -> Path:
    """The lock file of a database, named after the file the path really leads to."""
    real = database_path.resolve()
    return real.with_name(real.name + ".lock")


class DatabaseLock:
    """Implements `BotLock` for a SQLite file: a flock, never lost while the process lives."""

    def __init__(self, database_path: Path) -> None:
        self.database_path = database_path
        self.path = lock_path(database_path)
        self.lost = asyncio.Event()
        self._file: TextIO | None = None

    def acquire(self) -> None:
        """Take the lock or raise `DatabaseInUse` naming the holder; never waits."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle = self.path.open("a+", encoding="utf-8")
        except OSError as error:
            raise UnusableDatabase(f"{self.database_path} can't be created ({error})") from None
        try:
            if fcntl is not None:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            handle.close()
            raise DatabaseInUse(
                f"Another Shortlist ({holder}) is using the database {self.database_path}; "
                "stop it first, or give this one its own DATABASE_PATH"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()} on {socket.gethostname()}\n")
        handle.flush()
        self._file = handle

    async def confirm(self) -> bool:
        return self._file is not None  # a flock is held while the process lives

    def release(self) -> None:
        if self._file is not None:
            with contextlib.suppress(OSError):
                self._file.seek(0)
                self._file.truncate()
            self._file.close()  # closing frees the flock
            self._file = None


class NoLock:
    """Implements `BotLock` for a tool that shares the database with a running bot (and never
    runs its services): there is nothing to hold."""

    def __init__(self) -> None:
        self.lost = asyncio.Event()

    async def confirm(self) -> bool:
        return True

    def release(self) -> None:
        pass
