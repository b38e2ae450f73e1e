"""The newsletter's vocabulary as dataclasses: storage returns them, front ends render them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import NamedTuple


@dataclass(frozen=True, slots=True)
class Member:
    """Someone acting on a platform; the front end decides whether they are a curator."""

    platform: str
    id: str
    name: str
    is_curator: bool = False
    is_bot: bool = False


@dataclass(frozen=True, slots=True)
class Author:
    """Who made a suggestion, as stored."""

    platform: str
    id: str
    name: str

    def is_member(self, member: Member) -> bool:
        return self.platform == member.platform and self.id == member.id


@dataclass(frozen=True, slots=True)
class IssueRef:
    """The newsletter issue whose publication closed a cycle."""

    title: str
    link: str


@dataclass(frozen=True, slots=True)
class Cycle:
    """The ballot for one upcoming issue; `id` doubles as its public number."""

    id: int
    opened_at: datetime
    closed_at: datetime | None = None
    issue: IssueRef | None = None

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


@dataclass(frozen=True, slots=True)
class Suggestion:
    id: int
    cycle_id: int
    number: int
    url: str
    note: str
    author: Author
    created_at: datetime
    title: str = ""  # the page's own title, once fetched ("": not known)
    description: str = ""

    @property
    def label(self) -> str:
        """What to call it: the page's title, else its link."""
        return self.title or self.url


class LinkFacts(NamedTuple):
    """What /suggest needs to know about a link, read for everyone suggesting at once."""

    live: Suggestion | None  # the open cycle's suggestion of it
    made: int  # how many suggestions the author has made in the open cycle
    featured_in: int | None = None  # the newest issue (feed entry) that carried it
    earlier: int | None = None  # the latest earlier cycle's suggestion of it


class Added(NamedTuple):
    """What storage did with a proposed suggestion."""

    facts: LinkFacts  # as the ballot's rules judged them
    suggestion: Suggestion | None  # the new one, or the live one with the link; None: refused
    created: bool


@dataclass(frozen=True, slots=True)
class Why:
    """Why a suggestion stands where it does (`/shortlist why <n>`)."""

    tally: Tally
    merged: tuple[Suggestion, ...]  # submissions of the same link merged into it
    uncounted: tuple[tuple[str, str, int], ...]  # (reason, platform, how many) that did not count


@dataclass(frozen=True, slots=True)
class Credit:
    """The members whose suggestions made it into one issue."""

    entry_id: int
    issue: str
    link: str
    published: datetime | None
    names: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class FeaturedIssue:
    """An issue of the newsletter that carried a link."""

    title: str
    link: str
    published: datetime | None


class CardRef(NamedTuple):
    """Where a suggestion's card was posted on a platform: votes are reactions on it. (A named
    tuple, like `Cast`: every reaction makes one, and batches of them are hashed.)"""

    platform: str
    channel_id: str
    message_id: str


@dataclass(frozen=True, slots=True)
class Tally:
    """A suggestion with its votes, in total and per platform."""

    suggestion: Suggestion
    by_platform: Mapping[str, int] = field(default_factory=dict)

    @property
    def votes(self) -> int:
        return sum(self.by_platform.values())


@dataclass(frozen=True, slots=True)
class Shortlist:
    """A cycle's suggestions ranked by votes, earlier suggestions first among equals."""

    cycle: Cycle
    ranked: tuple[Tally, ...]
    total: int  # suggestions in the cycle, before any limit


@dataclass(frozen=True, slots=True)
class Suggested:
    """What `/suggest` gave: a new suggestion, or one from another platform needing a card here."""

    suggestion: Suggestion
    is_new: bool
    before: Tally | None = None  # the same link, suggested in an earlier cycle (never featured)


class VoteChange(Enum):
    ADDED = "added"
    ALREADY_COUNTED = "already counted"
    REMOVED = "removed"
    NOT_PRESENT = "not present"
    IGNORED = "ignored"  # bot accounts never count


class Cast(NamedTuple):
    """A vote to record or take back: on a card (its open-cycle suggestion) or a suggestion.
    (A named tuple: thousands are made a second in a burst of reactions.)"""

    platform: str
    voter_id: str
    add: bool
    card: CardRef | None = None
    suggestion_id: int | None = None
    bot: bool = False  # never counted; noted as a vote that did not count


class Verdict(Enum):
    """Whether a cast counts (`bot.vote_rules.judge`); the others are noted, never counted."""

    COUNTS = "counts"
    LATE = "late"  # not live in the open cycle: closed, or withdrawn (storage tells which)
    BOT = "bot"
    SELF = "self"


class Counted(NamedTuple):
    """What storage did with a cast."""

    tally: Tally | None  # None: the card or suggestion isn't live in the open cycle
    changed: bool
    own: bool = False  # the voter made the suggestion: nothing was recorded


@dataclass(frozen=True, slots=True)
class VoteOutcome:
    change: VoteChange
    tally: Tally


@dataclass(frozen=True, slots=True)
class Rollover:
    """A closed cycle and the one opened in its place."""

    closed: Cycle
    opened: Cycle
    suggestions: int = 0  # on the closed cycle's ballot (a curator's close says how many)


@dataclass(frozen=True, slots=True)
class FeedState:
    """What the bot remembers about one configured feed."""

    id: int
    source: str  # as configured in FEED_URLS
    fetch_url: str  # where it is fetched now, after permanent redirects
    title: str = ""
    etag: str | None = None
    last_modified: str | None = None
    body_sha256: str | None = None
    last_success_at: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    failures: int = 0
    alerted: bool = False
    disabled_at: datetime | None = None
    entries: int = 0


@dataclass(frozen=True, slots=True)
class Announcement:
    """A newly published newsletter issue, ready for a front end to render."""

    entry_id: int
    feed_source: str
    feed_title: str
    title: str
    link: str
    published: datetime | None
    summary: str
    next_cycle: int | None = None  # the cycle now open for suggestions
    credits: tuple[str, ...] = ()  # who suggested the links of the ballot it closed that it carried


@dataclass(frozen=True, slots=True)
class Delivery:
    """An announcement still owed to one channel."""

    announcement: Announcement
    platform: str
    channel_id: str
    last_error: str | None = None
    started_at: datetime | None = None  # a post was started: it may have gone out before a crash

    @property
    def key(self) -> str:
        """Names this announcement on the platforms (Discord's nonce, Slack's metadata)."""
        return f"shortlist-issue-{self.announcement.entry_id}"


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """One newsletter issue as the feed describes it, in plain text.

    `identities` are every way it can be recognised again (its key, its canonical link, its
    normalised title), computed by the feed rules when it is parsed.
    """

    key: str
    title: str
    link: str
    published: datetime | None
    summary: str
    identities: tuple[tuple[str, str], ...] = ()
    featured: tuple[tuple[str, str], ...] = ()  # (link, key) of each link the issue carried


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    title: str
    entries: tuple[FeedEntry, ...]  # newest first


@dataclass(frozen=True, slots=True)
class PollResult:
    source: str
    summary: str  # one sentence for curators
    announced: tuple[Announcement, ...] = ()
    error: str | None = None
