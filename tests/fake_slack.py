"""Slack at the network edge: a local Web API (the client's `base_url`) that records every call
and keeps enough state to answer honestly, a `response_url` endpoint, a Socket Mode websocket,
and correctly signed requests for Bolt's HTTP mode. Shapes follow Slack's API documentation."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

import aiohttp
from aiohttp import web
from slack_sdk.signature import SignatureVerifier

from tests.servers import serve

BOT_TOKEN = "xoxb-test-bot-token"
APP_TOKEN = "xapp-test-app-token"
SIGNING_SECRET = "shhh-signing-secret"
TEAM_ID = "T0SHORTLIST"
BOT_USER_ID = "U0SHORTBOT"
SUGGESTIONS = "C0SUGGEST"
ANNOUNCE = "C0ANNOUNCE"
GENERAL = "C0GENERAL"

_ts = itertools.count(1)


@dataclass
class ApiCall:
    method: str
    args: dict[str, Any]
    token: str | None


@dataclass
class FakeSlack:
    """The Web API, the response_url sink and the Socket Mode server, on 127.0.0.1."""

    base: str = ""
    calls: list[ApiCall] = field(default_factory=list)
    responses: list[dict[str, Any]] = field(default_factory=list)  # what respond() sent
    messages: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    files: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> name, content, channel
    reactions: dict[tuple[str, str], dict[str, list[str]]] = field(default_factory=dict)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    usergroups: dict[str, list[str]] = field(default_factory=dict)
    not_in_channel: set[str] = field(default_factory=set)
    sockets: list[web.WebSocketResponse] = field(default_factory=list)
    acks: dict[str, dict[str, Any]] = field(default_factory=dict)
    socket_connected: asyncio.Event = field(default_factory=asyncio.Event)
    # Runs after a call was answered and before the answer is sent (see fake_discord).
    after_accept: Callable[[ApiCall], Awaitable[None]] | None = None
    rate_limit: dict[str, int] = field(default_factory=dict)  # method -> 429s still to give

    @property
    def api_url(self) -> str:
        return f"{self.base}/api/"

    def response_url(self) -> str:
        return f"{self.base}/respond/{next(_ts)}"

    def find(self, method: str) -> list[ApiCall]:
        return [call for call in self.calls if call.method == method]

    def add_user(self, user_id: str, name: str, *, is_bot: bool = False) -> None:
        self.users[user_id] = {
            "id": user_id,
            "team_id": TEAM_ID,
            "name": name.lower(),
            "real_name": name,
            "is_bot": is_bot,
            "profile": {"display_name": name, "real_name": name},
        }

    def react(self, channel: str, ts: str, user: str, name: str = "+1") -> None:
        self.reactions.setdefault((channel, ts), {}).setdefault(name, []).append(user)

    def unreact(self, channel: str, ts: str, user: str, name: str = "+1") -> None:
        users = self.reactions.get((channel, ts), {}).get(name, [])
        if user in users:
            users.remove(user)

    async def api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            args |= await request.json()
        elif request.method == "POST":
            args |= dict(parse_qsl((await request.read()).decode()))
        token = request.headers.get("Authorization", "").removeprefix("Bearer ") or None
        call = ApiCall(method, args, token)
        self.calls.append(call)
        if self.rate_limit.get(method, 0) > 0:  # as Slack answers past a method's tier
            self.rate_limit[method] -= 1
            return web.json_response(
                {"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": "1"}
            )
        answer = self._answer(method, args, token)
        if self.after_accept is not None:
            await self.after_accept(call)
        return web.json_response(answer)

    def channel_messages(self, channel: str) -> list[dict[str, Any]]:
        """A channel's messages, newest first, as conversations.history lists them."""
        found = [m for (c, _), m in self.messages.items() if c == channel]
        return sorted(found, key=lambda m: m["ts"], reverse=True)

    def _answer(self, method: str, args: dict[str, Any], token: str | None) -> dict[str, Any]:
        if method == "apps.connections.open":
            if token != APP_TOKEN:
                return {"ok": False, "error": "invalid_auth"}
            return {"ok": True, "url": self.base.replace("http://", "ws://") + "/socket"}
        if token != BOT_TOKEN:
            return {"ok": False, "error": "invalid_auth"}
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://shortlist.slack.com/",
                "team": "Shortlist readers",
                "user": "shortlist",
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "bot_id": "B0SHORTBOT",
                "is_enterprise_install": False,
            }
        if method == "chat.postMessage":
            channel = args["channel"]
            if channel in self.not_in_channel:
                return {"ok": False, "error": "not_in_channel"}
            ts = f"{time.time():.0f}.{next(_ts):06d}"  # when it was posted, as Slack's are
            message = {"type": "message", "user": BOT_USER_ID, "ts": ts, **args}
            self.messages[(channel, ts)] = message
            return {"ok": True, "channel": channel, "ts": ts, "message": message}
        if method == "chat.update":
            key = (args["channel"], args["ts"])
            if key not in self.messages:
                return {"ok": False, "error": "message_not_found"}
            self.messages[key].update(args)
            return {"ok": True, "channel": args["channel"], "ts": args["ts"]}
        if method == "conversations.open":
            return {"ok": True, "channel": {"id": f"D{args['users']}"}}
        if method == "files.getUploadURLExternal":
            file_id = f"F{len(self.files) + 1:04d}"
            self.files[file_id] = {"name": args["filename"], "content": b""}
            return {"ok": True, "file_id": file_id, "upload_url": f"{self.base}/upload/{file_id}"}
        if method == "files.completeUploadExternal":
            listed = args["files"]
            for uploaded in json.loads(listed) if isinstance(listed, str) else listed:
                self.files[uploaded["id"]]["channel"] = args.get("channel_id")
            return {"ok": True, "files": []}
        if method == "chat.delete":
            if self.messages.pop((args["channel"], args["ts"]), None) is None:
                return {"ok": False, "error": "message_not_found"}
            return {"ok": True, "channel": args["channel"], "ts": args["ts"]}
        if method == "chat.getPermalink":
            ts = args["message_ts"].replace(".", "")
            return {
                "ok": True,
                "channel": args["channel"],
                "permalink": f"https://shortlist.slack.com/archives/{args['channel']}/p{ts}",
            }
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": f"1700000000.{next(_ts):06d}"}
        if method == "reactions.add":
            key = (args["channel"], args["timestamp"])
            if BOT_USER_ID in self.reactions.get(key, {}).get(args["name"], []):
                return {"ok": False, "error": "already_reacted"}
            self.react(args["channel"], args["timestamp"], BOT_USER_ID, args["name"])
            return {"ok": True}
        if method == "reactions.get":
            key = (args["channel"], args["timestamp"])
            if key not in self.messages:
                return {"ok": False, "error": "message_not_found"}
            full = str(args.get("full", "")).lower() in ("1", "true")
            reactions = [
                {"name": name, "users": users if full else users[:50], "count": len(users)}
                for name, users in self.reactions.get(key, {}).items()
                if users
            ]
            return {
                "ok": True,
                "type": "message",
                "channel": key[0],
                "message": {**self.messages[key], "reactions": reactions},
            }
        if method == "conversations.history":
            with_metadata = str(args.get("include_all_metadata", "")).lower() in ("1", "true")
            # Newest first, after `oldest` if given, a page of `limit` at a time with a cursor
            # (https://api.slack.com/methods/conversations.history).
            listed = [
                m
                for m in self.channel_messages(args["channel"])
                if float(m["ts"]) > float(args.get("oldest") or 0)
            ]
            start, limit = int(args.get("cursor") or 0), int(args.get("limit", 100))
            page = listed[start : start + limit]
            more = start + limit < len(listed)
            messages = [
                m if with_metadata else {k: v for k, v in m.items() if k != "metadata"}
                for m in page
            ]
            return {
                "ok": True,
                "messages": messages,
                "has_more": more,
                "response_metadata": {"next_cursor": str(start + limit) if more else ""},
            }
        if method == "users.info":
            user = self.users.get(args["user"])
            return {"ok": True, "user": user} if user else {"ok": False, "error": "user_not_found"}
        if method == "usergroups.users.list":
            return {"ok": True, "users": self.usergroups.get(args["usergroup"], [])}
        return {"ok": False, "error": "unknown_method"}

    async def upload(self, request: web.Request) -> web.Response:
        self.files[request.match_info["id"]]["content"] = await request.read()
        return web.Response(text="OK")

    async def respond(self, request: web.Request) -> web.Response:
        self.responses.append(await request.json())
        return web.Response(text="ok")

    async def socket(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self.sockets.append(socket)
        await socket.send_str(
            json.dumps(
                {
                    "type": "hello",
                    "num_connections": 1,
                    "debug_info": {"host": "fake"},
                    "connection_info": {"app_id": "A0SHORT"},
                }
            )
        )
        self.socket_connected.set()
        async for message in socket:
            if message.type == aiohttp.WSMsgType.TEXT:
                frame = json.loads(message.data)
                if "envelope_id" in frame:
                    self.acks[frame["envelope_id"]] = frame
        self.sockets.remove(socket)
        return socket

    async def envelope(self, kind: str, payload: dict[str, Any]) -> str:
        """Send a Socket Mode envelope to the connected app; returns its envelope id."""
        envelope_id = f"envelope-{next(_ts)}"
        frame = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": kind != "events_api",
            "retry_attempt": 0,
            "retry_reason": "",
        }
        for socket in self.sockets:
            await socket.send_str(json.dumps(frame))
        return envelope_id


