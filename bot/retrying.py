"""How long a front end waits before trying a platform it could not reach again."""

from __future__ import annotations

import asyncio
import contextlib
import logging

log = logging.getLogger(__name__)

RETRY_SECONDS = (5, 15, 60, 300)


def retry_delay(attempt: int) -> int:
    """5 s, 15 s, a minute, then every five minutes."""
    return RETRY_SECONDS[min(attempt, len(RETRY_SECONDS) - 1)]


async def pause(platform: str, problem: object, attempt: int, stopping: asyncio.Event) -> None:
    """Log why `platform` could not be reached, then wait before the next try (or until stopped)."""
    delay = retry_delay(attempt)
    log.warning("Could not reach %s (%s); retrying in %d s", platform, problem, delay)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stopping.wait(), delay)
