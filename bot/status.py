"""What curators see of a feed (`/feed status`): what is stored, and this run's schedule."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.models import Delivery, FeedState


@dataclass(frozen=True, slots=True)
class FeedStatus:
    source: str
    fetch_url: str
    title: str
    last_check: datetime | None
    last_success: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    failures: int
    next_check: datetime | None
    entries: int
    disabled: bool
    undelivered: tuple[str, ...]  # "platform channel: last error" for announcements still owed

    @classmethod
    def of(
        cls,
        source: str,
        feed: FeedState | None,
        *,
        last_check: datetime | None,
        last_success: datetime | None,
        next_check: datetime,
        owed: list[Delivery],
    ) -> FeedStatus:
        """What curators see of a feed: what is stored, and this run's schedule."""
        disabled = feed is not None and feed.disabled_at is not None
        successes = [moment for moment in (last_success, feed and feed.last_success_at) if moment]
        return cls(
            source=source,
            fetch_url=feed.fetch_url if feed else source,
            title=feed.title if feed else "",
            last_check=last_check,
            last_success=max(successes, default=None),
            last_error=feed.last_error if feed else None,
            last_error_at=feed.last_error_at if feed else None,
            failures=feed.failures if feed else 0,
            next_check=None if disabled else next_check,
            entries=feed.entries if feed else 0,
            disabled=disabled,
            undelivered=tuple(
                f"{d.platform} {d.channel_id}: {d.last_error or 'not sent yet'}" for d in owed
            ),
        )
