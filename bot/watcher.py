"""The feed watcher: announces each new newsletter issue once, everywhere, and rolls the cycle over.

Work is done in a restart-safe order: an issue is recorded (with the channels it is owed to) before
anything is posted, the cycle rollover and each delivery are marked done once done, and whatever is
left undone is picked up on the next poll.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bot.ballot import Ballot, Clock, require_curator, utcnow
from bot.feeds import FeedEntry, NotAFeed, ParsedFeed, parse_feed
from bot.fetching import FeedFetcher, FeedGone, Fetched, FetchError
from bot.models import Announcement, FeedState, IssueRef, Member
from bot.ports import Announcer, FeedStore

log = logging.getLogger(__name__)

BACKLOG_LIMIT = 3  # more new entries than this in one poll: announce only the newest
MAX_BACKOFF = timedelta(hours=6)
DELIVERY_RETRY_WINDOW = timedelta(days=3)  # after that an old issue is no longer news
READY_WAIT_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class PollResult:
    source: str
    summary: str  # one sentence for curators
    announced: tuple[Announcement, ...] = ()
    error: str | None = None


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
        ballot: Ballot,
        fetcher: FeedFetcher,
        *,
        sources: Sequence[str],
        poll_seconds: float,
        alert_after: int,
        clock: Clock = utcnow,
    ) -> None:
        self._store = store
        self._ballot = ballot
        self._fetcher = fetcher
        self._sources = tuple(dict.fromkeys(sources))
        self._interval = timedelta(seconds=poll_seconds)
        self._alert_after = alert_after
        self._clock = clock
        self._announcers: list[Announcer] = []
        self._lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self._stopping = False
        now = clock()
        self._schedule = {source: _Schedule(next_check=now) for source in self._sources}

    @property
    def sources(self) -> tuple[str, ...]:
        return self._sources

    def add_announcer(self, announcer: Announcer) -> None:
        self._announcers.append(announcer)

    async def run(self) -> None:
        """Poll due feeds until `stop()`; network faults are logged, never raised."""
        while not self._stopping:
            now = self._clock()
            for source in self._sources:
                if self._stopping:
                    break
                if self._schedule[source].next_check <= now:
                    async with self._lock:
                        await self._poll_safely(source)
            if not self._stopping:
                await self._wait(self._seconds_until_next())

    async def stop(self) -> None:
        """Let the poll in progress finish; `run` then returns."""
        self._stopping = True
        self._wake.set()
        async with self._lock:
            pass

    async def poll_now(self, member: Member) -> list[PollResult]:
        """Check every feed now, disabled ones too, and report what was found."""
        require_curator(member)
        async with self._lock:
            return [await self._poll(source, manual=True) for source in self._sources]

    async def status(self, member: Member) -> list[FeedStatus]:
        require_curator(member)
        pending = await self._store.pending_deliveries(self._clock() - DELIVERY_RETRY_WINDOW)
        statuses = []
        for source in self._sources:
            feed = await self._store.feed(source)
            schedule = self._schedule[source]
            disabled = feed is not None and feed.disabled_at is not None
            statuses.append(
                FeedStatus(
                    source=source,
                    fetch_url=feed.fetch_url if feed else source,
                    title=feed.title if feed else "",
                    last_check=schedule.last_check,
                    last_success=_latest(
                        schedule.last_success, feed.last_success_at if feed else None
                    ),
                    last_error=feed.last_error if feed else None,
                    last_error_at=feed.last_error_at if feed else None,
                    failures=feed.failures if feed else 0,
                    next_check=None if disabled else schedule.next_check,
                    entries=feed.entries if feed else 0,
                    disabled=disabled,
                    undelivered=tuple(
                        f"{d.platform} {d.channel_id}: {d.last_error or 'not sent yet'}"
                        for d in pending
                        if d.announcement.feed_source == source
                    ),
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
            await self._poll(source, manual=False)
        except Exception:
            log.exception("Polling %s failed unexpectedly", source)
            self._schedule[source].next_check = self._clock() + self._interval

    async def _poll(self, source: str, *, manual: bool) -> PollResult:
        result = await self._check(source, manual=manual)
        await self._finish_announcements()  # including work a crash or a failed post left over
        return result

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
                await self._alert(f"The feed {source} is working again.")
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
        """Record what is new in the feed; decide which of it to announce."""
        first_sight = feed.body_sha256 is None
        new: list[FeedEntry] = []
        seen: list[tuple[int, list[tuple[str, str]]]] = []
        claimed: set[tuple[str, str]] = set()
        for entry in parsed.entries:
            identities = entry.identities()
            known = await self._store.known_entry(feed.id, identities)
            if known is not None:
                seen.append((known, identities))
            elif not claimed.intersection(identities):  # the same issue twice in one feed
                new.append(entry)
                claimed.update(identities)
        if seen:
            await self._store.remember_identities(feed.id, seen)

        now = self._clock()
        if first_sight:
            for entry in reversed(new):
                await self._store.record_entry(feed.id, entry, announced=False, targets=(), now=now)
            return PollResult(
                feed.source,
                f"first check: {len(new)} existing issue{'' if len(new) == 1 else 's'} recorded "
                "without announcing; new issues will be announced from now on",
            )

        backlog = new[1:] if len(new) > BACKLOG_LIMIT else []
        announce = new[:1] if backlog else new
        if backlog:
            log.warning(
                "Feed %s has %d new entries at once; announcing only the newest. Not announced: %s",
                feed.source,
                len(new),
                "; ".join(entry.title for entry in backlog),
            )
        for entry in reversed(backlog):
            await self._store.record_entry(feed.id, entry, announced=False, targets=(), now=now)
        targets = [
            (announcer.name, channel)
            for announcer in self._announcers
            for channel in announcer.announce_channels()
        ]
        announced = []
        for entry in reversed(announce):  # oldest first
            entry_id = await self._store.record_entry(
                feed.id, entry, announced=True, targets=targets, now=now
            )
            log.info("New issue in %s: %s (%s)", feed.source, entry.title, entry.link)
            announced.append(
                _announcement(entry_id, feed.source, parsed.title or feed.title, entry)
            )

        if not new:
            summary = "no new issues"
        elif backlog:
            summary = f"{len(new)} new entries at once: announced the newest, recorded the rest"
        else:
            summary = f"announced {len(announced)} new issue{'' if len(announced) == 1 else 's'}"
        return PollResult(feed.source, summary, tuple(announced))

    async def _finish_announcements(self) -> None:
        """Roll cycles over for announced issues, then post every announcement still owed."""
        for announcement in await self._store.unrolled_entries():
            await self._ballot.rollover_for_issue(IssueRef(announcement.title, announcement.link))
            await self._store.mark_rolled(announcement.entry_id)
        deliveries = await self._store.pending_deliveries(self._clock() - DELIVERY_RETRY_WINDOW)
        if not deliveries:
            return
        cycle = await self._ballot.open_cycle()
        by_name = {announcer.name: announcer for announcer in self._announcers}
        for delivery in deliveries:
            announcer = by_name.get(delivery.platform)
            if announcer is None or not await _ready(announcer):
                continue
            announcement = replace(delivery.announcement, next_cycle=cycle.id)
            try:
                message_id = await announcer.announce(delivery.channel_id, announcement)
            except Exception as error:
                # Once per new problem: a channel the bot may not post in fails every poll.
                repeated = delivery.last_error == str(error)
                log.log(
                    logging.DEBUG if repeated else logging.WARNING,
                    "Could not announce %r in %s channel %s (will retry): %s: %s",
                    announcement.title,
                    delivery.platform,
                    delivery.channel_id,
                    type(error).__name__,
                    error,
                )
                await self._store.mark_delivery_failed(
                    announcement.entry_id, delivery.platform, delivery.channel_id, str(error)
                )
                continue
            await self._store.mark_delivered(
                announcement.entry_id,
                delivery.platform,
                delivery.channel_id,
                message_id,
                self._clock(),
            )

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
            await self._alert(
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
            await self._alert(
                f"The feed {feed.source} answered 410 Gone, so I've stopped checking it. "
                "Update FEED_URLS, or run /poll to try it again."
            )
        return PollResult(feed.source, f"failed: {error}", error=error)

    async def _alert(self, message: str) -> None:
        for announcer in self._announcers:
            try:
                await announcer.alert_curators(message)
            except Exception:
                log.exception("Could not alert the curators on %s", announcer.name)


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


def _latest(*moments: datetime | None) -> datetime | None:
    return max((moment for moment in moments if moment is not None), default=None)


async def _ready(announcer: Announcer) -> bool:
    try:
        await asyncio.wait_for(announcer.wait_until_ready(), READY_WAIT_SECONDS)
    except TimeoutError:
        log.warning(
            "%s is not connected yet; announcements to it wait for the next poll", announcer.name
        )
        return False
    return True
