"""The debounced card refresher, on the real ballot and SQLite store."""

from __future__ import annotations

import asyncio

from bot.ballot import Ballot
from bot.cards import CardRefresher
from bot.models import CardRef, Member, Tally

AUTHOR = Member("chat", "author", "Author")
CURATOR = Member("chat", "cur", "Cur", is_curator=True)
CARD = CardRef("chat", "channel", "message")


async def test_a_burst_becomes_few_edits_ending_on_the_true_count(ballot: Ballot) -> None:
    edits: list[tuple[int, bool]] = []

    async def edit(card: CardRef, tally: Tally, closed: bool) -> None:
        edits.append((tally.votes, closed))

    refresher = CardRefresher(ballot, "chat", edit, interval=0.2)
    suggestion = (await ballot.suggest(AUTHOR, "https://example.com/a")).suggestion
    await ballot.attach_card(suggestion, CARD)
    await ballot.attach_card(suggestion, CardRef("other", "c", "m"))  # another platform's card

    for n in range(30):
        await ballot.vote_on_card(CARD, Member("chat", str(n), f"m{n}"))
    await asyncio.sleep(0.5)
    assert 1 <= len(edits) <= 3
    assert edits[-1] == (30, False)

    await ballot.unvote_on_card(CARD, Member("chat", "0", "m0"))
    await refresher.flush()  # shutdown: the pending edit happens now
    assert edits[-1] == (29, False)


async def test_closing_the_cycle_marks_its_cards(ballot: Ballot) -> None:
    edits: list[tuple[str, bool]] = []

    async def edit(card: CardRef, tally: Tally, closed: bool) -> None:
        edits.append((card.message_id, closed))

    refresher = CardRefresher(ballot, "chat", edit, interval=0.2)
    for n in range(3):
        suggestion = (await ballot.suggest(AUTHOR, f"https://example.com/{n}")).suggestion
        await ballot.attach_card(suggestion, CardRef("chat", "channel", f"card-{n}"))
    await ballot.close_cycle(CURATOR)
    await refresher.flush()
    assert edits == [("card-0", True), ("card-1", True), ("card-2", True)]


async def test_a_failing_edit_is_logged_not_raised(ballot: Ballot) -> None:
    async def edit(card: CardRef, tally: Tally, closed: bool) -> None:
        raise ConnectionError("rate limited")

    refresher = CardRefresher(ballot, "chat", edit, interval=0)
    suggestion = (await ballot.suggest(AUTHOR, "https://example.com/a")).suggestion
    await ballot.attach_card(suggestion, CARD)
    outcome = await ballot.vote_on_card(CARD, Member("chat", "1", "m1"))
    assert outcome is not None
    await refresher.flush()
