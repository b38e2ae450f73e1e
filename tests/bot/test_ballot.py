"""The ballot's rules on the real SQLite store."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import Tuning, built
from bot.ballot import Ballot
from bot.errors import (
    DuplicateSuggestion,
    InvalidLink,
    InvalidNote,
    NotCurator,
    SelfVote,
    SuggestionLimitReached,
    UnknownCycle,
    UnknownSuggestion,
)
from bot.models import CardRef, IssueRef, Member, Rollover, Tally, VoteChange
from bot.settings import Settings
from storage import SqlCardStore
from tests.conftest import react

ALICE = Member("console", "alice", "Alice")
BOB = Member("console", "bob", "Bob")
CAROL = Member("console", "carol", "Carol")
CURATOR = Member("console", "cur", "Cur", is_curator=True)
ROBOT = Member("console", "robot", "Robot", is_bot=True)


async def test_suggestions_are_numbered_within_their_cycle(ballot: Ballot) -> None:
    first = await ballot.suggest(ALICE, "example.com/a", "  worth a read ")
    second = await ballot.suggest(BOB, "https://example.com/b")
    assert (first.suggestion.number, second.suggestion.number) == (1, 2)
    assert first.is_new
    assert first.suggestion.note == "worth a read"
    assert first.suggestion.url == "https://example.com/a"

    await ballot.close_cycle(CURATOR)
    third = await ballot.suggest(ALICE, "example.com/a")
    assert third.suggestion.number == 1
    assert third.suggestion.cycle_id == first.suggestion.cycle_id + 1


async def test_same_article_is_one_suggestion_and_names_its_submitter(ballot: Ballot) -> None:
    await ballot.suggest(ALICE, "https://www.example.com/a/?utm_source=x")
    with pytest.raises(DuplicateSuggestion) as duplicate:
        await ballot.suggest(BOB, "https://example.com:443/a#top")
    assert duplicate.value.suggestion.number == 1
    assert "#1" in duplicate.value.message
    assert "Alice" in duplicate.value.message
    assert "vote" in duplicate.value.message
    shortlist = await ballot.shortlist(CURATOR)
    assert shortlist.total == 1


async def test_http_and_https_are_one_suggestion_shown_as_https(ballot: Ballot) -> None:
    first = await ballot.suggest(ALICE, "http://example.com/a?b=2&a=1&mc_cid=x")
    assert first.suggestion.url == "http://example.com/a?a=1&b=2"
    with pytest.raises(DuplicateSuggestion) as duplicate:
        await ballot.suggest(BOB, "https://example.com/a?a=1&b=2")
    assert duplicate.value.suggestion.url == "https://example.com/a?a=1&b=2"
    [entry] = (await ballot.shortlist(CURATOR)).ranked
    assert entry.suggestion.url == "https://example.com/a?a=1&b=2"


async def test_public_ipv6_links_and_emoji_notes_are_welcome(ballot: Ballot) -> None:
    result = await ballot.suggest(ALICE, "https://[2606:4700:4700::1111]/dns", "by 👩\u200d💻")
    assert result.suggestion.url == "https://[2606:4700:4700::1111]/dns"
    assert result.suggestion.note == "by 👩\u200d💻"


@pytest.mark.parametrize(
    ("url", "note", "error"),
    [
        ("ftp://example.com", "", InvalidLink),
        ("http://localhost", "", InvalidLink),
        ("https://example.com/a", "x" * 281, InvalidNote),
        ("https://example.com/a", "line\nbreak", InvalidNote),
        ("https://example.com/a", "line\u2028break", InvalidNote),
        ("https://example.com/a", "evil \u202ecod.exe", InvalidNote),
        ("https://example.com/a", "isolated \u2066text\u2069", InvalidNote),
        ("https://example.com/a", "zero\u200bwidth", InvalidNote),
        ("https://example.com/a", "a\u200db", InvalidNote),
        ("https://example.com/a", "bad byte \udcff", InvalidNote),
        ("https://example.com/\ud800", "", InvalidLink),
        ("https://[::1]/", "", InvalidLink),
    ],
)
async def test_refusals_store_nothing(
    ballot: Ballot, url: str, note: str, error: type[Exception]
) -> None:
    with pytest.raises(error):
        await ballot.suggest(ALICE, url, note)
    assert (await ballot.shortlist(CURATOR)).total == 0


async def test_a_note_of_exactly_280_characters_is_fine(ballot: Ballot) -> None:
    result = await ballot.suggest(ALICE, "https://example.com/a", "x" * 280)
    assert len(result.suggestion.note) == 280


async def test_members_have_a_per_cycle_limit_but_curators_do_not(ballot: Ballot) -> None:
    for n in range(3):
        await ballot.suggest(ALICE, f"https://example.com/{n}")
    with pytest.raises(SuggestionLimitReached) as refused:
        await ballot.suggest(ALICE, "https://example.com/3")
    assert "3 suggestions" in refused.value.message
    for n in range(5):
        await ballot.suggest(CURATOR, f"https://example.org/{n}")
    assert (await ballot.shortlist(CURATOR)).total == 8

    await ballot.close_cycle(CURATOR)
    await ballot.suggest(ALICE, "https://example.com/3")  # a new cycle, a new allowance


async def test_one_vote_per_member_whatever_the_repetition(ballot: Ballot) -> None:
    await ballot.suggest(ALICE, "https://example.com/a")
    assert (await ballot.vote(BOB, 1)).change is VoteChange.ADDED
    again = await ballot.vote(BOB, 1)
    assert again.change is VoteChange.ALREADY_COUNTED
    assert again.tally.votes == 1
    assert (await ballot.vote(CAROL, 1)).tally.votes == 2

    removed = await ballot.unvote(BOB, 1)
    assert (removed.change, removed.tally.votes) == (VoteChange.REMOVED, 1)
    absent = await ballot.unvote(BOB, 1)
    assert (absent.change, absent.tally.votes) == (VoteChange.NOT_PRESENT, 1)


async def test_self_votes_are_refused_and_bots_never_count(ballot: Ballot) -> None:
    await ballot.suggest(ALICE, "https://example.com/a")
    with pytest.raises(SelfVote):
        await ballot.vote(ALICE, 1)
    ignored = await ballot.vote(ROBOT, 1)
    assert (ignored.change, ignored.tally.votes) == (VoteChange.IGNORED, 0)


async def test_voting_for_an_unknown_number_says_so(ballot: Ballot) -> None:
    with pytest.raises(UnknownSuggestion, match="#4"):
        await ballot.vote(BOB, 4)


async def test_shortlist_ranks_by_votes_then_earlier_suggestion(ballot: Ballot) -> None:
    for n, member in enumerate([ALICE, BOB, CAROL], start=1):
        await ballot.suggest(member, f"https://example.com/{n}", f"note {n}")
    await ballot.vote(ALICE, 3)
    await ballot.vote(BOB, 3)
    await ballot.vote(CAROL, 2)
    await ballot.vote(ALICE, 2)
    await ballot.vote(BOB, 1)

    shortlist = await ballot.shortlist(CURATOR)
    order = [(t.suggestion.number, t.votes) for t in shortlist.ranked]
    assert order == [(2, 2), (3, 2), (1, 1)]
    assert shortlist.cycle.is_open

    top = await ballot.shortlist(CURATOR, limit=1)
    assert [t.suggestion.number for t in top.ranked] == [2]
    assert top.total == 3


async def test_shortlist_and_close_are_for_curators(ballot: Ballot) -> None:
    with pytest.raises(NotCurator):
        await ballot.shortlist(ALICE)
    with pytest.raises(NotCurator):
        await ballot.close_cycle(ALICE)
    assert (await ballot.current_cycle()).id == 1


async def test_a_closed_cycle_is_frozen_but_can_be_shown(
    ballot: Ballot, card_store: SqlCardStore
) -> None:
    await ballot.suggest(ALICE, "https://example.com/a")
    await ballot.vote(BOB, 1)
    card = CardRef("discord", "10", "20")
    suggestion = (await ballot.shortlist(CURATOR)).ranked[0].suggestion
    await card_store.card_posted(suggestion.id, card.channel_id, card)

    rollover = await ballot.close_cycle(CURATOR)
    assert rollover.closed.id == 1
    assert not rollover.closed.is_open
    assert rollover.opened.id == 2

    assert (await react(ballot, card, CAROL)).tally is None
    assert (await react(ballot, card, BOB, add=False)).tally is None
    with pytest.raises(UnknownSuggestion):  # numbers refer to the open cycle
        await ballot.vote(CAROL, 1)

    past = await ballot.shortlist(CURATOR, cycle_id=1)
    assert [(t.suggestion.url, t.votes) for t in past.ranked] == [("https://example.com/a", 1)]
    with pytest.raises(UnknownCycle):
        await ballot.shortlist(CURATOR, cycle_id=9)


async def test_rollover_for_a_published_issue_links_it(ballot: Ballot) -> None:
    heard: list[Rollover] = []

    async def listener(rollover: Rollover) -> None:
        heard.append(rollover)

    ballot.on_rollover(listener)
    issue = IssueRef("ML Monthly #12", "https://news.example.com/12")
    rollover = await ballot.rollover(issue)
    assert rollover.closed.issue == issue
    assert heard == [rollover]
    assert (await ballot.shortlist(CURATOR, cycle_id=1)).cycle.issue == issue


async def test_card_votes_across_platforms_are_summed(
    ballot: Ballot, card_store: SqlCardStore
) -> None:
    discord_author = Member("discord", "1", "Dee")
    slack_member = Member("slack", "U1", "Sam")
    first = await ballot.suggest(discord_author, "https://example.com/a")
    discord_card = CardRef("discord", "10", "20")
    await card_store.card_posted(first.suggestion.id, discord_card.channel_id, discord_card)

    second = await ballot.suggest(slack_member, "example.com/a/")
    assert not second.is_new
    assert second.suggestion.id == first.suggestion.id
    slack_card = CardRef("slack", "C1", "1700000000.000100")
    await card_store.card_posted(second.suggestion.id, slack_card.channel_id, slack_card)
    with pytest.raises(DuplicateSuggestion):  # now Slack has its card
        await ballot.suggest(Member("slack", "U2", "Una"), "https://example.com/a")

    await react(ballot, discord_card, Member("discord", "2", "Dan"))
    outcome = await react(ballot, slack_card, slack_member)
    assert outcome.tally is not None
    assert outcome.tally.votes == 2
    assert dict(outcome.tally.by_platform) == {"discord": 1, "slack": 1}
    assert (await react(ballot, CardRef("slack", "C1", "other"), slack_member)).tally is None


async def test_tally_listeners_hear_changes_only(ballot: Ballot) -> None:
    heard: list[Tally] = []

    async def listener(tally: Tally) -> None:
        heard.append(tally)

    ballot.on_tally_changed(listener)
    await ballot.suggest(ALICE, "https://example.com/a")
    await ballot.vote(BOB, 1)
    await ballot.vote(BOB, 1)
    await ballot.unvote(CAROL, 1)
    assert [t.votes for t in heard] == [1]


async def test_a_failing_listener_does_not_lose_the_vote(ballot: Ballot) -> None:
    async def broken(tally: Tally) -> None:
        raise RuntimeError("card edit failed")

    ballot.on_tally_changed(broken)
    await ballot.suggest(ALICE, "https://example.com/a")
    assert (await ballot.vote(BOB, 1)).tally.votes == 1


async def test_reconcile_brings_votes_in_line_with_reactions(
    ballot: Ballot, card_store: SqlCardStore
) -> None:
    author = Member("discord", "1", "Dee")
    result = await ballot.suggest(author, "https://example.com/a")
    card = CardRef("discord", "10", "20")
    await card_store.card_posted(result.suggestion.id, card.channel_id, card)
    await react(ballot, card, Member("discord", "2", "Dan"))
    await react(ballot, card, Member("discord", "3", "Eve"))

    reactors = [
        Member("discord", "3", "Eve"),
        Member("discord", "4", "Fay"),
        author,  # a self-vote left on the card
        Member("discord", "99", "Shortlist", is_bot=True),
    ]
    tally = await ballot.reconcile_card(card, reactors)
    assert tally is not None
    assert tally.votes == 2  # Dan's removal and Fay's addition, made while the bot was down
    assert (await ballot.reconcile_card(card, reactors)) == tally


async def test_everything_survives_a_restart(tmp_path: Path) -> None:
    settings = Settings(link_previews=False, database_path=tmp_path / "bot.sqlite3")
    async with built(settings, tuning=Tuning()) as app:
        await app.ballot.suggest(ALICE, "https://example.com/a", "first")
        await app.ballot.vote(BOB, 1)
        await app.ballot.close_cycle(CURATOR)
        await app.ballot.suggest(ALICE, "https://example.com/b")

    async with built(settings, tuning=Tuning()) as app:
        ballot = app.ballot
        assert (await ballot.current_cycle()).id == 2
        past = await ballot.shortlist(CURATOR, cycle_id=1)
        assert [(t.suggestion.note, t.votes) for t in past.ranked] == [("first", 1)]
        assert (await ballot.shortlist(CURATOR)).total == 1


async def test_a_closed_cycle_card_is_not_reconciled(
    ballot: Ballot, card_store: SqlCardStore
) -> None:
    result = await ballot.suggest(ALICE, "https://example.com/a")
    card = CardRef("discord", "c", "m")
    await card_store.card_posted(result.suggestion.id, card.channel_id, card)
    await ballot.close_cycle(CURATOR)
    assert await ballot.reconcile_card(card, [BOB]) is None
    assert (await ballot.shortlist(CURATOR, cycle_id=1)).ranked[0].votes == 0
