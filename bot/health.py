"""Whether the running bot is well: its database answers and every configured platform is
connected. Told two ways: `/healthz` on Slack's HTTP port, and a heartbeat the bot writes to its
database every few seconds, which `python -m bot check --live` reads (Socket Mode, Discord)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.ports import BotState, FrontEnd

log = logging.getLogger(__name__)

HEARTBEAT = "heartbeat"  # the meta row the running bot keeps fresh
BEAT_SECONDS = 5.0
STALE_AFTER = timedelta(seconds=30)  # a heartbeat older than this: the bot is not running
PROBE_SECONDS = 3.0  # a database that takes longer to answer SELECT 1 is not well


@dataclass(frozen=True, slots=True)
class Report:
    database: bool
    platforms: dict[str, bool]  # each configured platform: connected?

    @property
    def ready(self) -> bool:
        return self.database and all(self.platforms.values())

    def problems(self) -> list[str]:
        down = [name for name, up in self.platforms.items() if not up]
        return (["the database does not answer"] if not self.database else []) + [
            f"{name.capitalize()} is not connected" for name in down
        ]

    def as_json(self, **more: object) -> str:
        return json.dumps(
            {"ready": self.ready, "database": self.database, "platforms": self.platforms, **more}
        )


class Health:
    """The running bot's health, from the services `bot.app.build` wired."""

    def __init__(
        self,
        probe: Callable[[], Awaitable[object]],
        front_ends: Sequence[FrontEnd],
        state: BotState,
    ) -> None:
        self._probe = probe
        self._front_ends = front_ends
        self._state = state
        self._stopping = asyncio.Event()
        self._holder = f"pid {os.getpid()} on {socket.gethostname()}"

    async def report(self) -> Report:
        try:
            await asyncio.wait_for(self._probe(), PROBE_SECONDS)
            database = True
        except Exception:
            database = False
        return Report(database, {front.name: front.is_ready() for front in self._front_ends})

    async def run(self) -> None:
        """Beat until stopped: what `check --live` reads."""
        while not self._stopping.is_set():
            report = await self.report()
            try:
                await self._state.remember(
                    HEARTBEAT, report.as_json(at=datetime.now(UTC).isoformat(), by=self._holder)
                )
            except Exception as error:  # the database is down: the missing beat says so
                log.warning("Could not write the heartbeat: %s", error)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), BEAT_SECONDS)

    async def stop(self) -> None:
        self._stopping.set()


def judge_heartbeat(value: str | None, now: datetime) -> tuple[bool, str]:
    """Whether a heartbeat read from the database says the bot is running and well, and one
    line that says why (for `check --live`)."""
    if value is None:
        return False, "Live: no heartbeat; the bot has not run on this database yet"
    try:
        beat = json.loads(value)
        at = datetime.fromisoformat(beat["at"])
        report = Report(bool(beat["database"]), {k: bool(v) for k, v in beat["platforms"].items()})
    except (ValueError, KeyError, TypeError, AttributeError):
        return False, "Live: the heartbeat can't be read"
    age = (now - at).total_seconds()
    if now - at > STALE_AFTER:
        return False, f"Live: NOT RUNNING (last heartbeat {age:.0f} s ago, by {beat.get('by')})"
    if not report.ready:
        return False, f"Live: running but not ready: {'; '.join(report.problems())}"
    platforms = ", ".join(report.platforms) or "no platform"
    return True, f"Live: ready ({platforms} connected; heartbeat {age:.0f} s ago)"
