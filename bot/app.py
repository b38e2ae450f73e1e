"""The composition root: build storage, services and front ends once, run them, stop cleanly."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Awaitable, Callable, Iterator
from typing import TextIO

import aiohttp

from bot.ballot import Ballot
from bot.errors import FrontEndUnavailable
from bot.fetching import USER_AGENT, FeedFetcher
from bot.ports import FrontEnd
from bot.settings import Settings
from bot.watcher import FeedWatcher
from storage import Database, SqliteBallotStore, SqliteFeedStore

log = logging.getLogger(__name__)

SHUTDOWN_GRACE_SECONDS = 8.0

CONSOLE_BANNER = (
    "Shortlist is running in console mode (no DISCORD_TOKEN or SLACK_BOT_TOKEN set; "
    "see .env.example to connect Discord or Slack). Type /help for the commands."
)


async def run(settings: Settings, *, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> int:
    """Run every configured front end until a signal, `/quit` or the console's end of input.

    Returns the exit status: 1 if the front ends ended because they failed, else 0.
    """
    with _stop_signals() as stopping:
        return await _run(settings, stopping, stdin=stdin, stdout=stdout)


@contextlib.contextmanager
def _stop_signals() -> Iterator[asyncio.Event]:
    """SIGINT and SIGTERM set the event, from the first moment: shutdown is always graceful."""
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stopping.set)
    try:
        yield stopping
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(signum)


async def _run(
    settings: Settings, stopping: asyncio.Event, *, stdin: TextIO, stdout: TextIO
) -> int:
    database = await Database.open(settings.database_path)
    try:
        async with aiohttp.ClientSession(headers={"User-Agent": USER_AGENT}) as session:
            ballot = Ballot(
                SqliteBallotStore(database), suggestions_per_member=settings.suggestions_per_member
            )
            await ballot.open_cycle()
            watcher = None
            if settings.feed_urls:
                watcher = FeedWatcher(
                    SqliteFeedStore(database),
                    ballot,
                    FeedFetcher(session),
                    sources=settings.feed_urls,
                    poll_seconds=settings.feed_poll_seconds,
                    alert_after=settings.feed_failure_alert_after,
                )
            front_ends = _front_ends(settings, ballot, watcher, stdin=stdin, stdout=stdout)
            return await _serve(front_ends, watcher, stopping)
    finally:
        await database.close()
        log.info("Stopped")


def _front_ends(
    settings: Settings,
    ballot: Ballot,
    watcher: FeedWatcher | None,
    *,
    stdin: TextIO,
    stdout: TextIO,
) -> list[FrontEnd]:
    front_ends: list[FrontEnd] = []
    if settings.discord is not None:
        from cogs.discord_bot import DiscordFrontEnd

        front_ends.append(DiscordFrontEnd(settings.discord, ballot, watcher))
    if settings.slack is not None:
        from cogs.slack_app import SlackFrontEnd

        front_ends.append(SlackFrontEnd(settings.slack, ballot, watcher))
    if settings.console_mode:
        from cogs.console import ConsoleFrontEnd

        print(CONSOLE_BANNER, file=stdout, flush=True)
        front_ends.append(ConsoleFrontEnd(ballot, watcher=watcher, stdin=stdin, stdout=stdout))
    if watcher is not None:
        for front_end in front_ends:
            watcher.add_announcer(front_end)
    return front_ends


async def _serve(
    front_ends: list[FrontEnd], watcher: FeedWatcher | None, stopping: asyncio.Event
) -> int:
    """Run until `stopping` is set or every front end has returned; then stop everything."""
    fronts: dict[asyncio.Task[None], str] = {
        asyncio.create_task(front.run(), name=f"front end {front.name}"): front.name
        for front in front_ends
    }
    services = dict(fronts)
    stops: list[Callable[[], Awaitable[None]]] = [front.stop for front in front_ends]
    if watcher is not None:
        services[asyncio.create_task(watcher.run(), name="feed watcher")] = "feed watcher"
        stops.insert(0, watcher.stop)
    stop_waiter = asyncio.create_task(_until(stopping), name="stop signal")
    failed = False
    try:
        running = set(fronts)
        while running and not stopping.is_set():
            done, running = await asyncio.wait(
                {stop_waiter, *running}, return_when=asyncio.FIRST_COMPLETED
            )
            running.discard(stop_waiter)
            for task in fronts.keys() & done:
                error = None if task.cancelled() else task.exception()
                if isinstance(error, FrontEndUnavailable):
                    log.error("%s is off: %s", fronts[task], error)
                elif error is not None:
                    log.error("%s failed", fronts[task], exc_info=error)
                failed = failed or error is not None
        log.info("Stopping: %s", "signal received" if stopping.is_set() else "front ends ended")
        await asyncio.gather(*(stop() for stop in stops), return_exceptions=True)
        _, late = await asyncio.wait(services, timeout=SHUTDOWN_GRACE_SECONDS)
        for task in late:
            log.warning("%s did not stop in time; cancelling it", services[task])
            task.cancel()
        await asyncio.gather(*services, return_exceptions=True)
        return 1 if failed and not stopping.is_set() else 0
    finally:
        stop_waiter.cancel()


async def _until(event: asyncio.Event) -> None:
    await event.wait()
