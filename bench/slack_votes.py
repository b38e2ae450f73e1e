"""Slack votes: reaction_added events through the real Bolt app to durable votes, against Bolt
dispatching the same events to an empty listener."""

from __future__ import annotations

import asyncio
import random
import time
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest

from bench.clock import TaskClock
from bench.common import Figure, bench_app
from bench.votes import TUNING, cards_for, until_edited
from bot.models import Member
from bot.settings import SlackSettings
from tests.fake_slack import (
    APP_TOKEN,
    BOT_TOKEN,
    SUGGESTIONS,
    event_payload,
    fake_slack,
    reaction_event,
)


async def _slack_rate(app: AsyncApp, bodies: list[dict[str, Any]]) -> float:
    """Events/s from dispatch until every listener Bolt started has finished."""
    clock = TaskClock(None)
    clock.install()
    try:
        started = time.perf_counter()
        for body in bodies:
            await app.async_dispatch(AsyncBoltRequest(body=body, mode="socket_mode"))
        await clock.drained()
        return len(bodies) / (time.perf_counter() - started)
    finally:
        clock.uninstall()


async def slack_figures(quick: bool, store: str = "sqlite") -> list[Figure]:
    count = 200 if quick else 2_000
    rng = random.Random(9)
    async with fake_slack() as fake:
        users = [f"U0R{n:05d}" for n in range(100)]
        for user in users:
            fake.add_user(user, user.lower())
        settings = SlackSettings(
            bot_token=BOT_TOKEN,
            app_token=APP_TOKEN,
            suggestions_channel_id=SUGGESTIONS,
            api_url=fake.api_url,
        )
        async with bench_app(store, TUNING, slack=settings) as app:
            assert app.slack is not None
            app.slack.members.bot_user_id = "U0SHORTBOT"
            for user in users:
                fake.add_user(f"A{user}", f"author-{user}")
            authors = lambda n: Member("slack", f"AU{n:05d}", f"author{n}")  # noqa: E731
            cards = await cards_for(app, authors, SUGGESTIONS)
            bodies = [
                event_payload(
                    reaction_event(
                        "reaction_added", rng.choice(users), SUGGESTIONS, rng.choice(cards)
                    )
                )
                for _ in range(count)
            ]
            empty = AsyncApp(client=app.slack.client, request_verification_enabled=False)

            @empty.event("reaction_added")
            async def noop() -> None:
                return

            # Both apps warm (auth.test done, every name known, every card's first edit made;
            # later edits wait out the refresh interval): the steady state of a busy ballot.
            warm = [
                event_payload(reaction_event("reaction_added", users[0], SUGGESTIONS, card))
                for card in cards
            ]
            await _slack_rate(empty, warm)
            await _slack_rate(app.slack.app, warm)
            await until_edited(lambda: len(fake.find("chat.update")), len(cards))
            await asyncio.gather(*(app.slack.members.who(app.slack.client, u) for u in users))
            baseline = await _slack_rate(empty, bodies)
            ours = await _slack_rate(app.slack.app, bodies)
            stored = await app.database.fetch_one("SELECT COUNT(*) FROM votes")
            assert stored is not None
            assert stored[0] > 0
            await app.shut_down()
    return [
        Figure(
            "Slack votes: reaction_added through Bolt to durable vote",
            ours,
            "votes/s",
            "≥ 0.5x",
            ours / baseline >= 0.5,
            baseline,
            "Bolt dispatch, empty listener",
        ),
    ]
