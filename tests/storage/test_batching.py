"""Group commit's one mechanism (storage.batching): waiting callers and handed-over items share
batches; a failed batch reaches the first as an exception and is logged for the second."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.models import Member
from storage.batching import Batcher


async def test_waiting_and_handed_over_items_share_batches_in_order() -> None:
    batches: list[list[int]] = []
    busy, release = asyncio.Event(), asyncio.Event()

    async def handle(items: list[int]) -> list[int]:
        batches.append(items)
        busy.set()
        await release.wait()
        return [item * 10 for item in items]

    batcher: Batcher[int, int] = Batcher(handle, "test")
    heard: list[tuple[int, int]] = []
    first = asyncio.ensure_future(batcher.submit(1))
    await busy.wait()  # the first batch is under way: what comes now makes the next one
    for item in (2, 3, 4):
        batcher.post(item, lambda item, result: heard.append((item, result)))
    last = asyncio.ensure_future(batcher.submit(5))
    release.set()
    await batcher.drain()
    assert (await first, await last) == (10, 50)
    assert batches == [[1], [2, 3, 4, 5]]
    assert heard == [(2, 20), (3, 30), (4, 40)]


async def test_a_failed_batch_raises_for_the_waiting_and_is_logged_for_the_rest(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def handle(items: list[int]) -> list[int]:
        if 13 in items:
            raise RuntimeError("disk full")
        return items

    batcher: Batcher[int, int] = Batcher(handle, "test writer")
    heard: list[int] = []
    batcher.post(13, lambda item, result: heard.append(result))
    with caplog.at_level(logging.ERROR), pytest.raises(RuntimeError, match="disk full"):
        await batcher.submit(1)
    assert heard == []
    assert "test writer: 1 items handed over were lost" in caplog.text
    assert await batcher.submit(2) == 2  # the writer carries on


async def test_a_batch_that_failed_with_its_connection_is_written_again() -> None:
    """The vote writer's batches are idempotent: one that failed (the server dropped the
    connection) is tried again, and the items handed over are not lost."""
    attempts: list[list[int]] = []

    async def handle(items: list[int]) -> list[int]:
        attempts.append(items)
        if len(attempts) < 3:
            raise ConnectionResetError("the server closed the connection")
        return items

    batcher: Batcher[int, int] = Batcher(handle, "test writer", retry_after=(0.01, 0.01, 0.01))
    heard: list[int] = []
    for item in (1, 2, 3):
        batcher.post(item, lambda item, result: heard.append(result))
    await batcher.drain()
    assert heard == [1, 2, 3]
    assert attempts == [[1, 2, 3]] * 3


async def test_votes_survive_the_server_dropping_connections_mid_burst(postgres_url: str) -> None:
    from bot.app import built
    from bot.models import CardRef, Cast
    from tests.conftest import settings_on
    from tests.storage.test_postgres import terminate_connections

    async with built(settings_on(postgres_url)) as app:
        suggestion = (await app.ballot.suggest(_member(0), "https://example.com/a", "")).suggestion
        card = CardRef("chat", "ideas", "m1")
        await app.database.execute(
            "INSERT INTO cards (platform, channel_id, message_id, suggestion_id)"
            " VALUES ('chat', 'ideas', 'm1', ?)",
            (suggestion.id,),
        )
        for round_ in range(5):
            for n in range(200):
                voter = str(1 + round_ * 200 + n)
                app.ballot.reactions.take(Cast("chat", voter, True, card))
                if n == 100:
                    await asyncio.sleep(0)  # the first batch is under way
                    await terminate_connections(postgres_url)
            await app.ballot.reactions.settle()
        row = await app.database.fetch_one("SELECT COUNT(*) FROM votes")
        assert row is not None
        assert row[0] == 1000


def _member(n: int) -> Member:
    return Member("chat", str(n), f"M{n}")
