"""Discovering new newsletter issues: each feed checked on its schedule, fetched politely, parsed
in a worker thread, its new issues recorded with the channels they are owed to; failures back off.

What is new is decided by `bot.new_issues`; posting is `bot.announcing`'s job, done after each
check and outside the poll lock, so a platform that is not connected never holds up `/poll`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.announcing import Announcer
from bot.clock import Clock, utcnow
from bot.errors import UserFacingError, require_curator
from bot.feeds import NotAFeed, parse_feed
from bot.fetching import FeedFetcher, FeedGone, Fetched, FetchError
from bot.models import (
    Announcement,
    FeedEntry,
    FeedState,
    Member,
    ParsedFeed,
    PollResult,
)
from bot.new_issues import plan, sort_entries
from bot.ports import FeedStore
from bot.status import FeedStatus
from bot.text import plural

log = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(hours=6)
STOP_GRACE_SECONDS = 2.0  # how long shutdown waits for a feed check in progress
BUSY_WAIT_SECONDS = 5.0  # how long /poll waits for a scheduled check to finish


@dataclass(slots=True)
class _Schedule:
    next_check: datetime
    last_check: datetime | None = None
    last_success: datetime | None = None


class FeedWatcher:
    """Polls each configured feed on its schedule; `poll_now` is the curators' `/poll`."""

    def __init__(
        self,
        store: FeedStore,
        fetcher: FeedFetcher,
        announcer: Announcer,
        *,
        sources: Sequence[str],
        poll_seconds: float,
        alert_after: int,
        clock: Clock = utcnow,
    ) -> None:
        self._store = store
        self._fetcher = fetcher
        self.announcer = announcer
        self._sources = tuple(dict.fromkeys(sources))
        self._interval = timedelta(seconds=poll_seconds)
        self._alert_after = alert_after
        self._clock = clock
        self._lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self._stopping = False
        self._polling: asyncio.Task[None] | None = None
        now = clock()
        self._schedule = {source: _Schedule(next_check=now) for source in self._sources}

    async def run(self) -> None:
        """Poll due feeds until `stop()`; network faults are logged, never raised."""
        while not self._stopping:
            now = self._clock()
            for source in self._sources:
                if self._stopping:
                    break
                if self._schedule[source].next_check <= now:
                    self._polling = asyncio.create_task(
                        self._poll_safely(source), name=f"poll {source}"
                    )
                    with contextlib.suppress(asyncio.CancelledError):
                        await self._polling
            if not self._stopping:
                await self._wait(self._seconds_until_next())

    async def stop(self) -> None:
        """Give the poll in progress a moment to finish, then abandon it; `run` then returns.

        (A feed that never answers must not hold up shutdown: what a poll had not committed is
        simply done again at the next start.)
        """
        self._stopping = True
        self._wake.set()
        polling = self._polling
        if polling is not None and not polling.done():
            _, pending = await asyncio.wait({polling}, timeout=STOP_GRACE_SECONDS)
            if pending:
                log.warning("Abandoning the feed check in progress to shut down")
                polling.cancel()
                await asyncio.gather(polling, return_exceptions=True)

    async def poll_now(self, member: Member) -> list[PollResult]:
        """Check every feed now, disabled ones too, and report what was found."""
        require_curator(member)
        try:
            await asyncio.wait_for(self._lock.acquire(), BUSY_WAIT_SECONDS)
        except TimeoutError:
            raise UserFacingError(
                "A check of the feeds is already running (a feed is slow to answer); "
                "/feed status shows how it went once it is done."
            ) from None
        try:
            results = [await self._check(source, manual=True) for source in self._sources]
        finally:
            self._lock.release()
        await self.announcer.deliver()  # including work a crash or a failed post left over
        return results

    async def status(self, member: Member) -> list[FeedStatus]:
        require_curator(member)
        pending = await self.announcer.owed()
        statuses = []
        for source in self._sources:
            schedule = self._schedule[source]
            statuses.append(
                FeedStatus.of(
                    source,
                    await self._store.feed(source),
                    last_check=schedule.last_check,
                    last_success=schedule.last_success,
                    next_check=schedule.next_check,
                    owed=[d for d in pending if d.announcement.feed_source == source],
                )
            )
        return statuses

    async def _wait(self, seconds: float) -> None:
        self._wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=max(seconds, 0.0))

    def _seconds_until_next(self) -> float:
        soonest = min((s.next_check for s in self._schedule.values()), default=None)
        if soonest is None:
            return self._interval.total_seconds()
        return (soonest - self._clock()).total_seconds()

    async def _poll_safely(self, source: str) -> None:
        """A scheduled poll: whatever goes wrong is logged and tried again later."""
        try:
            async with self._lock:
                await self._check(source, manual=False)
            await self.announcer.deliver()
        except Exception:
            log.exception("Polling %s failed unexpectedly", source)
            self._schedule[source].next_check = self._clock() + self._interval

    async def _check(self, source: str, *, manual: bool) -> PollResult:
        now = self._clock()
        schedule = self._schedule[source]
        schedule.last_check = now
        feed = await self._store.feed(source) or await self._store.add_feed(source)
        if feed.disabled_at is not None and not manual:
            schedule.next_check = now + MAX_BACKOFF
            return PollResult(source, "disabled; /poll tries it again")
        try:
            fetched = await self._fetcher.fetch(
                feed.fetch_url, etag=feed.etag, last_modified=feed.last_modified
            )
            unchanged = fetched.body is None or fetched.sha256 == feed.body_sha256
            parsed = None if unchanged else await self._parse(feed, fetched)
        except FeedGone as gone:
            return await self._gone(feed, str(gone), now)
        except (FetchError, NotAFeed) as error:
            return await self._failed(feed, str(error), now)

        schedule.last_success = now
        schedule.next_check = now + self._interval
        if feed.failures or feed.disabled_at:
            await self._store.clear_failures(feed.id, now)
            if feed.alerted or feed.disabled_at:
                await self.announcer.alert_curators(f"The feed {source} is working again.")
        if parsed is None:
            if fetched.moved_to and fetched.moved_to != feed.fetch_url:
                await self._save(feed, fetched, feed.title)
            what = "not modified" if fetched.body is None else "unchanged"
            return PollResult(source, f"{what} since the last check")

        result = await self._take_entries(feed, parsed)
        await self._save(feed, fetched, parsed.title)
        return result

    async def _parse(self, feed: FeedState, fetched: Fetched) -> ParsedFeed:
        assert fetched.body is not None
        return await asyncio.to_thread(
            parse_feed, fetched.body, url=feed.fetch_url, content_type=fetched.content_type
        )

    async def _save(self, feed: FeedState, fetched: Fetched, title: str) -> None:
        if fetched.moved_to and fetched.moved_to != feed.fetch_url:
            log.info("Feed %s moved permanently to %s", feed.source, fetched.moved_to)
        await self._store.save_fetch(
            feed.id,
            fetch_url=fetched.moved_to or feed.fetch_url,
            title=title or feed.title,
            etag=fetched.etag,
            last_modified=fetched.last_modified,
            body_sha256=fetched.sha256 or feed.body_sha256,
            now=self._clock(),
        )

    async def _take_entries(self, feed: FeedState, parsed: ParsedFeed) -> PollResult:
        """Record what is new in the feed, owed to every announce channel if it is news."""
        entries = sort_entries(parsed.entries, await self._store.known_identities(feed.id))
        if entries.seen:  # an edited title or link still names the same issue
            await self._store.remember_identities(feed.id, entries.seen)
        decided = plan(entries.new, first_sight=feed.body_sha256 is None)
        if decided.backlog:
            log.warning(
                "Feed %s has %d new entries at once; announcing only the newest. Not announced: %s",
                feed.source,
                len(entries.new),
                "; ".join(entry.title for entry in decided.silent),
            )
        now = self._clock()
        for entry in decided.silent:
            await self._store.record_entry(feed.id, entry, announced=False, targets=(), now=now)
        targets = self.announcer.targets()
        announced = []
        for entry in decided.announce:
            entry_id = await self._store.record_entry(
                feed.id, entry, announced=True, targets=targets, now=now
            )
            log.info("New issue in %s: %s (%s)", feed.source, entry.title, entry.link)
            announced.append(
                _announcement(entry_id, feed.source, parsed.title or feed.title, entry)
            )
        summary = decided.summary
        if announced and not targets:
            summary = (
                f"found {plural(len(announced), 'new issue')}, but no announce channel is "
                "configured, so nothing was posted anywhere"
            )
        return PollResult(feed.source, summary, tuple(announced))

    async def _failed(self, feed: FeedState, error: str, now: datetime) -> PollResult:
        state = await self._store.record_failure(feed.id, error, now)
        delay = min(self._interval * (2 ** min(state.failures, 16)), MAX_BACKOFF)
        self._schedule[feed.source].next_check = now + delay
        log.warning(
            "Feed %s failed (%d in a row; next check in %s): %s",
            feed.source,
            state.failures,
            delay,
            error,
        )
        if state.failures >= self._alert_after and not state.alerted:
            await self.announcer.alert_curators(
                f"The feed {feed.source} has failed {state.failures} checks in a row: {error}. "
                "I'll keep trying; /feed status shows the details."
            )
            await self._store.mark_alerted(feed.id)
        return PollResult(feed.source, f"failed: {error}", error=error)

    async def _gone(self, feed: FeedState, error: str, now: datetime) -> PollResult:
        await self._store.record_failure(feed.id, error, now)
        self._schedule[feed.source].next_check = now + MAX_BACKOFF
        if feed.disabled_at is None:
            await self._store.set_disabled(feed.id, now)
            log.error("Feed %s is gone (HTTP 410); disabled", feed.source)
            await self.announcer.alert_curators(
                f"The feed {feed.source} answered 410 Gone, so I've stopped checking it. "
                "Update FEED_URLS, or run /poll to try it again."
            )
        return PollResult(feed.source, f"failed: {error}", error=error)


def _announcement(entry_id: int, source: str, feed_title: str, entry: FeedEntry) -> Announcement:
    return Announcement(
        entry_id=entry_id,
        feed_source=source,
        feed_title=feed_title,
        title=entry.title,
        link=entry.link,
        published=entry.published,
        summary=entry.summary,
    )
