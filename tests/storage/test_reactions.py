"""Reactions handed over without waiting (bot.reactions): counted in groups exactly as votes one
at a time would be, each changed tally announced once a batch, self-votes answered on their own
platform, and nothing lost at shutdown."""

from __future__ import annotations

import logging
import random

import pytest

from bot.app import App
from bot.ballot import Ballot
from bot.models import CardRef, Cast, Member, Tally
from storage import SqlCardStore
from tests.storage.test_group_commit import consistent

AUTHOR = Member("chat", "author", "Author")


def vote(voter: str, card: CardRef, *, add: bool = True, bot: bool = False) -> Cast:
    return Cast(card.platform, voter, add, card, bot=bot)


async def _card(ballot: Ballot, card_store: SqlCardStore, n: int = 0) -> tuple[int, CardRef]:
    made = await ballot.suggest(Member("chat", f"author{n}", "Author"), f"https://example.com/{n}")
    card = CardRef("chat", "c", f"card{n}")
    await card_store.card_posted(made.suggestion.id, card.channel_id, card)
    return made.suggestion.id, card


async def test_a_burst_counts_each_member_once_and_announces_each_tally_once_a_batch(
    app: App, ballot: Ballot, card_store: SqlCardStore
) -> None:
    first, card_a = await _card(ballot, card_store, 0)
    second, card_b = await _card(ballot, card_store, 1)
    heard: list[Tally] = []

    async def listener(tally: Tally) -> None:
        heard.append(tally)

    ballot.on_tally_changed(listener)
    for n in range(300):  # one batch: nobody awaits between these
        ballot.reactions.take(vote(f"r{n % 100}", card_b if n < 30 else card_a))
    ballot.reactions.take(vote("author0", card_a))  # their own card: noted, not counted
    ballot.reactions.take(vote("helper", card_a, bot=True))
    ballot.reactions.take(vote("r1", CardRef("chat", "c", "not-a-card")))
    await ballot.reactions.settle()

    assert {t.suggestion.id: t.votes for t in heard} == {first: 100, second: 30}
    assert len(heard) == 2  # one announcement per changed suggestion, not one per vote
    why = await ballot.why(Member("chat", "cur", "Cur", is_curator=True), 1)
    assert set(why.uncounted) == {("self", "chat", 1), ("bot", "chat", 1)}
    await consistent(app)


async def test_the_tallies_a_batch_reports_are_what_the_database_then_holds(
    app: App, ballot: Ballot, card_store: SqlCardStore
) -> None:
    """A batch works its tallies out from what it read and wrote, without reading them again:
    random batches of votes given, taken back and given again, on two platforms' cards, must
    announce exactly what a fresh read then finds."""
    first, card_a = await _card(ballot, card_store, 0)
    elsewhere = CardRef("other", "c", "card-o")  # the same suggestion's card on a second platform
    await card_store.card_posted(first, elsewhere.channel_id, elsewhere)
    second, card_b = await _card(ballot, card_store, 1)
    suggestions = [await ballot.suggestion(1), await ballot.suggestion(2)]
    known = {s.id: dict((await ballot.tally(s)).by_platform) for s in suggestions}
    heard: dict[int, Tally] = {}

    async def listener(tally: Tally) -> None:
        heard[tally.suggestion.id] = tally

    ballot.on_tally_changed(listener)
    rng = random.Random(5)
    for _ in range(25):
        heard.clear()
        for _ in range(rng.randrange(1, 40)):
            card = rng.choice([card_a, elsewhere, card_b])
            ballot.reactions.take(vote(f"v{rng.randrange(8)}", card, add=rng.random() < 0.6))
        await ballot.reactions.settle()
        known |= {n: dict(tally.by_platform) for n, tally in heard.items()}
        assert {s.id: dict((await ballot.tally(s)).by_platform) for s in suggestions} == known
    assert known[first].keys() == {"chat", "other"}  # it was put to the test
    assert known[second]
    await consistent(app)


async def test_votes_already_counted_and_taken_back_in_the_same_batch(
    app: App, ballot: Ballot, card_store: SqlCardStore
) -> None:
    suggestion_id, card = await _card(ballot, card_store)
    for voter in ("ann", "bob"):
        ballot.reactions.take(vote(voter, card))
    await ballot.reactions.settle()

    heard: list[int] = []

    async def listener(tally: Tally) -> None:
        heard.append(tally.votes)

    ballot.on_tally_changed(listener)
    ballot.reactions.take(vote("ann", card))  # counted already: nothing changes
    await ballot.reactions.settle()
    assert heard == []

    ballot.reactions.take(vote("ann", card, add=False))  # taken back,
    ballot.reactions.take(vote("ann", card))  # and given again, in one batch
    ballot.reactions.take(vote("bob", card, add=False))
    ballot.reactions.take(vote("cat", card))
    ballot.reactions.take(vote("cat", card, add=False))  # a new vote gone in the same batch
    await ballot.reactions.settle()
    assert heard == [1]
    rows = await app.database.fetch_all(
        "SELECT voter_id FROM votes WHERE suggestion_id = ? ORDER BY voter_id", (suggestion_id,)
    )
    assert [row[0] for row in rows] == ["ann"]
    await consistent(app)


async def test_a_self_vote_is_answered_on_its_own_platform_and_a_failing_answer_is_logged(
    ballot: Ballot, card_store: SqlCardStore, caplog: pytest.LogCaptureFixture
) -> None:
    _, card = await _card(ballot, card_store)
    answered: list[Cast] = []

    async def answer(cast: Cast) -> None:
        answered.append(cast)
        if len(answered) == 2:
            raise RuntimeError("the platform said no")

    ballot.reactions.answer_self_votes("chat", answer)
    ballot.reactions.take(vote("author0", card))
    ballot.reactions.take(vote("someone", card))
    await ballot.reactions.settle()
    assert [cast.voter_id for cast in answered] == ["author0"]

    with caplog.at_level(logging.ERROR):
        ballot.reactions.take(vote("author0", card))
        await ballot.reactions.settle()
    assert "Could not answer a self-vote" in caplog.text
    assert (await ballot.tally(await ballot.suggestion(1))).votes == 1


async def test_reactions_after_the_cycle_closed_are_noted_as_late(
    ballot: Ballot, card_store: SqlCardStore
) -> None:
    _, card = await _card(ballot, card_store)
    await ballot.rollover()
    ballot.reactions.take(vote("late", card))
    await ballot.reactions.settle()
    why = await ballot.why(Member("chat", "cur", "Cur", is_curator=True), 1, cycle_id=1)
    assert why.uncounted == (("closed", "chat", 1),)
    assert why.tally.votes == 0
