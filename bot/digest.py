"""The weekly digest: once a week, at a set day and hour, the open cycle's current top five in
each suggestions channel, with a nudge to vote. Off unless DIGEST_DAY is set."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.ballot import Ballot
from bot.basics import Clock, utcnow
from bot.ports import BotState, DigestPlatform

log = logging.getLogger(__name__)

TOP = 5
SENT = "digest.sent"  # the date of the last digest: a restart never sends one twice


def next_time(now: datetime, weekday: int, hour: int) -> datetime:
    """The first `weekday` at `hour`:00 (UTC) strictly after `now`."""
    at = now.replace(hour=hour, minute=0, second=0, microsecond=0)
    at += timedelta(days=(weekday - now.weekday()) % 7)
    return at if at > now else at + timedelta(days=7)


class Digest:
    def __init__(
        self,
        ballot: Ballot,
        state: BotState,
        platforms: Sequence[DigestPlatform],
        *,
        weekday: int,
        hour: int,
        clock: Clock = utcnow,
    ) -> None:
        self._ballot = ballot
        self._state = state
        self._platforms = platforms
        self._weekday = weekday
        self._hour = hour
        self._clock = clock
        self._stopping = asyncio.Event()

    async def run(self) -> None:
        while not self._stopping.is_set():
            due = next_time(self._clock(), self._weekday, self._hour)
            with contextlib.suppress(TimeoutError):
                wait = (due - self._clock()).total_seconds()
                await asyncio.wait_for(self._stopping.wait(), max(wait, 0))
            if not self._stopping.is_set():
                await self.send(due)

    async def stop(self) -> None:
        self._stopping.set()

    async def send(self, due: datetime) -> None:
        """Post the digest for `due` on every platform, unless it was posted already."""
        if await self._state.recall(SENT) == due.date().isoformat():
            return
        await self._state.remember(SENT, due.date().isoformat())
        standings = await self._ballot.standings(TOP)
        if not standings.ranked:
            log.info("No digest this week: nothing has been suggested yet")
            return
        for platform in self._platforms:
            try:
                await platform.post_digest(standings)
            except Exception:
                log.exception("Could not post the weekly digest on %s", platform.name)
