"""Discord's gateway payloads and ids as the tests send them, in the shapes Discord's API
documentation gives, with the fields discord.py 2.7 insists on."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

import discord

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
