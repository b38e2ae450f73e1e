"""Vote reactions as the platforms report them, counted without a task for each.

A busy server can send reactions faster than the event loop could give each its own task and
its own wait: parsing them is already most of the work. So a front end hands each reaction over
synchronously, as a `Cast`; the store counts it with the next group of votes; what follows is
done in the background, once per batch: each changed suggestion's cards hear of its new tally
once, and a member who reacted to their own card is answered.

Nobody waits for these votes to be durable. A crash loses at most what was handed over and not
yet committed (a few milliseconds' worth); the next start-up's recovery counts it again from the
card's reactions.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from bot.clock import Clock
from bot.models import Cast, Counted, Tally
from bot.ports import BallotStore

log = logging.getLogger(__name__)

SelfVoteAnswer = Callable[[Cast], Awaitable[None]]  # tells a member their own vote didn't count


class ReactionVotes:
    """Vote reactions on cards: a front end's whole part in voting is `take`."""

    def __init__(
        self, store: BallotStore, changed: Callable[[Tally], Awaitable[None]], clock: Clock
    ) -> None:
        self._store = store
        self._changed = changed
        self._clock = clock
        self._answers: dict[str, SelfVoteAnswer] = {}  # platform -> its answer
        self._tallies: dict[int, Tally] = {}  # changed since they were last announced
        self._announcing: asyncio.Task[None] | None = None
        self._answering: set[asyncio.Task[None]] = set()

    def answer_self_votes(self, platform: str, answer: SelfVoteAnswer) -> None:
        """How `platform` tells a member that a reaction on their own card doesn't count."""
        self._answers[platform] = answer

    def take(self, cast: Cast) -> None:
        """The vote emoji added to (`cast.add`) or removed from `cast.card` by `cast.voter_id`
        (`cast.bot`: a bot, noted and never counted). Returns at once."""
        self._store.count_later(cast, self._clock(), self._counted)

    async def cast(self, cast: Cast) -> Counted:
        """`take`, waiting until the cast is counted: the same entrance, for a caller that
        answers the member (the console) or checks the outcome (tests)."""
        now = self._clock()
        counted = await self._store.count(cast, now)
        self._counted((cast, now), counted)
        announcing = self._announcing
        if counted.changed and announcing is not None and not announcing.done():
            await asyncio.shield(announcing)  # its listeners have heard by the time it returns
        return counted

    async def settle(self) -> None:
        """Until every reaction handed over is counted and its consequences are done (at
        shutdown, before the cards' last edits)."""
        await self._store.votes_counted()
        while self._announcing is not None and not self._announcing.done():
            await asyncio.shield(self._announcing)
        if self._answering:
            await asyncio.gather(*self._answering, return_exceptions=True)

    def _counted(self, taken: tuple[Cast, datetime], counted: Counted) -> None:
        """In the writer's task, once per reaction: nothing here may wait."""
        cast = taken[0]
        if counted.tally is None:
            return  # not a card of the open cycle, or a bot's reaction (noted, never counted)
        if counted.own:
            answer = self._answers.get(cast.platform)
            if answer is not None:
                task = asyncio.create_task(self._answer(answer, cast), name="self-vote answer")
                self._answering.add(task)
                task.add_done_callback(self._answering.discard)
            return
        if counted.changed:
            self._tallies[counted.tally.suggestion.id] = counted.tally
            if self._announcing is None or self._announcing.done():
                self._announcing = asyncio.create_task(self._announce(), name="tally changes")

    async def _announce(self) -> None:
        """Each changed tally once (the newest), however many votes changed it."""
        while self._tallies:
            tallies, self._tallies = self._tallies, {}
            for tally in tallies.values():
                await self._changed(tally)

    @staticmethod
    async def _answer(answer: SelfVoteAnswer, cast: Cast) -> None:
        try:
            await answer(cast)
        except Exception:
            log.exception("Could not answer a self-vote")
