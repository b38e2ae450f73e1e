"""How long a front end waits before trying a platform it could not reach again."""

from __future__ import annotations

import asyncio
import contextlib
import logging

log = logging.getLogger(__name__)

# A blip (DNS down for a moment) is over in seconds; an outage is waited out a minute at a time.
RETRY_SECONDS = (2, 5, 10, 20, 30, 60)


def retry_delay(attempt: int) -> int:
    """2 s, 5, 10, 20, 30, then every minute, for as long as it takes."""
    return RETRY_SECONDS[min(attempt, len(RETRY_SECONDS) - 1)]


async def pause(platform: str, problem: object, attempt: int, stopping: asyncio.Event) -> None:
    """Log why `platform` could not be reached, then wait before the next try (or until stopped)."""
    delay = retry_delay(attempt)
    log.warning("Could not reach %s (%s); retrying in %d s", platform, problem, delay)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stopping.wait(), delay)
