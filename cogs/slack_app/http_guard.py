"""Checks on Slack's HTTP requests before Bolt sees them: exactly one timestamp and one signature,
a valid signature, and each signed request answered once (a replay gets 401), remembered in the
database so that a restart or a standby refuses it too.

Only the events path is guarded; anything else is aiohttp's (a 404, or `/healthz`). Nothing is
remembered about a request until its signature is verified, so unsigned traffic costs no memory.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from aiohttp import web
from slack_sdk.signature import SignatureVerifier

from bot.ports import RequestLedger

# Bolt refuses requests older than 5 minutes; remembering them twice as long covers clock skew.
KEEP = timedelta(minutes=10)
TIMESTAMP, SIGNATURE = "X-Slack-Request-Timestamp", "X-Slack-Signature"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class RequestGuard:
    def __init__(self, signing_secret: str, ledger: RequestLedger, path: str) -> None:
        self._verifier = SignatureVerifier(signing_secret)
        self._ledger = ledger
        self._path = path

        @web.middleware
        async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
            return await self.check(request, handler)

        self.middleware = middleware

    async def check(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path != self._path:
            return await handler(request)
        stamps, signatures = (
            request.headers.getall(TIMESTAMP, []),
            request.headers.getall(SIGNATURE, []),
        )
        # Bolt reads the last of a repeated header: one of each, or the request is refused.
        if len(stamps) != 1 or len(signatures) != 1:
            return web.Response(status=401, text="one timestamp and one signature expected")
        stamp, signature = stamps[0], signatures[0]
        if not (stamp.isascii() and stamp.isdigit()):
            return web.Response(status=401, text="invalid request timestamp")
        body = await request.read()  # aiohttp keeps it for Bolt
        if not self._verifier.is_valid(body, stamp, signature):
            return web.Response(status=401, text="invalid request signature")
        if not await self._ledger.first_time(signature, datetime.now(UTC), KEEP):
            return web.Response(status=401, text="request replayed")
        return await handler(request)
