"""Telling a service's listeners of a change (a tally, a rollover, a new suggestion)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import TypeVar

log = logging.getLogger(__name__)

Event = TypeVar("Event")


async def notify(listeners: Iterable[Callable[[Event], Awaitable[None]]], event: Event) -> None:
    """A failing listener (a card edit, say) must not undo or hide the change it heard of."""
    for listener in listeners:
        try:
            await listener(event)
        except Exception:
            log.exception("Listener %r failed on %r", listener, event)
