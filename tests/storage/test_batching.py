"""Group commit's one mechanism (storage.batching): waiting callers and handed-over items share
batches; a failed batch reaches the first as an exception and is logged for the second."""

from __future__ import annotations

import asyncio
import logging

import pytest

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
