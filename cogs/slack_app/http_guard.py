"""Checks on Slack's HTTP requests before Bolt sees them: a well-formed timestamp, and each
signed request answered once (a replay, same signature and timestamp, gets 401)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from aiohttp import web

REPLAY_WINDOW_SECONDS = 10 * 60  # Bolt refuses requests older than 5 minutes anyway

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class RequestGuard:
    def __init__(self) -> None:
        self._seen: dict[tuple[str, str], float] = {}

        @web.middleware
        async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
            return await self.check(request, handler)

        self.middleware = middleware

    async def check(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        stamp = request.headers.get("X-Slack-Request-Timestamp", "")
        if not (stamp.isascii() and stamp.isdigit()):
            return web.Response(status=401, text="invalid request timestamp")
        key = (stamp, request.headers.get("X-Slack-Signature", ""))
        now = time.monotonic()
        self._forget_before(now - REPLAY_WINDOW_SECONDS)
        if key in self._seen:
            return web.Response(status=401, text="request replayed")
        self._seen[key] = now  # before Bolt runs: a concurrent copy is refused too
        response = await handler(request)
        if response.status == 401:
            del self._seen[key]  # a forgery proves nothing about the real request
        return response

    def _forget_before(self, moment: float) -> None:
        for key in [key for key, seen in self._seen.items() if seen < moment]:
            del self._seen[key]
