"""What the core needs from storage, as Protocols: the core never sees SQL or a connection."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from bot.models import (
    Added,
    Announcement,
    Author,
    CardRef,
    Cast,
    Counted,
    Credit,
    Cycle,
    Delivery,
    FeaturedIssue,
    FeedEntry,
    FeedState,
    IssueRef,
    LinkFacts,
    Member,
    Rollover,
    Shortlist,
    Suggestion,
    Tally,
    Why,
)


class BallotStore(Protocol):
    async def current_cycle(self, now: datetime) -> Cycle:
        """The open cycle, opening the first one if there is none yet."""

    async def get_cycle(self, cycle_id: int) -> Cycle | None: ...

    async def cycle_closed_by(self, issue_link: str) -> Cycle | None: ...

    async def rollover(self, cycle_id: int, issue: IssueRef | None, now: datetime) -> Rollover:
        """Close `cycle_id` (linking `issue`) and open the next cycle, atomically."""

    async def add_suggestion(
        self,
        cycle_id: int,
        key: str,
        url: str,
        note: str,
        author: Author,
        now: datetime,
        admit: Callable[[LinkFacts], bool],
    ) -> Added:
        """Insert the next-numbered suggestion if no live one has that key and `admit` (the
        ballot's rules) agrees, given the link's facts; read, judged and written in one
        transaction, so concurrent proposals see each other (the limit, one link once)."""

    async def show_url(self, suggestion_id: int, url: str) -> None:
        """Show the suggestion under another form of its link (https rather than http)."""

    async def set_note(self, suggestion_id: int, note: str) -> None: ...

    async def set_page(self, suggestion_id: int, title: str, description: str) -> None:
        """What the suggested page calls itself (see bot/pages.py)."""

    async def suggestion_by_number(self, cycle_id: int, number: int) -> Suggestion | None: ...

    async def featured_issue(self, entry_id: int) -> FeaturedIssue | None: ...

    async def suggestion(self, suggestion_id: int) -> Suggestion | None: ...

    async def withdraw(self, suggestion_id: int, now: datetime) -> None: ...

    async def count(self, cast: Cast, now: datetime) -> Counted:
        """Record a vote (or take one back) on the open cycle's ballot, durably; a voter's vote
        for their own suggestion is not recorded. Concurrent casts may share a transaction."""

    def count_later(
        self, cast: Cast, now: datetime, then: Callable[[tuple[Cast, datetime], Counted], None]
    ) -> None:
        """`count`, without waiting: the cast joins the next transaction, and `then` hears of
        it (with `now`) and what was done, synchronously, so it must not block."""

    async def votes_counted(self) -> None:
        """Until every cast handed to `count_later` so far is recorded."""

    async def replace_votes(
        self, suggestion_id: int, platform: str, voter_ids: Collection[str], now: datetime
    ) -> bool:
        """Make the platform's votes exactly `voter_ids`; True if anything changed."""

    async def tally(self, suggestion_id: int) -> Tally: ...

    async def ranked(self, cycle_id: int, limit: int | None) -> tuple[list[Tally], int]:
        """The top `limit` (or all) live suggestions, most votes first, the earlier among
        equals; and how many live suggestions the cycle has."""

    async def open_card_suggestion(self, card: CardRef) -> Suggestion | None:
        """The live suggestion `card` belongs to, if its cycle is still open."""

    async def has_card(self, suggestion_id: int, platform: str) -> bool: ...

    async def why(self, suggestion_id: int) -> Why:
        """Its votes, the submissions merged into it, and the reactions that did not count."""


class CardStore(Protocol):
    """Where each suggestion's cards were posted."""

    async def start_card(self, suggestion_id: int, platform: str, channel_id: str) -> None:
        """A card is about to be posted: remembered until `card_posted` or `card_not_posted`."""

    async def card_posted(self, suggestion_id: int, channel_id: str, card: CardRef) -> None:
        """Record the card and, in the same transaction, that its post is done."""

    async def card_not_posted(self, suggestion_id: int, platform: str, channel_id: str) -> None: ...

    async def unfinished_cards(self, cycle_id: int, platform: str) -> list[tuple[str, Suggestion]]:
        """(channel, suggestion) of every post on `platform` begun and never recorded (a crash
        came between), for the live suggestions of that cycle; the others are forgotten."""

    async def cards_of(self, suggestion_id: int) -> list[CardRef]: ...

    async def cycle_cards(self, cycle_id: int, platform: str) -> list[tuple[CardRef, Suggestion]]:
        """Every card on `platform` whose suggestion is live in that cycle."""

    async def stale_cards(self, platform: str) -> list[CardRef]:
        """Cards that show another suggestion than theirs (it was merged into this one)."""

    async def mark_fresh(self, card: CardRef) -> None: ...


class BotState(Protocol):
    """Small facts the bot remembers about itself between runs."""

    async def recall(self, name: str) -> str | None: ...

    async def remember(self, name: str, value: str) -> None: ...


class RequestLedger(Protocol):
    """Requests already answered, remembered across restarts and standbys."""

    async def first_time(self, key: str, now: datetime, keep: timedelta) -> bool:
        """Record `key`; False if it was recorded less than `keep` ago."""


class FeedStore(Protocol):
    async def feed(self, source: str) -> FeedState | None: ...

    async def add_feed(self, source: str) -> FeedState: ...

    async def save_fetch(
        self,
        feed_id: int,
        *,
        fetch_url: str,
        title: str,
        etag: str | None,
        last_modified: str | None,
        body_sha256: str | None,
        now: datetime,
    ) -> None:
        """A successful fetch with a new body: remember its validators; clear any failures."""

    async def clear_failures(self, feed_id: int, now: datetime) -> None: ...

    async def record_failure(self, feed_id: int, error: str, now: datetime) -> FeedState: ...

    async def mark_alerted(self, feed_id: int) -> None: ...

    async def set_disabled(self, feed_id: int, disabled_at: datetime | None) -> None: ...

    async def known_identities(self, feed_id: int) -> dict[tuple[str, str], int]:
        """Every identity seen in the feed, with the id of the entry it names."""

    async def remember_identities(
        self, feed_id: int, seen: Sequence[tuple[int, FeedEntry]]
    ) -> None:
        """Pairs of (entry id, identities): an edited title or link still names the same issue."""

    async def record_entry(
        self,
        feed_id: int,
        entry: FeedEntry,
        *,
        announced: bool,
        targets: Collection[tuple[str, str]],
        now: datetime,
    ) -> int:
        """Store a newly seen entry; if announced, owe it to each (platform, channel) target."""

    async def credits(self, entry_ids: Sequence[int]) -> list[Credit]:
        """For each issue (newest first) that closed a cycle: who suggested, in that cycle, the
        links it carried, in the order of their suggestions."""

    async def recent_entries(self, limit: int) -> list[int]:
        """The newest issues that closed a cycle, newest first."""

    async def unrolled_entries(self) -> list[Announcement]:
        """Announced entries whose cycle rollover has not been done yet."""

    async def mark_rolled(self, entry_id: int) -> None: ...

    async def pending_deliveries(self, since: datetime) -> list[Delivery]: ...

    async def start_delivery(
        self, entry_id: int, platform: str, channel_id: str, now: datetime
    ) -> None:
        """Mark the delivery in flight (durably) before the platform is asked to post it."""

    async def mark_delivered(
        self, entry_id: int, platform: str, channel_id: str, message_id: str, now: datetime
    ) -> bool:
        """False if it had already been marked delivered."""

    async def mark_delivery_failed(
        self, entry_id: int, platform: str, channel_id: str, error: str, *, refused: bool = False
    ) -> None:
        """`refused`: the platform answered with an error, so the post is no longer in flight."""


class AnnouncementPlatform(Protocol):
    """A front end that posts new issues and tells curators about feed trouble."""

    # How long after a post started it may still land (0: the platform refuses a repeat).
    settles: timedelta

    name: str

    def announce_channels(self) -> Sequence[str]: ...

    def is_ready(self) -> bool:
        """Whether the platform can post right now (always, for the console)."""

    async def wait_until_ready(self) -> None: ...

    async def announce(self, channel_id: str, announcement: Announcement, key: str) -> str:
        """Post the announcement, tagged with `key`; return the message's id. Raise to have it
        retried: `PostRefused` when the platform answered with an error (nothing was posted)."""

    async def find_announcement(
        self, channel_id: str, announcement: Announcement, key: str, since: datetime
    ) -> str | None:
        """The id of the announcement if it was already posted (before a crash), else None:
        every message posted in the channel `since` is looked at, page by page."""

    async def alert_curators(self, message: str) -> None: ...


class CardPlatform(Protocol):
    """How one platform shows cards: the messages members vote on with a reaction."""

    name: str
    place: str  # how a member there hears of it: "this server", "Slack"
    bulk_edit_seconds: float  # between edits of many cards at once (closing a cycle)

    async def post_card(self, channel_id: str, tally: Tally, key: str) -> CardRef:
        """Post a card (with the vote reaction as its button), marked with `key` where the
        platform keeps it; raise `CardRefused` if refused."""

    async def find_card(
        self, channel_id: str, tally: Tally, key: str, since: datetime
    ) -> CardRef | None:
        """The card for this suggestion (marked with `key`) among the channel's messages
        posted `since`: one posted just before a crash."""

    async def edit_card(self, card: CardRef, tally: Tally, *, closed: bool) -> None: ...

    async def card_link(self, card: CardRef) -> str: ...

    async def reactors(self, card: CardRef) -> list[Member]:
        """Everyone who reacted with the vote reaction, bots included; `CardGone` if deleted."""

    async def delete_card(self, card: CardRef) -> None:
        """Remove the card (its suggestion was withdrawn); one already gone is fine."""


class DigestPlatform(Protocol):
    """A front end that posts the weekly digest in its suggestions channel."""

    name: str

    async def post_digest(self, standings: Shortlist) -> None: ...


class FrontEnd(AnnouncementPlatform, DigestPlatform, Protocol):
    """A platform adapter the composition root runs alongside the others."""

    async def run(self) -> None:
        """Serve until stopped (or, for the console, until its input ends)."""

    async def stop(self) -> None:
        """Finish in-flight work and make `run` return."""