@asynccontextmanager
async def fake_slack() -> AsyncIterator[FakeSlack]:
    fake = FakeSlack()
    app = web.Application()
    app.router.add_route("*", "/api/{method}", fake.api)
    app.router.add_post("/respond/{id}", fake.respond)
    app.router.add_post("/upload/{id}", fake.upload)
    app.router.add_get("/socket", fake.socket)
    async with serve(app) as fake.base:
        try:
            yield fake
        finally:
            for socket in list(fake.sockets):
                await socket.close()


def command_payload(
    fake: FakeSlack, command: str, text: str, user_id: str, *, channel: str = GENERAL
) -> dict[str, str]:
    return {
        "token": "legacy-verification-token",
        "team_id": TEAM_ID,
        "team_domain": "shortlist",
        "channel_id": channel,
        "channel_name": "general",
        "user_id": user_id,
        "user_name": user_id.lower(),
        "command": command,
        "text": text,
        "api_app_id": "A0SHORT",
        "is_enterprise_install": "false",
        "response_url": fake.response_url(),
        "trigger_id": f"trigger-{next(_ts)}",
    }


def event_payload(event: dict[str, Any]) -> dict[str, Any]:
    return {
        "token": "legacy-verification-token",
        "team_id": TEAM_ID,
        "api_app_id": "A0SHORT",
        "event": event,
        "type": "event_callback",
        "event_id": f"Ev{next(_ts)}",
        "event_time": int(time.time()),
        "authorizations": [
            {
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
    }


def reaction_event(
    kind: str,
    user: str,
    channel: str,
    ts: str,
    *,
    name: str = "+1",
    item_user: str | None = BOT_USER_ID,
) -> dict[str, Any]:
    event: dict[str, Any] = {
        "type": kind,
        "user": user,
        "reaction": name,
        "item": {"type": "message", "channel": channel, "ts": ts},
        "event_ts": f"{time.time():.6f}",
    }
    if item_user is not None:
        event["item_user"] = item_user
    return event


def signed(
    body: bytes, *, secret: str = SIGNING_SECRET, timestamp: int | None = None
) -> dict[str, str]:
    """The headers Slack sends with a request: a timestamp and its HMAC signature."""
    stamp = str(timestamp if timestamp is not None else int(time.time()))
    signature = SignatureVerifier(secret).generate_signature(timestamp=stamp, body=body) or ""
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": signature}


def form(payload: dict[str, str]) -> bytes:
    return urlencode(payload).encode()
