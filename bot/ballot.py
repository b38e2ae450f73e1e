"""The ballot: suggestions, votes, cycles and the shortlist, the same on every front end."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import replace
from functools import partial

from bot.clock import Clock, utcnow
from bot.errors import (
    AlreadyFeatured,
    DuplicateSuggestion,
    SelfVote,
    SuggestionLimitReached,
    UnknownCycle,
    UnknownSuggestion,
    require_curator,
)
from bot.listeners import notify
from bot.models import (
    Author,
    CardRef,
    Cast,
    Cycle,
    IssueRef,
    LinkFacts,
    Member,
    Rollover,
    Shortlist,
    Suggested,
    Suggestion,
    Tally,
    Verdict,
    VoteChange,
    VoteOutcome,
    Why,
)
from bot.notes import clean_note
from bot.ports import BallotStore
from bot.reactions import ReactionVotes
from bot.text import SELF_VOTE, already_featured, plural
from bot.urls import Link, parse_link
from bot.vote_rules import judge

log = logging.getLogger(__name__)


TallyListener = Callable[[Tally], Awaitable[None]]
RolloverListener = Callable[[Rollover], Awaitable[None]]
SuggestionListener = Callable[[Suggestion], Awaitable[None]]


class Ballot:
    """Applies the ballot's rules; storage keeps the state, front ends render the results.

    Listeners hear about every changed tally (to refresh cards) and every rollover; they
    should schedule slow work rather than do it inline.
    """

    def __init__(
        self, store: BallotStore, *, suggestions_per_member: int, clock: Clock = utcnow
    ) -> None:
        self._store = store
        self._limit = suggestions_per_member
        self._clock = clock
        self._tally_listeners: list[TallyListener] = []
        self._rollover_listeners: list[RolloverListener] = []
        self._suggestion_listeners: list[SuggestionListener] = []
        self._open: Cycle | None = None
        self.reactions = ReactionVotes(store, self._tally_changed, clock)

    def on_tally_changed(self, listener: TallyListener) -> None:
        self._tally_listeners.append(listener)

    def on_rollover(self, listener: RolloverListener) -> None:
        self._rollover_listeners.append(listener)

    def on_suggestion(self, listener: SuggestionListener) -> None:
        """Hear of every new suggestion (to fetch its page's title, say)."""
        self._suggestion_listeners.append(listener)

    async def current_cycle(self) -> Cycle:
        """The open cycle (the ballot for the next issue), opening the first one if need be.

        Kept in memory: only this ballot opens and closes cycles (one bot per database).
        """
        if self._open is None:
            self._open = await self._store.current_cycle(self._clock())
        return self._open

    async def suggest(
        self, member: Member, raw_url: str, note: str = "", *, anyway: bool = False
    ) -> Suggested:
        """Put a link on the open cycle's ballot.

        A link already on the ballot is refused, unless it came from another platform and this
        one has no card for it yet: then it comes back with `is_new=False` so the front end can
        post this platform's card for the same suggestion. A link an issue already featured is
        refused too, unless a curator adds it `anyway`.
        """
        link = parse_link(raw_url)
        note = clean_note(note)
        cycle = await self.current_cycle()
        author = Author(member.platform, member.id, member.name)
        admit = partial(self._admits, member, anyway=anyway)
        added = await self._store.add_suggestion(
            cycle.id, link.key, link.url, note, author, self._clock(), admit
        )
        if added.suggestion is None:
            raise await self._refusal(added.facts, member)
        if not added.created:
            return await self._existing(member, await self._shown_securely(added.suggestion, link))
        suggestion = added.suggestion
        log.info(
            "Suggestion #%d %s by %s:%s", suggestion.number, link.url, member.platform, member.id
        )
        await notify(self._suggestion_listeners, suggestion)
        earlier = added.facts.earlier and await self._store.suggestion(added.facts.earlier)
        before = await self._store.tally(earlier.id) if earlier else None
        return Suggested(suggestion, is_new=True, before=before)

    def _admits(self, member: Member, facts: LinkFacts, *, anyway: bool) -> bool:
        """The rules for a new link: one no issue featured (a curator may add it `anyway`), and
        at most the limit per member (curators have none)."""
        if facts.featured_in is not None and not (anyway and member.is_curator):
            return False
        return member.is_curator or facts.made < self._limit

    async def _refusal(self, facts: LinkFacts, member: Member) -> Exception:
        """What to tell `member` when `_admits` said no."""
        if facts.featured_in is not None:  # (a curator adding it anyway is never refused)
            issue = await self._store.featured_issue(facts.featured_in)
            return AlreadyFeatured(already_featured(issue, curator=member.is_curator))
        return SuggestionLimitReached(
            f"You've made {plural(facts.made, 'suggestion')} for the next issue (withdrawn ones "
            "count too), the most one member can make. Votes for others are always welcome."
        )

    async def _shown_securely(self, suggestion: Suggestion, link: Link) -> Suggestion:
        """A link first suggested over http is shown as https once anyone gives that form."""
        if link.secure and not suggestion.url.startswith("https:"):
            await self._store.show_url(suggestion.id, link.url)
            return replace(suggestion, url=link.url)
        return suggestion

    async def _existing(self, member: Member, suggestion: Suggestion) -> Suggested:
        if member.platform != suggestion.author.platform and not await self._store.has_card(
            suggestion.id, member.platform
        ):
            return Suggested(suggestion, is_new=False)
        who = "you" if suggestion.author.is_member(member) else suggestion.author.name
        raise DuplicateSuggestion(
            f"That link is already on the ballot as #{suggestion.number}, suggested by {who}. "
            "A vote for it is the way to support it.",
            suggestion,
        )

    async def vote(self, member: Member, number: int) -> VoteOutcome:
        return await self._cast_on(member, await self.suggestion(number), add=True)

    async def unvote(self, member: Member, number: int) -> VoteOutcome:
        return await self._cast_on(member, await self.suggestion(number), add=False)

    async def reconcile_card(self, card: CardRef, reactors: Iterable[Member]) -> Tally | None:
        """Make the card's platform votes match who reacted, e.g. after the bot was down."""
        suggestion = await self._store.open_card_suggestion(card)
        if suggestion is None:
            return None
        casts = [
            Cast(card.platform, reactor.id, True, card=card, bot=reactor.is_bot)
            for reactor in reactors
            if reactor.platform == card.platform
        ]
        voters = {cast.voter_id for cast in casts if judge(cast, suggestion) is Verdict.COUNTS}
        for other in (cast for cast in casts if cast.voter_id not in voters):
            await self._store.count(other, self._clock())  # noted, never counted
        changed = await self._store.replace_votes(
            suggestion.id, card.platform, voters, self._clock()
        )
        tally = await self._store.tally(suggestion.id)
        if changed:
            await self._tally_changed(tally)
        return tally

    async def suggestion_on_card(self, card: CardRef) -> Suggestion | None:
        """The open cycle's live suggestion that `card` shows, if any."""
        return await self._store.open_card_suggestion(card)

    async def withdraw(self, suggestion: Suggestion, why: str) -> None:
        """Take a suggestion off the ballot (its card was deleted or could not be posted)."""
        await self._store.withdraw(suggestion.id, self._clock())
        log.info("Suggestion #%d withdrawn: %s", suggestion.number, why)

    async def edit_note(self, suggestion: Suggestion, note: str) -> Suggestion:
        """Give the suggestion a new note (checked like any note); its cards follow."""
        note = clean_note(note)
        await self._store.set_note(suggestion.id, note)
        await self._tally_changed(await self._store.tally(suggestion.id))
        return replace(suggestion, note=note)

    async def set_page(self, suggestion: Suggestion, title: str, description: str) -> None:
        """What the suggested page calls itself, once fetched; its cards follow."""
        await self._store.set_page(suggestion.id, title, description)
        await self._tally_changed(await self._store.tally(suggestion.id))

    async def tally(self, suggestion: Suggestion) -> Tally:
        return await self._store.tally(suggestion.id)

    async def shortlist(
        self, member: Member, *, limit: int | None = None, cycle_id: int | None = None
    ) -> Shortlist:
        require_curator(member)
        if cycle_id is None:
            cycle = await self.current_cycle()
        else:
            found = await self._store.get_cycle(cycle_id)
            if found is None:
                raise UnknownCycle(f"There is no cycle {cycle_id}.")
            cycle = found
        return await self._ranked(cycle, None if limit is None else max(limit, 0))

    async def why(self, member: Member, number: int, cycle_id: int | None = None) -> Why:
        """Curators: how suggestion #`number` (open cycle, or `cycle_id`) came to its count."""
        require_curator(member)
        return await self._store.why((await self.suggestion(number, cycle_id)).id)

    async def standings(self, limit: int) -> Shortlist:
        """The open cycle's top `limit`, for everyone to see (the weekly digest)."""
        return await self._ranked(await self.current_cycle(), limit)

    async def _ranked(self, cycle: Cycle, limit: int | None) -> Shortlist:
        ranked, total = await self._store.ranked(cycle.id, limit)
        return Shortlist(cycle, tuple(ranked), total)

    async def close_cycle(self, member: Member) -> Rollover:
        """Close the open cycle: what was closed, with how many suggestions it had."""
        require_curator(member)
        _, total = await self._store.ranked((await self.current_cycle()).id, 0)
        return replace(await self.rollover(), suggestions=total)

    async def rollover_for_issue(self, issue: IssueRef) -> Rollover | None:
        """Close the ballot for a published issue, once: None if that issue already closed one."""
        if issue.link and await self._store.cycle_closed_by(issue.link) is not None:
            return None
        return await self.rollover(issue)

    async def rollover(self, issue: IssueRef | None = None) -> Rollover:
        """Freeze the open ballot (for `issue`, when one was published) and open the next."""
        cycle = await self.current_cycle()
        self._open = None  # whatever happens, read it again next time
        result = await self._store.rollover(cycle.id, issue, self._clock())
        self._open = result.opened
        log.info("Cycle %d closed, cycle %d open", result.closed.id, result.opened.id)
        await notify(self._rollover_listeners, result)
        return result

    async def suggestion(self, number: int, cycle_id: int | None = None) -> Suggestion:
        """Suggestion #`number` of the open cycle (or of `cycle_id`); `UnknownSuggestion` if
        there is none."""
        where = "for the next issue" if cycle_id is None else f"in cycle {cycle_id}"
        if cycle_id is None:
            cycle_id = (await self.current_cycle()).id
        suggestion = await self._store.suggestion_by_number(cycle_id, number)
        if suggestion is None:
            raise UnknownSuggestion(f"There's no suggestion #{number} {where}.")
        return suggestion

    async def _cast_on(self, member: Member, suggestion: Suggestion, *, add: bool) -> VoteOutcome:
        if member.is_bot:
            return VoteOutcome(VoteChange.IGNORED, await self._store.tally(suggestion.id))
        outcome = await self._cast(
            member, Cast(member.platform, member.id, add, suggestion_id=suggestion.id)
        )
        if outcome is None:  # the cycle closed meanwhile
            raise UnknownSuggestion(f"There's no suggestion #{suggestion.number} any more.")
        return outcome

    async def _cast(self, member: Member, cast: Cast) -> VoteOutcome | None:
        """Bots never count; nobody can vote for their own suggestion. (Both are noted, with
        votes cast after a cycle closed, for `why`.)"""
        counted = await self.reactions.cast(cast._replace(bot=member.is_bot))  # the one way in
        if counted.tally is None or member.is_bot:
            return None
        if counted.own:
            raise SelfVote(SELF_VOTE)
        if cast.add:
            change = VoteChange.ADDED if counted.changed else VoteChange.ALREADY_COUNTED
        else:
            change = VoteChange.REMOVED if counted.changed else VoteChange.NOT_PRESENT
        return VoteOutcome(change, counted.tally)  # the intake tells the cards

    async def _tally_changed(self, tally: Tally) -> None:
        await notify(self._tally_listeners, tally)
