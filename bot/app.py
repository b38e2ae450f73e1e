"""The composition root: build storage, services and front ends once, run them, stop cleanly."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from typing import TextIO

from bot.ballot import Ballot
from bot.ports import FrontEnd
from bot.settings import Settings
from storage import Database, SqliteBallotStore

log = logging.getLogger(__name__)

SHUTDOWN_GRACE_SECONDS = 8.0

CONSOLE_BANNER = (
    "Shortlist is running in console mode (no DISCORD_TOKEN or SLACK_BOT_TOKEN set; "
    "see .env.example to connect Discord or Slack). Type /help for the commands."
)


async def run(
    settings: Settings, *, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout
) -> None:
    """Run every configured front end until a signal, `/quit` or the console's end of input."""
    database = await Database.open(settings.database_path)
    try:
        ballot = Ballot(
            SqliteBallotStore(database), suggestions_per_member=settings.suggestions_per_member
        )
        await ballot.open_cycle()
        front_ends = _front_ends(settings, ballot, stdin=stdin, stdout=stdout)
        await _serve(front_ends)
    finally:
        await database.close()
        log.info("Stopped")


def _front_ends(
    settings: Settings, ballot: Ballot, *, stdin: TextIO, stdout: TextIO
) -> list[FrontEnd]:
    from cogs.console import ConsoleFrontEnd

    print(CONSOLE_BANNER, file=stdout, flush=True)
    return [ConsoleFrontEnd(ballot, stdin=stdin, stdout=stdout)]


async def _serve(front_ends: list[FrontEnd]) -> None:
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stopping.set)

    tasks = {
        asyncio.create_task(front.run(), name=f"front end {front.name}"): front
        for front in front_ends
    }
    stop_waiter = asyncio.create_task(_until(stopping), name="stop signal")
    try:
        done, _ = await asyncio.wait({stop_waiter, *tasks}, return_when=asyncio.FIRST_COMPLETED)
        for task in tasks.keys() & done:
            if not task.cancelled() and task.exception() is not None:
                log.error("Front end %s failed", tasks[task].name, exc_info=task.exception())
        log.info("Stopping: %s", "signal received" if stop_waiter in done else "front end finished")
        await asyncio.gather(*(front.stop() for front in front_ends), return_exceptions=True)
        _, late = await asyncio.wait(tasks, timeout=SHUTDOWN_GRACE_SECONDS)
        for task in late:
            log.warning("Front end %s did not stop in time; cancelling it", tasks[task].name)
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    finally:
        stop_waiter.cancel()
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(signum)


async def _until(event: asyncio.Event) -> None:
    await event.wait()
