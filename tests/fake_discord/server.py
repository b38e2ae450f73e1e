"""Two ways to reach the fake Discord API: discord.py's own HTTP choke points patched in-process,
or a real local server (REST and the gateway's websocket) for end-to-end runs of `python -m bot`."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import aiohttp
import discord
import discord.http
import discord.webhook.async_
import pytest
from aiohttp import web

from tests.fake_discord.api import Call, FakeDiscordAPI
from tests.fake_discord.payloads import TOKEN, guild_create, ready
from tests.servers import serve


def _payload_from_form(form: Any) -> tuple[Any, list[str]]:
    payload = None
    files = []
    for part in form or []:
        if part.get("name") == "payload_json":
            payload = json.loads(part["value"])
        elif "filename" in part:
            files.append(part["filename"])
    return payload, files


def _path(url: str) -> str:
    path = urlsplit(url).path
    base = urlsplit(discord.http.Route.BASE).path
    return path[len(base) :] if path.startswith(base) else path


class _Response:
    """What discord.py's exceptions read from a response."""

    def __init__(self, status: int) -> None:
        self.status = status
        self.reason = "Error"


def _raise_for(status: int, body: Any) -> None:
    if status == 403:
        raise discord.Forbidden(_Response(status), body)
    if status == 404:
        raise discord.NotFound(_Response(status), body)
    if status >= 400:
        raise discord.HTTPException(_Response(status), body)


def capture_at_choke_points(monkeypatch: pytest.MonkeyPatch, api: FakeDiscordAPI) -> None:
    """Route discord.py's two HTTP choke points to `api`: nothing leaves the process."""

    async def http_request(
        self: discord.http.HTTPClient,
        route: discord.http.Route,
        *,
        files: Any = None,
        form: Any = None,
        **kwargs: Any,
    ) -> Any:
        payload = kwargs.get("json")
        names: list[str] = []
        if form:
            payload, names = _payload_from_form(form)
        params = {k: str(v) for k, v in (kwargs.get("params") or {}).items()}
        status, body = api.answer(Call(route.method, _path(route.url), payload, params, names))
        _raise_for(status, body)
        return body

    async def webhook_request(
        self: discord.webhook.async_.AsyncWebhookAdapter,
        route: discord.http.Route,
        session: Any,
        *,
        payload: Any = None,
        multipart: Any = None,
        files: Any = None,
        params: Any = None,
        **kwargs: Any,
    ) -> Any:
        names: list[str] = []
        if multipart:
            payload, names = _payload_from_form(multipart)
        query = {k: str(v) for k, v in (params or {}).items()}
        status, body = api.answer(Call(route.method, _path(route.url), payload, query, names))
        _raise_for(status, body)
        return body

    monkeypatch.setattr(discord.http.HTTPClient, "request", http_request)
    monkeypatch.setattr(discord.webhook.async_.AsyncWebhookAdapter, "request", webhook_request)


@dataclass
class FakeDiscordServer:
    """A Discord-compatible server on 127.0.0.1: REST under /api/v10, a gateway at /gateway."""

    api: FakeDiscordAPI
    base: str = ""
    sockets: list[web.WebSocketResponse] = field(default_factory=list)
    identified: asyncio.Event = field(default_factory=asyncio.Event)
    sequence: int = 0
    # Runs after a call was answered and before the answer is sent: a test can kill the bot
    # right after Discord accepted its request.
    after_accept: Callable[[Call], Awaitable[None]] | None = None

    @property
    def api_base(self) -> str:
        return f"{self.base}/api/v10"

    @property
    def gateway_url(self) -> str:
        return self.base.replace("http://", "ws://") + "/gateway"

    async def rest(self, request: web.Request) -> web.Response:
        is_interaction = request.path.startswith(("/api/v10/interactions/", "/api/v10/webhooks/"))
        if not is_interaction and request.headers.get("Authorization") != f"Bot {TOKEN}":
            refusal = json.dumps({"message": "401: Unauthorized", "code": 0})
            return web.Response(status=401, body=refusal, content_type="application/json")
        body = await request.read()
        payload: Any = None
        names: list[str] = []
        if request.content_type == "application/json" and body:
            payload = json.loads(body)
        elif request.content_type.startswith("multipart/"):
            reader = await request.multipart()
            async for part in reader:
                if not isinstance(part, aiohttp.BodyPartReader):
                    continue
                if part.name == "payload_json":
                    payload = json.loads(await part.text())
                elif part.filename:
                    names.append(part.filename)
        path = request.path[len("/api/v10") :]
        params = dict(parse_qsl(request.query_string))
        call = Call(request.method, path, payload, params, names)
        status, answer = self.api.answer(call)
        if self.after_accept is not None:
            await self.after_accept(call)
        if answer is None:
            return web.Response(status=status)
        # discord.py parses only this exact content type (json_response adds a charset).
        return web.Response(status=status, body=json.dumps(answer), content_type="application/json")

    async def gateway(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self.sockets.append(socket)
        await socket.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": 41250}}))
        async for message in socket:
            if message.type != aiohttp.WSMsgType.TEXT:
                continue
            frame = json.loads(message.data)
            if frame["op"] == 1:
                await socket.send_str(json.dumps({"op": 11}))
            elif frame["op"] == 2:
                await self.dispatch("READY", ready(self.gateway_url), only=socket)
                await self.dispatch("GUILD_CREATE", guild_create(), only=socket)
                self.identified.set()
            elif frame["op"] == 6:
                await socket.send_str(json.dumps({"op": 9, "d": False}))
        self.sockets.remove(socket)
        return socket

    async def dispatch(
        self, event: str, data: dict[str, Any], *, only: web.WebSocketResponse | None = None
    ) -> None:
        self.sequence += 1
        frame = json.dumps({"op": 0, "t": event, "s": self.sequence, "d": data})
        for socket in [only] if only is not None else list(self.sockets):
            await socket.send_str(frame)


@asynccontextmanager
async def fake_discord_server(
    api: FakeDiscordAPI, port: int = 0
) -> AsyncIterator[FakeDiscordServer]:
    server = FakeDiscordServer(api)
    app = web.Application()
    app.router.add_get("/gateway", server.gateway)
    app.router.add_route("*", "/api/v10/{tail:.*}", server.rest)
    async with serve(app, port) as server.base:
        try:
            yield server
        finally:
            for socket in list(server.sockets):
                await socket.close()
