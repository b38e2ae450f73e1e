"""Progress of a long operator command (copy-data) on stderr: a live bar on a terminal, a plain
line every few seconds otherwise (a log file or CI), and each table's last line always."""

from __future__ import annotations

import shutil
import sys
import time
from typing import TextIO

LINE_EVERY_SECONDS = 5.0
BAR_EVERY_SECONDS = 0.1


class TableProgress:
    """Called as `(table, done, total)` after each chunk; see `storage.copying.Progress`."""

    def __init__(self, stream: TextIO = sys.stderr, *, live: bool | None = None) -> None:
        self._stream = stream
        self._live = stream.isatty() if live is None else live
        self._table = ""
        self._started = self._shown = 0.0

    def __call__(self, table: str, done: int, total: int) -> None:
        now = time.monotonic()
        if table != self._table:  # a new table: its first line waits, unless it is done
            self._table, self._started, self._shown = table, now, now
        finished = done >= total
        every = BAR_EVERY_SECONDS if self._live else LINE_EVERY_SECONDS
        if not finished and now - self._shown < every:
            return
        self._shown = now
        line = describe(table, done, total, now - self._started)
        if self._live:
            width = shutil.get_terminal_size().columns - 1
            self._stream.write("\r" + bar(line, done, total, width) + ("\n" if finished else ""))
        else:
            self._stream.write(line + "\n")
        self._stream.flush()


def describe(table: str, done: int, total: int, seconds: float) -> str:
    rate = f", {done / seconds:,.0f} rows/s" if seconds > 0.5 and done else ""
    return f"{table}: {done:,} of {total:,} rows{rate}"


def bar(line: str, done: int, total: int, width: int) -> str:
    """`line` after a bar of the space left (none on a narrow terminal)."""
    room = width - len(line) - 3
    if room < 10:
        return line[:width]
    filled = room * done // total if total else room
    return f"[{'#' * filled}{'.' * (room - filled)}] {line}"
