"""Slack as a front end: a Bolt AsyncApp on the shared event loop, in Socket Mode or HTTP mode."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

import aiohttp
from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.announcing import POST_SECONDS, Announcer
from bot.ballot import Ballot
from bot.cards import CardService
from bot.errors import FrontEndUnavailable, PostRefused
from bot.health import Report
from bot.models import Announcement, Shortlist
from bot.ports import RequestLedger
from bot.retrying import pause
from bot.settings import SlackSettings
from bot.text import fill_template
from bot.watcher import FeedWatcher
from cogs.slack_app import blocks
from cogs.slack_app.blocks import PLATFORM
from cogs.slack_app.cards import SlackCards, find_marked, post_marked
from cogs.slack_app.commands import Commands
from cogs.slack_app.http_guard import RequestGuard
from cogs.slack_app.listeners import register
from cogs.slack_app.members import Members, slack_error
from cogs.slack_app.reactions import Reactions

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
ANNOUNCEMENT_EVENT = "shortlist_announcement"  # message metadata: finds a post after a crash
_FATAL_AUTH_ERRORS = frozenset({"invalid_auth", "not_authed", "account_inactive", "token_revoked"})


class SlackFrontEnd:
    name = PLATFORM
    # Slack has no idempotency key: a post cut short may land until its request's deadline
    # (bot.announcing.POST_SECONDS, and a margin), so a repeat waits that long.
    settles = timedelta(seconds=POST_SECONDS + 5)

    def __init__(
        self,
        settings: SlackSettings,
        ballot: Ballot,
        cards: CardService,
        watcher: FeedWatcher | None,
        announcer: Announcer,
        requests: RequestLedger,
        *,
        template: str | None = None,
        host: str = "0.0.0.0",
    ) -> None:
        self._settings = settings
        self._requests = requests
        self.health: Callable[[], Awaitable[Report]] | None = None  # wired by bot.app
        self._template = template
        self._host = host
        base_url = (settings.api_url or "https://slack.com/api").rstrip("/") + "/"
        # Rate limits (honouring Retry-After) and dropped connections are retried in every call,
        # listeners' too: Bolt copies these handlers into each request's client.
        self.client = AsyncWebClient(
            token=settings.bot_token,
            base_url=base_url,
            retry_handlers=[
                AsyncRateLimitErrorRetryHandler(max_retry_count=5),
                AsyncConnectionErrorRetryHandler(max_retry_count=2),
            ],
        )
        self.app = AsyncApp(
            client=self.client,
            signing_secret=settings.signing_secret or "",
            request_verification_enabled=not settings.socket_mode,
            # Bolt would drop the deletion of the bot's own card; the listeners already ignore
            # the bot's own reactions, and every other message.
            ignoring_self_events_enabled=False,
        )
        self.members = Members(settings)
        self.cards = cards
        self.card_platform = SlackCards(self.client, self.members, settings.vote_reaction)
        self.reactions = Reactions(ballot, self.client, self.card_platform, self.members, cards)
        # A member who reacted to their own card hears it didn't count (wired by bot.app).
        self.answer_self_vote = self.reactions.explain_self_vote
        self.registered = register(
            self.app,
            Commands(ballot, cards, watcher, announcer, settings, self.members),
            self.reactions,
            settings.commands,
        )
        self._ready = asyncio.Event()
        self._stopping = asyncio.Event()
        self._socket: AsyncSocketModeHandler | None = None
        self._runner: web.AppRunner | None = None
        self.port: int | None = None  # the HTTP port actually bound

    async def run(self) -> None:
        if not await self._authenticate():
            return
        if self._settings.socket_mode:
            self._socket = AsyncSocketModeHandler(self.app, self._settings.app_token)
            await self._socket.connect_async()  # type: ignore[no-untyped-call]  # retries until it connects
            log.info("Connected to Slack in Socket Mode")
        else:
            web_app = self.app.web_app(path=EVENTS_PATH)
            guard = RequestGuard(self._settings.signing_secret or "", self._requests, EVENTS_PATH)
            web_app.middlewares.append(guard.middleware)
            web_app.router.add_get(HEALTH_PATH, self._healthz)
            self._runner = web.AppRunner(web_app, access_log=None)
            await self._runner.setup()
            site = web.TCPSite(self._runner, self._host, self._settings.port)
            await site.start()
            self.port = self._runner.addresses[0][1]
            log.info("Serving Slack requests on port %d at %s", self.port, EVENTS_PATH)
        self._ready.set()
        recovery = asyncio.create_task(self._recover(), name="slack vote recovery")
        try:
            await self._stopping.wait()
        finally:
            recovery.cancel()
            await self._shut_down()

    async def _healthz(self, _: web.Request) -> web.Response:
        """Ready (200) when the database answers and every platform is connected, else 503."""
        if self.health is None:
            return web.Response(
                status=503, text='{"ready": false}', content_type="application/json"
            )
        report = await self.health()
        return web.Response(
            status=200 if report.ready else 503,
            text=report.as_json(),
            content_type="application/json",
        )

    async def _authenticate(self) -> bool:
        """Check the tokens until Slack answers; a rejected token ends the Slack front end.

        (slack_sdk's Socket Mode client would retry a bad app token forever, a traceback a time.)
        """
        attempt = 0
        while not self._stopping.is_set():
            setting = "SLACK_BOT_TOKEN"
            try:
                identity = await self.client.auth_test()
                if self._settings.app_token is not None:
                    setting = "SLACK_APP_TOKEN"
                    await self.client.apps_connections_open(app_token=self._settings.app_token)
            except SlackApiError as error:
                reason = slack_error(error)
                if reason in _FATAL_AUTH_ERRORS:
                    raise FrontEndUnavailable(
                        f"Slack rejected {setting} ({reason}); copy it again from the app's "
                        + (
                            "OAuth & Permissions"
                            if setting == "SLACK_BOT_TOKEN"
                            else "Basic Information"
                        )
                        + " page"
                    ) from None
                failure = f"Slack answered {reason}"
            except (OSError, aiohttp.ClientError, TimeoutError) as error:
                failure = f"{type(error).__name__}: {error}"
            else:
                self.members.bot_user_id = identity.get("user_id")
                log.info(
                    "Connected to Slack workspace %s as %s",
                    identity.get("team"),
                    identity.get("user"),
                )
                return True
            await pause("Slack", failure, attempt, self._stopping)
            attempt += 1
        return False

    async def _recover(self) -> None:
        try:
            await self.cards.recover(PLATFORM)
        except Exception:
            log.exception("Slack vote recovery failed")

    async def _shut_down(self) -> None:
        if self._socket is not None:
            await self._socket.close_async()  # type: ignore[no-untyped-call]
        if self._runner is not None:
            await self._runner.cleanup()

    async def stop(self) -> None:
        self._stopping.set()

    # Announcer

    def announce_channels(self) -> tuple[str, ...]:
        return self._settings.announce_channel_ids

    def is_ready(self) -> bool:
        return self._ready.is_set()

    async def wait_until_ready(self) -> None:
        await self._ready.wait()

    async def announce(self, channel_id: str, announcement: Announcement, key: str) -> str:
        group = self._settings.announce_usergroup_id
        if self._template is not None:
            mention = f"<!subteam^{group}>" if group else ""
            text = fill_template(
                self._template, announcement, blocks.escape, mention, escape_link=blocks.escape
            )
            announcement_blocks = blocks.as_written(text)
        else:
            text, announcement_blocks = blocks.announcement(
                announcement, self._settings.commands.suggest, group
            )
        try:
            posted = await post_marked(
                self.client, channel_id, text, announcement_blocks, ANNOUNCEMENT_EVENT, key
            )
        except SlackApiError as error:  # Slack answered: nothing was posted
            raise PostRefused(slack_error(error)) from error
        return str(posted["ts"])

    async def find_announcement(
        self, channel_id: str, announcement: Announcement, key: str, since: datetime
    ) -> str | None:
        """The message since `since` whose metadata names this announcement."""
        return await find_marked(self.client, channel_id, ANNOUNCEMENT_EVENT, key, since)

    async def post_digest(self, standings: Shortlist) -> None:
        channel = self._settings.suggestions_channel_id
        if channel is None:
            log.info("No weekly digest on Slack: set SLACK_SUGGESTIONS_CHANNEL_ID")
            return
        title, digest_blocks = blocks.digest(standings, self._settings)
        await self.client.chat_postMessage(
            channel=channel, text=title, blocks=digest_blocks, unfurl_links=False
        )

    async def alert_curators(self, message: str) -> None:
        channel = self._settings.curator_channel_id
        if channel is None:
            log.warning("For the curators (set SLACK_CURATOR_CHANNEL_ID to post it): %s", message)
            return
        await self.client.chat_postMessage(channel=channel, text=blocks.escape(message))
