"""Who a Slack user is, in the core's terms: name, bot or not, curator or not (cached lookups)."""

from __future__ import annotations

import asyncio
import logging
import time

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.models import Member
from bot.settings import SlackSettings
from cogs.slack_app.blocks import PLATFORM

log = logging.getLogger(__name__)

USERGROUP_CACHE_SECONDS = 300.0
NAME_CACHE_SECONDS = 3600.0  # a renamed member shows under the new name within the hour


def slack_error(error: SlackApiError) -> str:
    """Slack's error code, or the HTTP status when the answer wasn't Slack's JSON."""
    data = error.response.data
    if isinstance(data, dict) and data.get("error"):
        return str(data["error"])
    return f"HTTP {error.response.status_code}"


class Members:
    """Slack users as members of the community: their names, whether they are bots, and whether
    they are curators (listed users, or members of the curators' user group)."""

    def __init__(self, settings: SlackSettings) -> None:
        self._curator_ids = frozenset(settings.curator_user_ids)
        self._usergroup = settings.curator_usergroup_id
        self._group: tuple[float, frozenset[str]] = (float("-inf"), frozenset())
        # user -> (when looked up, the lookup): one users.info per user however many of their
        # reactions arrive at once.
        self._users: dict[str, tuple[float, asyncio.Future[tuple[str, bool]]]] = {}
        self.bot_user_id: str | None = None

    async def is_curator(self, client: AsyncWebClient, user_id: str) -> bool:
        """A member of the curators' user group is confirmed live, every time: one removed from
        the group loses a curator's powers at once. A "no" may be a few minutes old (someone
        just added waits for the cache), which never grants anything."""
        if user_id in self._curator_ids:
            return True
        if self._usergroup is None:
            return False
        fetched_at, members = self._group
        if user_id in members or time.monotonic() - fetched_at > USERGROUP_CACHE_SECONDS:
            try:
                response = await client.usergroups_users_list(usergroup=self._usergroup)
            except SlackApiError as error:  # unconfirmed: no curator's powers this time
                log.warning("usergroups.users.list failed: %s", slack_error(error))
                return False
            members = frozenset(response.get("users") or [])
            self._group = (time.monotonic(), members)
        return user_id in members

    async def who(self, client: AsyncWebClient, user_id: str) -> tuple[str, bool]:
        """(display name, is a bot)."""
        cached = self._users.get(user_id)
        now = time.monotonic()
        if cached is not None and now - cached[0] < NAME_CACHE_SECONDS:
            lookup = cached[1]
            if lookup.done():
                return lookup.result()
        else:
            lookup = asyncio.ensure_future(self._look_up(client, user_id))
            self._users[user_id] = (now, lookup)
        return await asyncio.shield(lookup)

    async def _look_up(self, client: AsyncWebClient, user_id: str) -> tuple[str, bool]:
        try:
            user = (await client.users_info(user=user_id))["user"]
        except SlackApiError as error:
            log.warning("users.info for %s failed: %s", user_id, slack_error(error))
            self._users.pop(user_id, None)  # asked again next time
            return user_id, False
        profile = user.get("profile") or {}
        name = profile.get("display_name") or user.get("real_name") or user.get("name", user_id)
        return name, bool(user.get("is_bot")) or user_id == "USLACKBOT"

    async def member(self, client: AsyncWebClient, user_id: str, *, curator_check: bool) -> Member:
        name, is_bot = await self.who(client, user_id)
        curator = curator_check and await self.is_curator(client, user_id)
        return Member(PLATFORM, user_id, name, is_curator=curator, is_bot=is_bot)
