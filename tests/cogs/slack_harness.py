"""A real SlackFrontEnd (Bolt AsyncApp) on a real SQLite file, talking to a local fake Slack."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import aiohttp

from bot.app import App, build
from bot.settings import Settings, SlackSettings
from cogs.slack_app import SlackFrontEnd
from tests.cogs.discord_harness import TUNING
from tests.fake_slack import (
    ANNOUNCE,
    APP_TOKEN,
    BOT_TOKEN,
    SIGNING_SECRET,
    SUGGESTIONS,
    FakeSlack,
    command_payload,
    event_payload,
    form,
    signed,
)
from tests.waiting import eventually

CURATOR_ID = "U0CORA"


class SlackHarness:
    def __init__(
        self,
        path: Path,
        fake: FakeSlack,
        *,
        socket_mode: bool = False,
        app: App | None = None,
        **settings: Any,
    ) -> None:
        self.path = path
        self.fake = fake
        self.app_given = app
        self.settings = slack_settings(fake, socket_mode=socket_mode, **settings)

    async def start(self) -> None:
        self.app = self.app_given or await build(
            Settings(
                link_previews=False,
                database_path=self.path,
                suggestions_per_member=5,
                slack=self.settings,
            ),
            tuning=TUNING,
        )
        self.ballot = self.app.ballot
        assert self.app.slack is not None
        self.front: SlackFrontEnd = self.app.slack
        self.task = asyncio.create_task(self.front.run())
        ready = asyncio.create_task(self.front.wait_until_ready())
        await asyncio.wait({ready, self.task}, timeout=10, return_when=asyncio.FIRST_COMPLETED)
        if self.task.done():
            ready.cancel()
            if self.app_given is None:
                await self.app.close()
            self.task.result()  # raises what stopped the front end
        assert ready.done(), "Slack never became ready"
        self.session = aiohttp.ClientSession()

    async def stop(self) -> None:
        if self.app_given is None:
            await self.app.shut_down()
        else:
            await self.front.stop()
        await asyncio.wait_for(self.task, 10)
        await self.session.close()
        if self.app_given is None:
            await self.app.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.front.port}/slack/events"

    async def post(self, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
        async with self.session.post(self.url, data=body, headers=headers) as response:
            return response.status, await response.text()

    async def command(self, command: str, text: str, user: str) -> tuple[int, str]:
        body = form(command_payload(self.fake, command, text, user))
        headers = {**signed(body), "Content-Type": "application/x-www-form-urlencoded"}
        return await self.post(body, headers)

    async def event(self, event: dict[str, Any]) -> tuple[int, str]:
        body = json.dumps(event_payload(event)).encode()
        return await self.post(body, {**signed(body), "Content-Type": "application/json"})

    async def reply_to(self, command: str, text: str, user: str) -> dict[str, Any]:
        """Run a slash command and wait for its ephemeral answer on the response_url."""
        before = len(self.fake.responses)
        status, body = await self.command(command, text, user)
        assert (status, body) == (200, "")  # acknowledged first, with nothing to show
        await eventually(lambda: len(self.fake.responses) > before)
        answer = self.fake.responses[-1]
        assert answer["response_type"] == "ephemeral"
        return answer


def slack_settings(fake: FakeSlack, *, socket_mode: bool = False, **settings: Any) -> SlackSettings:
    defaults: dict[str, Any] = {
        "bot_token": BOT_TOKEN,
        "app_token": APP_TOKEN if socket_mode else None,
        "signing_secret": None if socket_mode else SIGNING_SECRET,
        "port": 0,
        "announce_channel_ids": (ANNOUNCE,),
        "suggestions_channel_id": SUGGESTIONS,
        "curator_user_ids": (CURATOR_ID,),
        "api_url": fake.api_url,
    }
    return SlackSettings(**(defaults | settings))
