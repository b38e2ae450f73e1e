"""The composition root: `build` wires the whole bot once; `run` serves it until told to stop.

`python -m bot`, the tests and the benchmarks all get their object graph from `build`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TextIO

import aiohttp

from bot.announcing import Announcer
from bot.ballot import Ballot
from bot.cards import CardService
from bot.errors import FrontEndUnavailable
from bot.fetching import FETCH_TIMEOUT_SECONDS, USER_AGENT, FeedFetcher
from bot.ports import FrontEnd
from bot.settings import Settings
from bot.trackers import warm_up
from bot.urls import key_or_none, rules_version
from bot.watcher import FeedWatcher
from storage import (
    Database,
    DatabaseLock,
    LinkRules,
    SqliteBallotStore,
    SqliteBotState,
    SqliteCardStore,
    SqliteFeedStore,
    relink,
)

if TYPE_CHECKING:  # the platform front ends are imported only when configured
    from cogs.console import ConsoleFrontEnd
    from cogs.discord_bot import DiscordFrontEnd
    from cogs.slack_app import SlackFrontEnd

log = logging.getLogger(__name__)

# Shutdown stays well inside 10 s, whatever is in flight: stopping (card edits flushed, front
# ends and the watcher told to stop) gets STOP_SECONDS, then what still runs gets GRACE_SECONDS
# before it is cancelled.
STOP_SECONDS = 5.0
CARD_FLUSH_SECONDS = 3.0
GRACE_SECONDS = 3.0

CONSOLE_BANNER = (
    "Shortlist is running in console mode (no DISCORD_TOKEN or SLACK_BOT_TOKEN set; "
    "see .env.example to connect Discord or Slack), keeping its data in {path}. "
    "Type /help for the commands."
)


@dataclass(frozen=True, slots=True)
class Tuning:
    """Timings and addresses that tests shorten or pin; production keeps the defaults."""

    card_refresh_seconds: float = 10.0  # at most one edit per card in this time
    guild_ready_timeout: float = 2.0  # discord.py's wait for the servers at start-up
    http_host: str = "0.0.0.0"  # where Slack's HTTP mode listens
    feed_timeout_seconds: float = FETCH_TIMEOUT_SECONDS


@dataclass(slots=True)
class App:
    """The whole bot, wired: storage, the ballot and its cards, feeds, and the front ends."""

    lock: DatabaseLock
    database: Database
    session: aiohttp.ClientSession
    ballot: Ballot
    cards: CardService
    announcer: Announcer
    watcher: FeedWatcher | None
    discord: DiscordFrontEnd | None = None
    slack: SlackFrontEnd | None = None
    console: ConsoleFrontEnd | None = None
    front_ends: list[FrontEnd] = field(default_factory=list)
    background: set[asyncio.Task[None]] = field(default_factory=set)

    async def shut_down(self) -> None:
        """Stop discovering and delivering; bring every card up to date, then stop the front ends
        (whose connections those edits need)."""

        async def cards_then_front_ends() -> None:
            try:
                await asyncio.wait_for(self.cards.flush(), CARD_FLUSH_SECONDS)
            except TimeoutError:
                log.warning("Some card edits could not be made before shutdown")
            await asyncio.gather(
                *(front.stop() for front in self.front_ends), return_exceptions=True
            )

        stops: list[Awaitable[None]] = [self.announcer.stop(), cards_then_front_ends()]
        if self.watcher is not None:
            stops.append(self.watcher.stop())
        await asyncio.gather(*stops, return_exceptions=True)

    async def close(self) -> None:
        await self.cards.cancel()  # after shut_down's flush there is nothing left to cancel
        for task in self.background:
            task.cancel()
        await asyncio.gather(*self.background, return_exceptions=True)
        await self.session.close()
        await self.database.close()
        self.lock.release()


async def build(
    settings: Settings,
    *,
    stdin: TextIO = sys.stdin,
    stdout: TextIO = sys.stdout,
    tuning: Tuning = Tuning(),
) -> App:
    """Open the database and the HTTP session and wire every service and front end to them.

    Raises `DatabaseInUse` if another bot is running on the same database.
    """
    lock = DatabaseLock(settings.database_path)
    lock.acquire()
    try:
        database = await Database.open(settings.database_path)
        await relink(database, LinkRules(rules_version(), key_or_none))
    except BaseException:
        lock.release()
        raise
    session = aiohttp.ClientSession(headers={"User-Agent": USER_AGENT})
    ballot = Ballot(
        SqliteBallotStore(database), suggestions_per_member=settings.suggestions_per_member
    )
    await ballot.current_cycle()
    log.info("Data is kept in %s", settings.database_path)
    cards = CardService(ballot, SqliteCardStore(database), interval=tuning.card_refresh_seconds)
    ballot.on_tally_changed(cards.tally_changed)
    ballot.on_rollover(cards.cycle_closed)
    feed_store = SqliteFeedStore(database)
    announcer = Announcer(feed_store, ballot)
    watcher = None
    if settings.feed_urls:
        watcher = FeedWatcher(
            feed_store,
            FeedFetcher(session, timeout=tuning.feed_timeout_seconds),
            announcer,
            sources=settings.feed_urls,
            poll_seconds=settings.feed_poll_seconds,
            alert_after=settings.feed_failure_alert_after,
        )
    app = App(lock, database, session, ballot, cards, announcer, watcher)
    app.background.add(asyncio.create_task(warm_up(), name="compile link rules"))

    if settings.discord is not None:
        from cogs.discord_bot import DiscordFrontEnd

        app.discord = DiscordFrontEnd(
            settings.discord,
            ballot,
            cards,
            watcher,
            SqliteBotState(database),
            template=settings.announcement_template,
            guild_ready_timeout=tuning.guild_ready_timeout,
        )
        cards.add_platform(app.discord.card_platform)
        app.front_ends.append(app.discord)
    if settings.slack is not None:
        from cogs.slack_app import SlackFrontEnd

        app.slack = SlackFrontEnd(
            settings.slack,
            ballot,
            cards,
            watcher,
            template=settings.announcement_template,
            host=tuning.http_host,
        )
        cards.add_platform(app.slack.card_platform)
        app.front_ends.append(app.slack)
    if settings.console_mode:
        from cogs.console import ConsoleFrontEnd

        app.console = ConsoleFrontEnd(
            ballot,
            watcher=watcher,
            stdin=stdin,
            stdout=stdout,
            template=settings.announcement_template,
        )
        app.front_ends.append(app.console)
    for front_end in app.front_ends:
        announcer.add_platform(front_end)
    if watcher is not None and not announcer.targets():
        log.warning(
            "FEED_URLS is set but no announce channel is (DISCORD_ANNOUNCE_CHANNEL_IDS, "
            "SLACK_ANNOUNCE_CHANNEL_IDS): new issues will close the ballot but be posted nowhere"
        )
    return app


@contextlib.asynccontextmanager
async def built(
    settings: Settings,
    *,
    stdin: TextIO = sys.stdin,
    stdout: TextIO = sys.stdout,
    tuning: Tuning = Tuning(),
) -> AsyncIterator[App]:
    """`build`, closed again on the way out."""
    app = await build(settings, stdin=stdin, stdout=stdout, tuning=tuning)
    try:
        yield app
    finally:
        await app.close()


async def run(settings: Settings, *, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> int:
    """Run every configured front end until a signal, `/quit` or the console's end of input.

    Returns the exit status: 1 if the front ends ended because they failed, else 0.
    """
    with _stop_signals() as stopping:
        try:
            async with built(settings, stdin=stdin, stdout=stdout) as app:
                if app.console is not None:
                    print(
                        CONSOLE_BANNER.format(path=settings.database_path), file=stdout, flush=True
                    )
                return await serve(app, stopping)
        finally:
            log.info("Stopped")


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
        try:
            await asyncio.wait_for(app.shut_down(), STOP_SECONDS)
        except TimeoutError:
            log.warning("Stopping took over %g s; cancelling what is left", STOP_SECONDS)
        _, late = await asyncio.wait(services, timeout=GRACE_SECONDS)
        for task in late:
            log.warning("%s did not stop in time; cancelling it", services[task])
            task.cancel()
        await asyncio.gather(*services, return_exceptions=True)
        return 1 if failed and not stopping.is_set() else 0
    finally:
        stop_waiter.cancel()


async def _until(event: asyncio.Event) -> None:
    await event.wait()
