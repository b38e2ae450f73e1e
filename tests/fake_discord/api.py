"""Discord's REST API, as much of it as Shortlist uses, with enough state to be honest: messages,
reactions, commands, nonces, history pages (https://discord.com/developers/docs/resources/message)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from tests.fake_discord.payloads import (
    APP_ID,
    BOT_USER,
    CHANNEL_ID,
    GUILD_ID,
    message_snowflake,
    snowflake,
    user,
)


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
