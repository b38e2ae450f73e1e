"""The composition root: `build` wires the whole bot once; `run` serves it until told to stop.

`python -m bot`, the tests and the benchmarks all get their object graph from `build`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections.abc import AsyncIterator, Awaitable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TextIO

import aiohttp

from bot.announcing import Announcer
from bot.ballot import Ballot
from bot.cards import CardService
from bot.digest import Digest
from bot.fetching import FETCH_TIMEOUT_SECONDS, USER_AGENT, FeedFetcher
from bot.health import Health
from bot.pages import TIMEOUT_SECONDS as PREVIEW_TIMEOUT_SECONDS
from bot.pages import Networks, PageFetcher
from bot.ports import FrontEnd
from bot.previews import Previews
from bot.settings import Settings
from bot.trackers import warm_up
from bot.urls import key_or_none, rules_version
from bot.vote_rules import judge
from bot.watcher import FeedWatcher
from storage import (
    BotLock,
    Database,
    LinkRules,
    SqlBallotStore,
    SqlBotState,
    SqlCardStore,
    SqlFeedStore,
    SqlRequestLedger,
    open_for_bot,
    relink,
)

if TYPE_CHECKING:  # the platform front ends are imported only when configured
    from cogs.console import ConsoleFrontEnd
    from cogs.discord_bot import DiscordFrontEnd
    from cogs.slack_app import SlackFrontEnd

log = logging.getLogger(__name__)

CARD_FLUSH_SECONDS = 3.0  # of the stopping budget (bot.running), for the last card edits


@dataclass(frozen=True, slots=True)
class Tuning:
    """Timings and addresses that tests shorten or pin; production keeps the defaults."""

    card_refresh_seconds: float = 10.0  # at most one edit per card in this time
    guild_ready_timeout: float = 2.0  # discord.py's wait for the servers at start-up
    http_host: str = "0.0.0.0"  # where Slack's HTTP mode listens
    feed_timeout_seconds: float = FETCH_TIMEOUT_SECONDS
    preview_networks: Networks = ()  # fetched for titles although not public: tests only
    preview_hosts: Mapping[str, str] = field(default_factory=dict)  # name -> address: tests only
    preview_timeout_seconds: float = PREVIEW_TIMEOUT_SECONDS


@dataclass(slots=True)
class App:
    """The whole bot, wired: storage, the ballot and its cards, feeds, and the front ends."""

    lock: BotLock
    database: Database
    session: aiohttp.ClientSession
    ballot: Ballot
    cards: CardService
    announcer: Announcer
    watcher: FeedWatcher | None
    health: Health | None = None
    digest: Digest | None = None
    previews: Previews | None = None
    discord: DiscordFrontEnd | None = None
    slack: SlackFrontEnd | None = None
    console: ConsoleFrontEnd | None = None
    front_ends: list[FrontEnd] = field(default_factory=list)
    background: set[asyncio.Task[None]] = field(default_factory=set)

    async def shut_down(self) -> None:
        """Stop discovering and delivering; bring every card up to date, then stop the front ends
        (whose connections those edits need)."""

        async def cards_then_front_ends() -> None:
            await self.ballot.reactions.settle()  # the last reactions' tallies, for the edits
            try:
                await asyncio.wait_for(self.cards.flush(), CARD_FLUSH_SECONDS)
            except TimeoutError:
                log.warning("Some card edits could not be made before shutdown")
            await asyncio.gather(
                *(front.stop() for front in self.front_ends), return_exceptions=True
            )
            await self.ballot.reactions.settle()  # any that came in meanwhile are durable too

        stops: list[Awaitable[None]] = [self.announcer.stop(), cards_then_front_ends()]
        if self.health is not None:
            stops.append(self.health.stop())
        if self.previews is not None:
            stops.append(self.previews.stop())
        if self.digest is not None:
            stops.append(self.digest.stop())
        if self.watcher is not None:
            stops.append(self.watcher.stop())
        await asyncio.gather(*stops, return_exceptions=True)

    async def close(self) -> None:
        if self.previews is not None:
            await self.previews.stop()  # idempotent: shut_down may have stopped it
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
    exclusive: bool = True,
) -> App:
    """Open the database and the HTTP session and wire every service and front end to them.

    Raises `DatabaseInUse` if another bot is running on the same SQLite file; on PostgreSQL,
    waits (a hot standby) until the active bot stops. Not `exclusive`: neither, for an
    operator's command that only uses a front end (`sync-commands`) beside a running bot.
    """
    lock, database = await open_for_bot(settings.database, exclusive=exclusive)
    ballot = Ballot(
        SqlBallotStore(database, judge), suggestions_per_member=settings.suggestions_per_member
    )
    try:
        await relink(database, LinkRules(rules_version(), key_or_none))
        await ballot.current_cycle()
    except BaseException:
        await database.close()
        lock.release()
        raise
    session = aiohttp.ClientSession(headers={"User-Agent": USER_AGENT})
    log.info("Data is kept in %s", database.where)
    feed_store = SqlFeedStore(database)
    announcer = Announcer(feed_store, ballot, still_leading=lock.confirm)
    cards = CardService(
        ballot,
        SqlCardStore(database),
        interval=tuning.card_refresh_seconds,
        alert=announcer.alert_curators,
    )
    ballot.on_tally_changed(cards.tally_changed)
    ballot.on_rollover(cards.cycle_closed)
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
    if settings.link_previews:
        fetcher = PageFetcher(
            allowed=tuning.preview_networks,
            pinned=tuning.preview_hosts,
            timeout=tuning.preview_timeout_seconds,
        )
        app.previews = Previews(ballot, fetcher)
        ballot.on_suggestion(app.previews.suggested)
    app.background.add(asyncio.create_task(warm_up(), name="compile link rules"))

    if settings.discord is not None:
        from cogs.discord_bot import DiscordFrontEnd

        app.discord = DiscordFrontEnd(
            settings.discord,
            ballot,
            cards,
            watcher,
            announcer,
            SqlBotState(database),
            template=settings.announcement_template,
            guild_ready_timeout=tuning.guild_ready_timeout,
        )
        cards.add_platform(app.discord.card_platform)
        ballot.reactions.answer_self_votes(app.discord.name, app.discord.answer_self_vote)
        app.front_ends.append(app.discord)
    if settings.slack is not None:
        from cogs.slack_app import SlackFrontEnd

        app.slack = SlackFrontEnd(
            settings.slack,
            ballot,
            cards,
            watcher,
            announcer,
            SqlRequestLedger(database),
            template=settings.announcement_template,
            host=tuning.http_host,
        )
        cards.add_platform(app.slack.card_platform)
        ballot.reactions.answer_self_votes(app.slack.name, app.slack.answer_self_vote)
        app.front_ends.append(app.slack)
    if settings.console_mode:
        from cogs.console import ConsoleFrontEnd

        app.console = ConsoleFrontEnd(
            ballot,
            cards,
            announcer,
            watcher=watcher,
            stdin=stdin,
            stdout=stdout,
            template=settings.announcement_template,
        )
        app.front_ends.append(app.console)
    for front_end in app.front_ends:
        announcer.add_platform(front_end)
    app.health = Health(
        lambda: database.fetch_one("SELECT 1"), app.front_ends, SqlBotState(database)
    )
    if app.slack is not None:
        app.slack.health = app.health.report
    if settings.digest_day is not None:
        app.digest = Digest(
            ballot,
            SqlBotState(database),
            app.front_ends,
            weekday=settings.digest_day,
            hour=settings.digest_hour,
        )
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
    exclusive: bool = True,
) -> AsyncIterator[App]:
    """`build`, closed again on the way out."""
    app = await build(settings, stdin=stdin, stdout=stdout, tuning=tuning, exclusive=exclusive)
    try:
        yield app
    finally:
        await app.close()
