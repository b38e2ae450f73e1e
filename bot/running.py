"""Running the bot that `bot.app.build` wired: serve every front end and service until a signal,
`/quit` or the console's end of input, then stop within a fixed budget."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
import sys
from collections.abc import Iterator
from typing import TextIO

from bot.app import App, build
from bot.errors import FrontEndUnavailable
from bot.settings import Settings

log = logging.getLogger(__name__)

# Shutdown stays well inside 10 s, whatever is in flight: stopping (card edits flushed, front
# ends and the watcher told to stop) gets STOP_SECONDS, then what still runs gets GRACE_SECONDS
# before it is cancelled.
STOP_SECONDS = 5.0
GRACE_SECONDS = 3.0
CANCEL_SECONDS = 0.5  # for what was cancelled to end; the rest is left to the process's exit

# A burst of reactions keeps thousands of votes in flight at once, a few dozen young objects
# each. With CPython's default thresholds that pile is walked again and again by full
# collections: measured, two thirds of the time a 20,000-reaction burst takes. Young collections
# every 50,000 allocations and full ones a tenth as often, with everything made at start-up
# frozen out of them, keep a burst's cost flat (3x the votes per second in `python -m bench`).
GC_THRESHOLDS = (50_000, 20, 10)


# Worker threads doing Python work (a feed parsed, a long shortlist sorted) share the GIL with
# the event loop, which takes it back several times a turn. CPython makes a thread wait up to 5 ms
# for it by default: the loop stalled for up to 20 ms while a 100,000-suggestion shortlist was
# sorted in a thread; at 1 ms, under 5.
SWITCH_INTERVAL = 0.001


def tune_runtime() -> None:
    """For a long-running bot: freeze what exists now (modules, the wired app), collect young
    objects in bigger, rarer steps, and let threads hand the GIL to the event loop sooner."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    sys.setswitchinterval(SWITCH_INTERVAL)


CONSOLE_BANNER = (
    "Shortlist is running in console mode (no DISCORD_TOKEN or SLACK_BOT_TOKEN set; "
    "see .env.example to connect Discord or Slack), keeping its data in {path}. "
    "Type /help for the commands."
)


async def run(settings: Settings, *, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> int:
    """Run every configured front end until a signal, `/quit` or the console's end of input.

    Returns the exit status: 1 if the front ends ended because they failed, else 0.
    """
    with _stop_signals() as stopping:
        try:
            app = await _built_unless_stopped(settings, stopping, stdin, stdout)
            if app is None:
                return 0
            tune_runtime()
            try:
                if app.console is not None:
                    print(CONSOLE_BANNER.format(path=app.database.where), file=stdout, flush=True)
                return await serve(app, stopping)
            finally:
                await app.close()
        finally:
            log.info("Stopped")


async def _built_unless_stopped(
    settings: Settings, stopping: asyncio.Event, stdin: TextIO, stdout: TextIO
) -> App | None:
    """The wired bot; None if told to stop first (a standby waiting for the database's lock)."""
    building = asyncio.create_task(build(settings, stdin=stdin, stdout=stdout), name="build")
    told = asyncio.create_task(stopping.wait(), name="stop signal")
    await asyncio.wait({building, told}, return_when=asyncio.FIRST_COMPLETED)
    told.cancel()
    if not building.done():
        building.cancel()
    try:
        return await building
    except asyncio.CancelledError:
        if not stopping.is_set():
            raise
        return None


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


async def serve(app: App, stopping: asyncio.Event) -> int:
    """Run until `stopping` is set or every front end has returned; then stop everything."""
    fronts: dict[asyncio.Task[None], str] = {
        asyncio.create_task(front.run(), name=f"front end {front.name}"): front.name
        for front in app.front_ends
    }
    services = dict(fronts)
    if app.watcher is not None:
        services[asyncio.create_task(app.watcher.run(), name="feed watcher")] = "feed watcher"
    if app.digest is not None:
        services[asyncio.create_task(app.digest.run(), name="weekly digest")] = "weekly digest"
    if app.health is not None:
        services[asyncio.create_task(app.health.run(), name="heartbeat")] = "heartbeat"
    stop_waiter = asyncio.create_task(_until(stopping), name="stop signal")
    lost_waiter = asyncio.create_task(_until(app.lock.lost), name="lock watch")
    failed = False
    try:
        running = set(fronts)
        while running and not stopping.is_set() and not app.lock.lost.is_set():
            done, running = await asyncio.wait(
                {stop_waiter, lost_waiter, *running}, return_when=asyncio.FIRST_COMPLETED
            )
            running -= {stop_waiter, lost_waiter}
            for task in fronts.keys() & done:
                error = None if task.cancelled() else task.exception()
                if isinstance(error, FrontEndUnavailable):
                    log.error("%s is off: %s", fronts[task], error)
                elif error is not None:
                    log.error("%s failed", fronts[task], exc_info=error)
                failed = failed or error is not None
        if app.lock.lost.is_set():
            log.error("Stopping: another Shortlist took over the database")
            failed = True
        else:
            log.info("Stopping: %s", "signal received" if stopping.is_set() else "front ends ended")
        # Bounded waits that never wait for a cancellation to finish either: a query on a hung
        # database cancels by asking the server, which waits out the command timeout (20 s).
        stopping_task = asyncio.create_task(app.shut_down(), name="shut down")
        if not (await asyncio.wait({stopping_task}, timeout=STOP_SECONDS))[0]:
            log.warning("Stopping took over %g s; cancelling what is left", STOP_SECONDS)
            stopping_task.cancel()
        _, late = await asyncio.wait(services, timeout=GRACE_SECONDS)
        for task in late:
            log.warning("%s did not stop in time; cancelling it", services[task])
            task.cancel()
        await asyncio.wait(services, timeout=CANCEL_SECONDS)
        return 1 if failed and not stopping.is_set() else 0
    finally:
        stop_waiter.cancel()
        lost_waiter.cancel()


async def _until(event: asyncio.Event) -> None:
    await event.wait()
