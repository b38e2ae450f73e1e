"""What the core's services share: the clock, the curator check, and telling listeners."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime
from typing import TypeVar

from bot.errors import NotCurator
from bot.models import Member

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
Event = TypeVar("Event")


def utcnow() -> datetime:
    return datetime.now(UTC)


def require_curator(member: Member) -> None:
    if not member.is_curator:
        raise NotCurator("Only curators can do that.")


async def notify(listeners: Iterable[Callable[[Event], Awaitable[None]]], event: Event) -> None:
    """A failing listener (a card edit, say) must not undo or hide the change it heard of."""
    for listener in listeners:
        try:
            await listener(event)
        except Exception:
            log.exception("Listener %r failed on %r", listener, event)
