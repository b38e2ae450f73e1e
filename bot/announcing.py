"""Delivering announced issues: roll the ballot over, then post each issue in every channel owed.

Work is done in a restart-safe order: an issue is recorded with the channels it is owed to before
anything is posted (by the watcher), the rollover and each delivery are marked done once done, and
whatever is left undone is picked up on the next delivery. A platform that is not connected never
holds anything up: its deliveries wait in the background, once per platform, until it is ready.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import replace
from datetime import datetime, timedelta

from bot.ballot import Ballot
from bot.clock import Clock, utcnow
from bot.errors import PostRefused, require_curator
from bot.models import Credit, Delivery, IssueRef, Member
from bot.ports import AnnouncementPlatform, FeedStore

log = logging.getLogger(__name__)

DELIVERY_RETRY_WINDOW = timedelta(days=3)  # after that an old issue is no longer news
# A post is given POST_SECONDS. One found in flight (its process stopped, or lost the lead) is
# looked for at once; not found, it is posted again only after its platform's `settles` (a
# platform without a way to refuse a repeat may still accept the first post until then).
POST_SECONDS = 30.0


class Announcer:
    """Posts announcements on every platform and tells curators about feed trouble."""

    def __init__(
        self,
        store: FeedStore,
        ballot: Ballot,
        *,
        clock: Clock = utcnow,
        still_leading: Callable[[], Awaitable[bool]] | None = None,
    ) -> None:
        self._store = store
        self._ballot = ballot
        self._clock = clock
        # Asked right before each rollover and post: a standby that took over in the meantime
        # is the one to make them (the bot's lock's `confirm`, storage.lock.BotLock).
        self._still_leading = still_leading
        self._platforms: dict[str, AnnouncementPlatform] = {}
        self._lock = asyncio.Lock()  # one delivery round at a time: nothing is posted twice
        self._waiting: dict[str, asyncio.Task[None]] = {}
        self._again: asyncio.Task[None] | None = None

    def add_platform(self, platform: AnnouncementPlatform) -> None:
        self._platforms[platform.name] = platform

    def targets(self) -> list[tuple[str, str]]:
        """Every (platform, channel) a new issue is announced in."""
        return [
            (platform.name, channel)
            for platform in self._platforms.values()
            for channel in platform.announce_channels()
        ]

    async def credits(self, member: Member, limit: int = 6) -> list[Credit]:
        """Curators: who got links into the newest issues (`/shortlist credits`)."""
        require_curator(member)
        return await self._store.credits(await self._store.recent_entries(limit))

    async def owed(self) -> list[Delivery]:
        """Deliveries not made yet, within the retry window."""
        return await self._store.pending_deliveries(self._clock() - DELIVERY_RETRY_WINDOW)

    async def deliver(self) -> None:
        """Roll the ballot over for announced issues, then post what is owed to ready platforms."""
        async with self._lock:
            await self._roll_over()
            deliveries = await self.owed()
            if not deliveries:
                return
            cycle = await self._ballot.current_cycle()
            entries = sorted({delivery.announcement.entry_id for delivery in deliveries})
            credits = {
                credit.entry_id: credit.names for credit in await self._store.credits(entries)
            }
            for delivery in self._ready(deliveries):
                announcement = replace(
                    delivery.announcement,
                    next_cycle=cycle.id,
                    credits=credits.get(delivery.announcement.entry_id, ()),
                )
                await self._post(replace(delivery, announcement=announcement))

    async def _roll_over(self) -> None:
        """Close the ballot once for what was announced: several issues at once close one cycle,
        linked to the newest (recorded last), never a run of empty ones."""
        announced = await self._store.unrolled_entries()
        if not announced or not await self._leading():
            return
        newest = announced[-1]
        await self._ballot.rollover_for_issue(IssueRef(newest.title, newest.link))
        for announcement in announced:
            await self._store.mark_rolled(announcement.entry_id)

    def _ready(self, deliveries: Iterable[Delivery]) -> list[Delivery]:
        """The deliveries whose platform can post now; the others wait for it in the background."""
        ready = []
        for delivery in deliveries:
            platform = self._platforms.get(delivery.platform)
            if platform is None:
                continue  # not configured in this run: owed until it is, or the window ends
            if platform.is_ready():
                ready.append(delivery)
            else:
                self._wait_for(platform)
        return ready

    def _wait_for(self, platform: AnnouncementPlatform) -> None:
        waiting = self._waiting.get(platform.name)
        if waiting is not None and not waiting.done():
            return
        log.info("%s is not connected yet; its announcements go out once it is", platform.name)
        self._waiting[platform.name] = asyncio.create_task(
            self._deliver_when_ready(platform), name=f"announce when {platform.name} is ready"
        )

    async def _deliver_when_ready(self, platform: AnnouncementPlatform) -> None:
        await platform.wait_until_ready()
        try:
            await self.deliver()
        except Exception:
            log.exception("Delivering announcements to %s failed", platform.name)

    async def _post(self, delivery: Delivery) -> None:
        """Post once: marked in flight first. One found in flight is looked for first, and
        posted again only once its platform says a late acceptance can no longer land."""
        announcement = delivery.announcement
        platform = self._platforms[delivery.platform]
        where = (announcement.entry_id, delivery.platform, delivery.channel_id)
        if not await self._leading():
            return
        try:
            message_id = None
            if delivery.started_at is not None:
                message_id = await platform.find_announcement(
                    delivery.channel_id, announcement, delivery.key, delivery.started_at
                )
                settled = delivery.started_at + platform.settles
                if message_id is None and self._clock() < settled:
                    self._look_again_at(settled)  # it may still land: not posted again yet
                    return
                if message_id is not None:
                    log.info(
                        "Found %r already posted in %s channel %s (before a restart)",
                        announcement.title,
                        delivery.platform,
                        delivery.channel_id,
                    )
            else:
                await self._store.start_delivery(*where, self._clock())
            if message_id is None:
                async with asyncio.timeout(POST_SECONDS):
                    message_id = await platform.announce(
                        delivery.channel_id, announcement, delivery.key
                    )
        except Exception as error:
            # Once per new problem: a channel the bot may not post in fails every time.
            refused = isinstance(error, PostRefused)
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
            await self._store.mark_delivery_failed(*where, str(error), refused=refused)
            return
        await self._store.mark_delivered(*where, message_id, self._clock())
        log.info("Announced %r in %s channel %s", announcement.title, *where[1:])

    async def _leading(self) -> bool:
        if self._still_leading is None or await self._still_leading():
            return True
        log.warning("Not announcing: another Shortlist is the active one on the database now")
        return False

    def _look_again_at(self, when: datetime) -> None:
        """Deliver again once a post in flight (another process's, before a restart or a
        take-over) has settled: found then, or posted."""
        if self._again is not None and not self._again.done():
            return
        delay = max((when - self._clock()).total_seconds(), 0.0)
        log.info("An announcement is in flight; looking for it in %.0f s", delay)
        self._again = asyncio.create_task(self._deliver_after(delay), name="announce again")

    async def _deliver_after(self, delay: float) -> None:
        await asyncio.sleep(delay)
        try:
            await self.deliver()
        except Exception:
            log.exception("Delivering announcements failed")

    async def alert_curators(self, message: str) -> None:
        for platform in self._platforms.values():
            try:
                await platform.alert_curators(message)
            except Exception:
                log.exception("Could not alert the curators on %s", platform.name)

    async def stop(self) -> None:
        """Stop waiting for platforms that never connected, or for a post in flight."""
        waiting = [*self._waiting.values(), *([self._again] if self._again else [])]
        for task in waiting:
            task.cancel()
        await asyncio.gather(*waiting, return_exceptions=True)
