"""What the core needs from storage, as Protocols: the core never sees SQL or a connection."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Protocol

from bot.models import Author, CardRef, Cycle, IssueRef, Rollover, Suggestion, Tally


class BallotStore(Protocol):
    async def open_cycle(self, now: datetime) -> Cycle:
        """The open cycle, opening the first one if there is none yet."""

    async def get_cycle(self, cycle_id: int) -> Cycle | None: ...

    async def rollover(self, cycle_id: int, issue: IssueRef | None, now: datetime) -> Rollover:
        """Close `cycle_id` (linking `issue`) and open the next cycle, atomically."""

    async def add_suggestion(
        self, cycle_id: int, url: str, note: str, author: Author, now: datetime
    ) -> tuple[Suggestion, bool]:
        """Insert the next-numbered suggestion, or return the live one with that URL and False."""

    async def suggestion_by_url(self, cycle_id: int, url: str) -> Suggestion | None: ...

    async def suggestion_by_number(self, cycle_id: int, number: int) -> Suggestion | None: ...

    async def count_suggestions_by(self, cycle_id: int, platform: str, author_id: str) -> int: ...

    async def withdraw(self, suggestion_id: int, now: datetime) -> None: ...

    async def add_vote(
        self, suggestion_id: int, platform: str, voter_id: str, now: datetime
    ) -> bool:
        """True if the vote is new."""

    async def remove_vote(self, suggestion_id: int, platform: str, voter_id: str) -> bool:
        """True if there was a vote to remove."""

    async def replace_votes(
        self, suggestion_id: int, platform: str, voter_ids: Collection[str], now: datetime
    ) -> bool:
        """Make the platform's votes exactly `voter_ids`; True if anything changed."""

    async def tally(self, suggestion_id: int) -> Tally: ...

    async def tallies(self, cycle_id: int) -> list[Tally]:
        """The cycle's live suggestions with their votes, in suggestion order."""

    async def add_card(self, suggestion_id: int, card: CardRef) -> None: ...

    async def card_suggestion(self, card: CardRef) -> Suggestion | None: ...

    async def cards_of(self, suggestion_id: int) -> list[CardRef]: ...

    async def has_card(self, suggestion_id: int, platform: str) -> bool: ...

    async def open_cards(self, platform: str) -> list[tuple[CardRef, Suggestion]]:
        """Every card on `platform` whose suggestion is live in the open cycle."""


class FrontEnd(Protocol):
    """A platform adapter the composition root runs alongside the others."""

    name: str

    async def run(self) -> None:
        """Serve until stopped (or, for the console, until its input ends)."""

    async def stop(self) -> None:
        """Finish in-flight work and make `run` return."""
