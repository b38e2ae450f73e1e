"""Votes and suggestions committed in groups, tallies kept by triggers, the full shortlist from
memory: each must give exactly what one-at-a-time writes and a fresh read would."""

from __future__ import annotations

import asyncio

import pytest

from bot.app import App
from bot.ballot import Ballot
from bot.errors import SuggestionLimitReached
from bot.models import CardRef, Member
from bot.vote_rules import judge
from storage import SqlBallotStore, SqlCardStore
from tests.conftest import react

CURATOR = Member("chat", "cur", "Cur", is_curator=True)


def reader(n: int) -> Member:
    return Member("chat", f"r{n}", f"Reader {n}")


async def consistent(app: App) -> None:
    """Every maintained count equals a count of the votes themselves."""
    off = await app.database.fetch_all(
        "SELECT s.id FROM suggestions s"
        " WHERE s.votes != (SELECT COUNT(*) FROM votes v WHERE v.suggestion_id = s.id)"
        " UNION SELECT t.suggestion_id FROM tallies t WHERE t.votes != (SELECT COUNT(*)"
        "  FROM votes v WHERE v.suggestion_id = t.suggestion_id AND v.platform = t.platform)"
    )
    assert off == []


async def test_members_suggesting_at_once_get_one_suggestion_per_link(ballot: Ballot) -> None:
    links = [f"https://example.com/{n % 7}?utm_source=x{n}" for n in range(40)]
    results = await asyncio.gather(
        *(
            ballot.suggest(Member("chat", f"m{n}", f"M{n}", is_curator=True), link)
            for n, link in enumerate(links)
        ),
        return_exceptions=True,
    )
    created = [r for r in results if not isinstance(r, BaseException) and r.is_new]
    assert len(created) == 7
    assert sorted(r.suggestion.number for r in created) == list(range(1, 8))
    refused = [r for r in results if isinstance(r, BaseException)]
    assert len(refused) == 33  # the same link again: "already on the ballot"


async def test_a_member_suggesting_many_links_at_once_gets_the_limit(ballot: Ballot) -> None:
    """The limit (3 here) is judged in the transaction that adds: links sent at once all read
    "0 made" beforehand, yet only the first three are added."""
    member = Member("chat", "eager", "Eager")
    results = await asyncio.gather(
        *(ballot.suggest(member, f"https://example.com/{n}") for n in range(8)),
        return_exceptions=True,
    )
    added = [r.suggestion.url for r in results if not isinstance(r, BaseException)]
    assert added == [f"https://example.com/{n}" for n in range(3)]
    assert all(isinstance(r, SuggestionLimitReached) for r in results[3:])
    assert "made 3 suggestions" in str(results[3])
    assert len((await ballot.shortlist(CURATOR)).ranked) == 3


async def test_a_burst_of_votes_counts_each_member_once(
    app: App, ballot: Ballot, card_store: SqlCardStore
) -> None:
    author = Member("chat", "author", "Author")
    suggestion = (await ballot.suggest(author, "https://example.com/a")).suggestion
    card = CardRef("chat", "c", "m")
    await card_store.card_posted(suggestion.id, card.channel_id, card)
    outcomes = await asyncio.gather(*(react(ballot, card, reader(n % 30)) for n in range(90)))
    assert [o.changed for o in outcomes].count(True) == 30  # the other 60 were counted already
    removals = await asyncio.gather(*(react(ballot, card, reader(n), add=False) for n in range(40)))
    assert [o.changed for o in removals].count(True) == 30
    assert (await ballot.tally(suggestion)).votes == 0
    assert (await react(ballot, card, author)).own
    await consistent(app)


async def test_the_full_shortlist_from_memory_matches_a_fresh_read(
    app: App, ballot: Ballot, card_store: SqlCardStore
) -> None:
    cards = []
    for n in range(30):
        made = await ballot.suggest(Member("chat", f"a{n}", f"A{n}"), f"http://example.com/{n}")
        cards.append(CardRef("chat", "c", f"card{n}"))
        await card_store.card_posted(made.suggestion.id, cards[-1].channel_id, cards[-1])
    await ballot.shortlist(CURATOR)  # the mirror is read now
    votes = [react(ballot, cards[n % 30], reader(n)) for n in range(200)]
    await asyncio.gather(asyncio.gather(*votes), ballot.shortlist(CURATOR))  # read as votes land
    withdrawn = (await ballot.shortlist(CURATOR)).ranked[3].suggestion
    await ballot.withdraw(withdrawn, "a test")
    with pytest.raises(Exception, match="already on the ballot"):
        await ballot.suggest(CURATOR, "https://example.com/5")  # shown as https from now on
    from_memory = await ballot.shortlist(CURATOR)
    fresh = await SqlBallotStore(app.database, judge).ranked(from_memory.cycle.id, 100)  # from SQL
    assert [
        (t.suggestion.id, t.suggestion.url, dict(t.by_platform)) for t in from_memory.ranked
    ] == [(t.suggestion.id, t.suggestion.url, dict(t.by_platform)) for t in fresh[0]]
    assert from_memory.total == fresh[1] == 29
    assert any(t.suggestion.url == "https://example.com/5" for t in from_memory.ranked)
    await consistent(app)
