"""Waiting in tests for what happens in the background, the one way the suite does it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable


async def eventually(
    condition: Callable[[], object],
    within: float = 20.0,
    *,
    what: str = "the condition",
    context: Callable[[], str] | None = None,
) -> None:
    """Until `condition()` is true (polled every 20 ms); after `within` seconds, fail saying
    `what` did not happen, with `context()` (a process's log, say) to see why."""
    try:
        async with asyncio.timeout(within):
            while not condition():  # noqa: ASYNC110 - a fake's state has no event to wait on
                await asyncio.sleep(0.02)
    except TimeoutError:
        detail = f"\n{context()}" if context is not None else ""
        raise AssertionError(f"{what}: not within {within} s.{detail}") from None
