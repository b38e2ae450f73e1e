"""discord.py fed raw gateway payloads through its own parser table, as a busy gateway would
deliver them; and each vote's latency to durable, from what the ballot itself reports."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any

import discord

from bot.app import App
from bot.models import Tally
from tests.fake_discord import TOKEN, guild_create, member, reaction, ready


def reaction_payloads(
    count: int, cards: list[str], seed: int = 5, first: int = 10_000
) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    voters = [member(first + n, f"reader{n}") for n in range(max(count // 20, 50))]
    payloads = []
    for _ in range(count):
        voter = rng.choice(voters)
        payloads.append(reaction(voter, int(voter["user"]["id"]), rng.choice(cards)))
    return payloads


async def discord_bot(api_base: str, app_client: discord.Client) -> None:
    await app_client.login(TOKEN)
    app_client._connection.parsers["READY"](ready())
    app_client._connection.parsers["GUILD_CREATE"](guild_create())
    await asyncio.wait_for(app_client.wait_until_ready(), 10)


async def feed(
    client: discord.Client,
    payloads: list[dict[str, Any]],
    finished: Callable[[], Awaitable[bool]],
    fed: list[float] | None = None,
) -> float:
    """Seconds from the first payload parsed until `finished()` says all were handled (nothing
    instrumented); `fed`, if given, gets the moment each payload went in."""
    parse = client._connection.parsers["MESSAGE_REACTION_ADD"]
    clock = time.perf_counter
    started = clock()
    for n, payload in enumerate(payloads, start=1):
        if fed is not None:
            fed.append(clock())
        parse(payload)
        if n % 1000 == 0:  # a gateway delivers frames over time, not all at once
            await asyncio.sleep(0)
    while not await finished():  # noqa: ASYNC110
        await asyncio.sleep(0.002)
    return clock() - started


class DurableClock:
    """Votes durable, from what the ballot itself reports (no query loading the machine
    measured): after a batch of votes commits, each changed suggestion's new tally is announced
    once, so a card's k-th new vote of a run is durable when its tally first shows k more votes
    than before. Also gives each vote's latency, from the moment its payload went in."""

    def __init__(self, app: App) -> None:
        self.latencies: list[float] = []
        self._app = app
        self._fed: list[float] = []
        self._waiting: dict[int, list[tuple[int, int]]] = {}  # suggestion -> (votes, payload)
        app.ballot.on_tally_changed(self._heard)

    async def run(self, bot: discord.Client, payloads: list[dict[str, Any]]) -> float:
        """Seconds from the first payload parsed until every vote they make is durable."""
        rows = await self._app.database.fetch_all(
            "SELECT c.message_id, s.id, s.votes FROM cards c"
            " JOIN suggestions s ON s.id = c.suggestion_id"
        )
        suggestion_of = {row[0]: row[1] for row in rows}
        wanted = {row[1]: row[2] for row in rows}
        seen: set[tuple[str, str]] = set()
        self.latencies, self._fed, self._waiting = [], [], {}
        for index, payload in enumerate(payloads):
            if (payload["message_id"], payload["user_id"]) in seen:
                continue  # a repeated reaction is durable with the first
            seen.add((payload["message_id"], payload["user_id"]))
            suggestion = suggestion_of[payload["message_id"]]
            wanted[suggestion] += 1
            self._waiting.setdefault(suggestion, []).append((wanted[suggestion], index))

        async def all_heard() -> bool:
            return not any(self._waiting.values())

        return await feed(bot, payloads, all_heard, self._fed)

    async def _heard(self, tally: Tally) -> None:
        now = time.perf_counter()
        waiting = self._waiting.get(tally.suggestion.id, [])
        while waiting and waiting[0][0] <= tally.votes:
            self.latencies.append(now - self._fed[waiting.pop(0)[1]])
