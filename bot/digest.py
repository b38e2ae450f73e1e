"""The weekly digest: once a week, at a set day and hour, the open cycle's current top five in
each suggestions channel, with a nudge to vote. Off unless DIGEST_DAY is set."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.ballot import Ballot
from bot.clock import Clock, utcnow
from bot.ports import BotState, DigestPlatform

log = logging.getLogger(__name__)

TOP = 5
SENT = "digest.{platform}"  # "<date> posting" while in flight, "<date> done" once posted
EARLIER_SENT = "digest.sent"
CATCH_UP = timedelta(hours=12)  # a digest missed while the bot was down is sent this late


def next_time(now: datetime, weekday: int, hour: int) -> datetime:
    """The first `weekday` at `hour`:00 (UTC) strictly after `now`."""
    at = now.replace(hour=hour, minute=0, second=0, microsecond=0)
    at += timedelta(days=(weekday - now.weekday()) % 7)
    return at if at > now else at + timedelta(days=7)


def last_time(now: datetime, weekday: int, hour: int) -> datetime:
    """The latest `weekday` at `hour`:00 (UTC) at or before `now`."""
    return next_time(now, weekday, hour) - timedelta(days=7)


class Digest:
    """Delivered like announcements: recorded as posting before each platform's post and done
    after it, so a crash at the digest's hour sends it at the next start (within CATCH_UP)
    instead of losing the week's, and a restart never sends a done one again."""

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
        missed = last_time(self._clock(), self._weekday, self._hour)
        if self._clock() - missed <= CATCH_UP:
            await self.send(missed)  # nothing for platforms that have it done
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
        """Post the digest for `due` on every platform that has not had it yet."""
        date = due.date().isoformat()
        if await self._state.recall(EARLIER_SENT) == date:
            return  # sent by a version that kept one date for all platforms
        waiting = [
            platform
            for platform in self._platforms
            if await self._state.recall(SENT.format(platform=platform.name)) != f"{date} done"
        ]
        if not waiting:
            return
        standings = await self._ballot.standings(TOP)
        for platform in waiting:
            key = SENT.format(platform=platform.name)
            if not standings.ranked:
                await self._state.remember(key, f"{date} done")
                log.info("No digest this week: nothing has been suggested yet")
                continue
            await self._state.remember(key, f"{date} posting")
            try:
                await platform.post_digest(standings)
            except Exception:
                log.exception("Could not post the weekly digest on %s", platform.name)
                continue
            await self._state.remember(key, f"{date} done")
