"""The console front end: the whole bot on stdin/stdout, one command per line.

It is how anyone tries Shortlist with no Discord or Slack account, and how the end-to-end tests
drive the real process.
"""

from __future__ import annotations

import asyncio
import io
import sys
from datetime import datetime, timedelta
from typing import TextIO

from bot.announcing import Announcer
from bot.ballot import Ballot
from bot.cards import CardService
from bot.models import Announcement, Shortlist
from bot.text import fill_template
from bot.watcher import FeedWatcher
from cogs.console import render
from cogs.console.commands import PLATFORM, Console
from cogs.console.lines import read_lines


class ConsoleFrontEnd:
    """Reads commands from stdin until end of input or `/quit`; prints announcements."""

    name = PLATFORM
    settles = timedelta(0)  # a terminal keeps no history: nothing to wait for

    def __init__(
        self,
        ballot: Ballot,
        cards: CardService,
        announcer: Announcer,
        *,
        watcher: FeedWatcher | None = None,
        stdin: TextIO = sys.stdin,
        stdout: TextIO = sys.stdout,
        template: str | None = None,
    ) -> None:
        self.console = Console(ballot, cards, stdout, announcer, watcher=watcher)
        self._template = template
        self._stdin = stdin
        self._stdout = stdout
        self._interactive = stdin.isatty()
        self._lines: asyncio.Queue[str | None] | None = None

    async def run(self) -> None:
        # A byte that isn't UTF-8 becomes a character the core refuses with a reason, rather
        # than ending the input; whatever is echoed back can always be printed.
        for stream, errors in (
            (self._stdin, "surrogateescape"),
            (self._stdout, "backslashreplace"),
        ):
            if isinstance(stream, io.TextIOWrapper):
                stream.reconfigure(errors=errors)
        self._lines = lines = await read_lines(self._stdin)
        while not self.console.finished:
            if self._interactive:
                self.console.prompt()
            line = await lines.get()
            if line is None:
                break
            await self.console.handle(line)

    async def stop(self) -> None:
        """Let the command in progress finish, then end `run`."""
        self.console.finished = True
        if self._lines is not None:
            self._lines.put_nowait(None)

    def announce_channels(self) -> tuple[str, ...]:
        return (PLATFORM,)

    def is_ready(self) -> bool:
        return True

    async def wait_until_ready(self) -> None:
        return

    async def announce(self, channel_id: str, announcement: Announcement, key: str) -> str:
        if self._template is not None:
            self.console.say(fill_template(self._template, announcement, str, escape_link=str))
        else:
            self.console.announce(announcement)
        return key

    async def find_announcement(
        self, channel_id: str, announcement: Announcement, key: str, since: datetime
    ) -> str | None:
        return None  # a terminal keeps no history: print it again

    async def post_digest(self, standings: Shortlist) -> None:
        self.console.say(
            f"This week's top {len(standings.ranked)}:\n{render.shortlist(standings)}\n"
            "  Vote for the ones you want in the next issue: /vote <n>"
        )

    async def alert_curators(self, message: str) -> None:
        self.console.say(f"Curators: {message}")
