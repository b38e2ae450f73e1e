"""Discord at the network edge: gateway payloads, a REST API that answers like Discord's, and two
ways to reach it — discord.py's own HTTP choke points patched in-process, or a real local server
(REST + gateway websocket) for end-to-end runs of `python -m bot`.

Payload shapes follow Discord's API documentation, with the fields discord.py 2.7 insists on.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import aiohttp
import discord
import discord.http
import discord.webhook.async_
import pytest
from aiohttp import web

from tests.servers import serve

GUILD_ID = 900000000000000001
CHANNEL_ID = 900000000000000010  # where members type commands
SUGGESTIONS_ID = 900000000000000011
ANNOUNCE_ID = 900000000000000012
CURATOR_CHANNEL_ID = 900000000000000013
NEWS_ID = 900000000000000014  # an announcement channel that other servers can follow
CURATOR_ROLE_ID = 900000000000000020
ANNOUNCE_ROLE_ID = 900000000000000021
APP_ID = 800000000000000001  # the application and its bot user share the id
TOKEN = "MTAw.fake-token.for-tests-only"

_ids = itertools.count(1_000_000_000_000_000_000)
MANAGE_GUILD = 1 << 5
MEMBER_PERMISSIONS = (1 << 10) | (1 << 11) | (1 << 6) | (1 << 16)  # view, send, react, history


def snowflake() -> str:
    return str(next(_ids))


def message_snowflake() -> str:
    """A message's id as Discord makes it: the time it was created, then a counter, so that a
    history read `after=` a time (discord.utils.time_snowflake) finds what came since."""
    now = discord.utils.time_snowflake(datetime.now(UTC))
    return str(now + next(_ids) % 4096)


def user(user_id: int, name: str, *, bot: bool = False) -> dict[str, Any]:
    return {
        "id": str(user_id),
        "username": name,
        "global_name": name.title(),
        "discriminator": "0",
        "avatar": None,
        "bot": bot,
        "public_flags": 0,
    }


BOT_USER = user(APP_ID, "shortlist", bot=True)


def member(
    user_id: int, name: str, *, roles: tuple[int, ...] = (), bot: bool = False
) -> dict[str, Any]:
    return {
        "user": user(user_id, name, bot=bot),
        "roles": [str(role) for role in roles],
        "joined_at": "2026-01-01T00:00:00+00:00",
        "deaf": False,
        "mute": False,
        "flags": 0,
        "nick": None,
        "avatar": None,
        "pending": False,
    }


def text_channel(channel_id: int, name: str, kind: int = 0) -> dict[str, Any]:
    """A text channel (kind 0) or an announcement channel (kind 5)."""
    return {
        "id": str(channel_id),
        "type": kind,
        "guild_id": str(GUILD_ID),
        "name": name,
        "position": 0,
        "permission_overwrites": [],
        "nsfw": False,
        "parent_id": None,
        "topic": None,
        "rate_limit_per_user": 0,
        "last_message_id": None,
    }


def ready(resume_url: str = "ws://127.0.0.1:1/") -> dict[str, Any]:
    return {
        "v": 10,
        "user": BOT_USER,
        "guilds": [{"id": str(GUILD_ID), "unavailable": True}],
        "session_id": "session-1",
        "resume_gateway_url": resume_url,
        "application": {"id": str(APP_ID), "flags": 0},
        "private_channels": [],
        "relationships": [],
    }


def guild_create() -> dict[str, Any]:
    return {
        "id": str(GUILD_ID),
        "name": "ML Monthly readers",
        "icon": None,
        "owner_id": "1",
        "unavailable": False,
        "large": False,
        "member_count": 1,
        "members": [member(APP_ID, "shortlist", bot=True)],
        "roles": [
            {
                "id": str(GUILD_ID),
                "name": "@everyone",
                "permissions": str(MEMBER_PERMISSIONS),
                "position": 0,
                "color": 0,
                "hoist": False,
                "managed": False,
                "mentionable": False,
                "flags": 0,
            },
            {
                "id": str(CURATOR_ROLE_ID),
                "name": "Curators",
                "permissions": str(MEMBER_PERMISSIONS),
                "position": 1,
                "color": 0,
                "hoist": False,
                "managed": False,
                "mentionable": False,
                "flags": 0,
            },
        ],
        "channels": [
            text_channel(CHANNEL_ID, "general"),
            text_channel(SUGGESTIONS_ID, "suggestions"),
            text_channel(ANNOUNCE_ID, "announcements"),
            text_channel(CURATOR_CHANNEL_ID, "curators"),
            text_channel(NEWS_ID, "newsletter", kind=5),
        ],
        "emojis": [],
        "stickers": [],
        "features": [],
        "voice_states": [],
        "presences": [],
        "threads": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "soundboard_sounds": [],
        "joined_at": "2026-01-01T00:00:00+00:00",
        "premium_tier": 0,
        "preferred_locale": "en-US",
        "nsfw_level": 0,
        "mfa_level": 0,
        "verification_level": 0,
        "explicit_content_filter": 0,
        "default_message_notifications": 0,
        "system_channel_flags": 0,
    }


def slash(
    name: str,
    options: list[dict[str, Any]] | None = None,
    *,
    invoker: dict[str, Any],
    permissions: int = MEMBER_PERMISSIONS,
    channel_id: int = CHANNEL_ID,
) -> dict[str, Any]:
    """An INTERACTION_CREATE for a slash command, as a guild member typed it."""
    invoker = {**invoker, "permissions": str(permissions)}
    return {
        "id": snowflake(),
        "application_id": str(APP_ID),
        "type": 2,
        "token": f"interaction-token-{snowflake()}",
        "version": 1,
        "guild_id": str(GUILD_ID),
        "channel_id": str(channel_id),
        "channel": text_channel(channel_id, "general"),
        "member": invoker,
        "app_permissions": str(MEMBER_PERMISSIONS),
        "locale": "en-US",
        "guild_locale": "en-US",
        "entitlements": [],
        "authorizing_integration_owners": {"0": str(GUILD_ID)},
        "context": 0,
        "attachment_size_limit": 26214400,
        "data": {
            "id": snowflake(),
            "name": name,
            "type": 1,
            "guild_id": str(GUILD_ID),
            "options": options or [],
        },
    }


def option(name: str, value: Any, kind: int = 3) -> dict[str, Any]:
    return {"name": name, "type": kind, "value": value}


def subcommand(name: str, options: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"name": name, "type": 1, "options": options or []}


def reaction(
    event_member: dict[str, Any] | None,
    user_id: int,
    message_id: str,
    *,
    emoji: str = "👍",
    channel_id: int = SUGGESTIONS_ID,
    message_author_id: int = APP_ID,
) -> dict[str, Any]:
    """MESSAGE_REACTION_ADD (with `member`) or MESSAGE_REACTION_REMOVE (without) payload."""
    data: dict[str, Any] = {
        "user_id": str(user_id),
        "channel_id": str(channel_id),
        "message_id": message_id,
        "guild_id": str(GUILD_ID),
        "emoji": {"id": None, "name": emoji},
        "burst": False,
        "burst_colors": [],
        "type": 0,
    }
    if event_member is not None:
        data["member"] = event_member
        data["message_author_id"] = str(message_author_id)
    return data


@dataclass
class Call:
    method: str
    path: str
    json: Any = None
    params: dict[str, str] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)


class DiscordError(Exception):
    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.body = {"code": code, "message": message}


class FakeDiscordAPI:
    """Discord's REST API, as much of it as Shortlist uses, with enough state to be honest."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.messages: dict[str, dict[str, Any]] = {}
        self.reactions: dict[tuple[str, str], list[dict[str, Any]]] = {}  # (message, emoji)
        self.forbidden_channels: set[str] = set()
        self.deleted_channels: set[str] = set()
        self.commands: dict[str, list[dict[str, Any]]] = {}
        self.created: dict[int, Any] = {}  # call index -> the answer's body
        self.nonces: dict[tuple[str, str], dict[str, Any]] = {}  # (channel, nonce) -> message
        self.published: list[str] = []  # messages crossposted to following servers
        self.application_id = APP_ID  # another application on the same bot database: change it

    def messages_by_call(self, call: Call) -> dict[str, Any]:
        """The message a POST created (its answer), found by the order of creation."""
        created: dict[str, Any] = self.created[self.calls.index(call)]
        return created

    def find(self, method: str, path_start: str) -> list[Call]:
        return [c for c in self.calls if c.method == method and c.path.startswith(path_start)]

    def react(self, message_id: str, who: dict[str, Any], emoji: str = "👍") -> None:
        """A member reacts while the bot is not watching (it is down)."""
        self.reactions.setdefault((message_id, emoji), []).append(who)

    def unreact(self, message_id: str, user_id: int, emoji: str = "👍") -> None:
        users = self.reactions.get((message_id, emoji), [])
        self.reactions[(message_id, emoji)] = [u for u in users if u["id"] != str(user_id)]

    def answer(self, call: Call) -> tuple[int, Any]:
        self.calls.append(call)
        try:
            status, body = self._route(call)
        except DiscordError as error:
            status, body = error.status, error.body
        self.created[len(self.calls) - 1] = body
        return status, body

    def _message(
        self, channel_id: str, payload: dict[str, Any], *, author: dict[str, Any]
    ) -> dict[str, Any]:
        message = {
            "id": message_snowflake(),
            "channel_id": channel_id,
            "guild_id": str(GUILD_ID),
            "author": author,
            "content": payload.get("content") or "",
            "timestamp": "2026-11-29T00:00:00+00:00",
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": payload.get("embeds") or [],
            "components": [],
            "pinned": False,
            "type": 0,
            "flags": payload.get("flags", 0),
        }
        self.messages[message["id"]] = message
        return message

    def channel_messages(self, channel_id: str) -> list[dict[str, Any]]:
        """A channel's messages, newest first, as GET /channels/{id}/messages lists them."""
        found = [m for m in self.messages.values() if m["channel_id"] == channel_id]
        return sorted(found, key=lambda m: int(m["id"]), reverse=True)

    def _create(self, channel_id: str, payload: dict[str, Any]) -> dict[str, Any]:
        """With `enforce_nonce`, a nonce seen before returns the earlier message (as Discord
        does for a few minutes) instead of posting again."""
        nonce = payload.get("nonce")
        if nonce is not None and payload.get("enforce_nonce"):
            earlier = self.nonces.get((channel_id, str(nonce)))
            if earlier is not None:
                return earlier
        message = self._message(channel_id, payload, author=BOT_USER)
        if nonce is not None:
            message["nonce"] = nonce
            self.nonces[(channel_id, str(nonce))] = message
        return message

    def _route(self, call: Call) -> tuple[int, Any]:
        parts = call.path.strip("/").split("/")
        method = call.method
        if call.path == "/users/@me":
            return 200, BOT_USER
        if call.path == "/oauth2/applications/@me":
            return 200, {
                "id": str(self.application_id),
                "name": "Shortlist",
                "description": "",
                "icon": None,
                "bot_public": True,
                "bot_require_code_grant": False,
                "owner": user(1, "owner"),
                "verify_key": "0" * 64,
                "flags": 0,
                "team": None,
                "interactions_endpoint_url": None,
            }
        if parts[0] == "applications" and parts[-1] == "commands" and method == "PUT":
            scope = parts[3] if len(parts) == 5 else "global"
            self.commands[scope] = [
                {**command, "id": snowflake(), "application_id": str(APP_ID), "version": "1"}
                for command in call.json
            ]
            return 200, self.commands[scope]
        if parts[0] == "interactions" and parts[-1] == "callback":
            return 200, {
                "interaction": {
                    "id": parts[1],
                    "type": 2,
                    "response_message_loading": call.json["type"] == 5,
                    "response_message_ephemeral": bool(
                        call.json.get("data", {}).get("flags", 0) & 64
                    ),
                },
                "resource": {"type": call.json["type"]},
            }
        if parts[0] == "webhooks":
            if method == "POST":
                return 200, self._message(CHANNEL_ID_STR, call.json or {}, author=BOT_USER)
            return 200, self._message(CHANNEL_ID_STR, call.json or {}, author=BOT_USER)
        if parts[0] == "channels":
            channel_id = parts[1]
            if channel_id in self.forbidden_channels:
                raise DiscordError(403, 50013, "Missing Permissions")
            if channel_id in self.deleted_channels:
                raise DiscordError(404, 10003, "Unknown Channel")
            if len(parts) == 3 and parts[2] == "messages" and method == "POST":
                return 200, self._create(channel_id, call.json or {})
            if len(parts) == 3 and parts[2] == "messages" and method == "GET":
                listed = self.channel_messages(channel_id)
                limit = int(call.params.get("limit", 50))
                if "after" in call.params:  # the oldest `limit` after it, listed newest first
                    after = int(call.params["after"])
                    listed = sorted((m for m in listed if int(m["id"]) > after), key=_id)
                    listed = listed[:limit][::-1]
                listed = listed[:limit]
                # Discord gives a message's nonce only when it is created, never in history.
                return 200, [{k: v for k, v in m.items() if k != "nonce"} for m in listed]
            message_id = parts[3] if len(parts) > 3 else ""
            if message_id not in self.messages:
                raise DiscordError(404, 10008, "Unknown Message")
            if len(parts) == 5 and parts[4] == "crosspost" and method == "POST":
                self.published.append(message_id)
                return 200, self.messages[message_id]
            if len(parts) == 4 and method == "DELETE":
                del self.messages[message_id]
                return 204, None
            if len(parts) == 4 and method == "PATCH":
                self.messages[message_id].update(
                    {k: v for k, v in (call.json or {}).items() if k in ("content", "embeds")}
                )
                return 200, self.messages[message_id]
            if len(parts) >= 6 and parts[4] == "reactions":
                emoji = unquote(parts[5])
                if method == "PUT" and parts[-1] == "@me":
                    self.react(message_id, BOT_USER, emoji)
                    return 204, None
                if method == "DELETE":
                    self.unreact(message_id, int(parts[6]) if parts[6] != "@me" else APP_ID, emoji)
                    return 204, None
                if method == "GET":
                    if call.params.get("type", "0") != "0":
                        return 200, []
                    users = sorted(
                        self.reactions.get((message_id, emoji), []), key=lambda u: int(u["id"])
                    )
                    after = int(call.params.get("after", 0))
                    limit = int(call.params.get("limit", 25))
                    return 200, [u for u in users if int(u["id"]) > after][:limit]
        raise DiscordError(404, 0, f"404: Not Found ({method} {call.path})")


CHANNEL_ID_STR = str(CHANNEL_ID)


def _id(message: dict[str, Any]) -> int:
    return int(message["id"])


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
