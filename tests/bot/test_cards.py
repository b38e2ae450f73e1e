"""The card service on the real ballot and SQLite store, with a platform that records its calls.

The platform here is the edge (Discord and Slack implement the same protocol in cogs/ and are
tested against their fakes); everything behind it is the real core.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

import pytest

from bot.app import App
from bot.ballot import Ballot
from bot.errors import (
    CardGone,
    CardRefused,
    ChannelGone,
    DuplicateSuggestion,
    InvalidNote,
    NotCurator,
    NotYours,
    SuggestionLimitReached,
    UnknownSuggestion,
)
from bot.models import CardRef, Member, Tally
from bot.text import why_text
from tests.conftest import react

AUTHOR = Member("chat", "author", "Author")
CURATOR = Member("chat", "cur", "Cur", is_curator=True)


class RecordingPlatform:
    """Cards on a chat platform: posts, edits and reactions kept in memory."""

    name = "chat"
    place = "the chat"
    bulk_edit_seconds = 0.0

    def __init__(self) -> None:
        self.posted: list[tuple[str, int]] = []  # (channel, votes shown)
        self.edits: list[tuple[str, int, bool]] = []  # (message, votes shown, closed)
        self.reactions: dict[str, list[Member]] = {}
        self.deleted: list[str] = []
        self.vanished: set[str] = set()  # deleted by someone else
        self.vanished_channels: set[str] = set()
        self.keys: dict[str, CardRef] = {}
        self.answering = asyncio.Event()
        self.answering.set()
        self.refusing = False
        self.unreachable = False
        self.dying = False
        self.failing_edits = False

    async def post_card(self, channel_id: str, tally: Tally, key: str) -> CardRef:
        if self.refusing:
            raise CardRefused("I may not post there.")
        if self.unreachable:
            raise ConnectionError("the platform is down")
        await self.answering.wait()
        self.posted.append((channel_id, tally.votes))
        card = CardRef(self.name, channel_id, f"card-{len(self.posted)}")
        self.keys[key] = card
        if self.dying:  # posted, but the bot never hears back
            raise ConnectionResetError("the bot died")
        return card

    async def find_card(
        self, channel_id: str, tally: Tally, key: str, since: datetime
    ) -> CardRef | None:
        return self.keys.get(key)

    async def edit_card(self, card: CardRef, tally: Tally, *, closed: bool) -> None:
        if self.failing_edits:
            raise ConnectionError("rate limited")
        self.edits.append((card.message_id, tally.votes, closed))

    async def card_link(self, card: CardRef) -> str:
        return f"chat://{card.channel_id}/{card.message_id}"

    async def reactors(self, card: CardRef) -> list[Member]:
        if card.channel_id in self.vanished_channels:
            raise ChannelGone(card.channel_id)
        if card.message_id in self.vanished:
            raise CardGone(str(card))
        return self.reactions.get(card.message_id, [])

    async def delete_card(self, card: CardRef) -> None:
        self.deleted.append(card.message_id)


@pytest.fixture
def chat(app: App) -> RecordingPlatform:
    platform = RecordingPlatform()
    app.cards.add_platform(platform)
    return platform


async def _suggest(app: App, member: Member, url: str) -> CardRef:
    reply = await app.cards.suggest(member, url, "", channel_id="ideas")
    message = reply.rsplit("/", 1)[-1]
    return CardRef("chat", "ideas", message)


async def test_a_suggestion_gets_a_card_and_a_reply_with_its_link(
    app: App, chat: RecordingPlatform
) -> None:
    reply = await app.cards.suggest(AUTHOR, "https://example.com/a", "", channel_id="ideas")
    assert reply == "Suggested #1 for the next issue: chat://ideas/card-1"
    assert chat.posted == [("ideas", 0)]
    with pytest.raises(DuplicateSuggestion, match=r"Its card: chat://ideas/card-1$"):
        await app.cards.suggest(CURATOR, "example.com/a", "", channel_id="ideas")


async def test_a_refused_card_withdraws_the_new_suggestion(
    app: App, ballot: Ballot, chat: RecordingPlatform
) -> None:
    chat.refusing = True
    with pytest.raises(CardRefused):
        await app.cards.suggest(AUTHOR, "https://example.com/a", "", channel_id="ideas")
    assert (await ballot.shortlist(CURATOR)).total == 0
    chat.refusing = False
    reply = await app.cards.suggest(AUTHOR, "https://example.com/a", "", channel_id="ideas")
    assert reply.startswith("Suggested #2")


async def test_a_burst_becomes_few_edits_ending_on_the_true_count(
    app: App, ballot: Ballot, chat: RecordingPlatform
) -> None:
    card = await _suggest(app, AUTHOR, "https://example.com/a")
    for n in range(30):
        await react(ballot, card, Member("chat", str(n), f"m{n}"))
    await asyncio.sleep(0.5)
    assert 1 <= len(chat.edits) <= 3
    assert chat.edits[-1] == (card.message_id, 30, False)

    await react(ballot, card, Member("chat", "0", "m0"), add=False)
    await app.cards.flush()  # shutdown: the pending edit happens now
    assert chat.edits[-1] == (card.message_id, 29, False)


async def test_closing_the_cycle_marks_its_cards(
    app: App, ballot: Ballot, chat: RecordingPlatform
) -> None:
    cards = [await _suggest(app, AUTHOR, f"https://example.com/{n}") for n in range(3)]
    await ballot.close_cycle(CURATOR)
    await app.cards.flush()
    assert chat.edits == [(card.message_id, 0, True) for card in cards]


async def test_a_failing_edit_is_logged_not_raised(
    app: App, ballot: Ballot, chat: RecordingPlatform, caplog: pytest.LogCaptureFixture
) -> None:
    card = await _suggest(app, AUTHOR, "https://example.com/a")
    chat.failing_edits = True
    outcome = await react(ballot, card, Member("chat", "1", "m1"))
    assert outcome.changed
    await app.cards.flush()
    assert "Could not refresh the card" in caplog.text


async def test_a_deleted_card_withdraws_its_suggestion_and_frees_the_link(
    app: App, ballot: Ballot, chat: RecordingPlatform
) -> None:
    card = await _suggest(app, AUTHOR, "https://example.com/a")
    withdrawn = await app.cards.card_deleted(card)
    assert withdrawn is not None
    assert withdrawn.number == 1
    assert (await ballot.shortlist(CURATOR)).total == 0
    assert await app.cards.card_deleted(card) is None
    again = await ballot.suggest(Member("chat", "bob", "Bob"), "https://example.com/a")
    assert again.suggestion.number == 2


async def test_recovery_reads_votes_back_and_withdraws_vanished_cards(
    app: App, ballot: Ballot, chat: RecordingPlatform
) -> None:
    kept = await _suggest(app, AUTHOR, "https://example.com/a")
    gone = await _suggest(app, AUTHOR, "https://example.com/b")
    await react(ballot, kept, Member("chat", "dan", "Dan"))
    chat.reactions[kept.message_id] = [  # while the bot was down: Dan left, Eve and Fay came
        Member("chat", "eve", "Eve"),
        Member("chat", "fay", "Fay"),
        AUTHOR,  # a self-vote never counts
        Member("chat", "robot", "Robot", is_bot=True),
    ]
    chat.vanished.add(gone.message_id)
    await app.cards.recover("chat")
    [entry] = (await ballot.shortlist(CURATOR)).ranked
    assert entry.suggestion.url == "https://example.com/a"
    assert dict(entry.by_platform) == {"chat": 2}
    why = await ballot.why(CURATOR, entry.suggestion.number)
    assert why.uncounted == (("bot", "chat", 1), ("self", "chat", 1))  # noted, not counted
    assert await ballot.suggestion_on_card(gone) is None


async def test_a_deleted_channel_alerts_the_curators_and_withdraws_nothing(
    app: App, ballot: Ballot, chat: RecordingPlatform, caplog: pytest.LogCaptureFixture
) -> None:
    first = await _suggest(app, AUTHOR, "https://example.com/a")
    await _suggest(app, AUTHOR, "https://example.com/b")
    await react(ballot, first, Member("chat", "dan", "Dan"))
    chat.vanished_channels.add("ideas")
    await app.cards.recover("chat")
    shortlist = await ballot.shortlist(CURATOR)
    assert shortlist.total == 2
    assert shortlist.ranked[0].votes == 1
    [alert] = [r.message for r in caplog.records if "channel ideas" in r.message]
    assert alert.startswith("The chat channel ideas, where 2 card(s) of the open cycle are,")


async def test_a_deleted_card_withdraws_nothing_while_another_card_shows_it(
    app: App, ballot: Ballot, chat: RecordingPlatform
) -> None:
    card = await _suggest(app, AUTHOR, "https://example.com/a")
    suggestion = await ballot.suggestion_on_card(card)
    assert suggestion is not None
    other = CardRef("other", "c9", "m9")
    await app.database.execute(
        "INSERT INTO cards (platform, channel_id, message_id, suggestion_id) VALUES (?, ?, ?, ?)",
        (other.platform, other.channel_id, other.message_id, suggestion.id),
    )
    assert await app.cards.card_deleted(card) is None
    assert (await ballot.shortlist(CURATOR)).total == 1


async def test_a_card_posted_just_before_a_crash_is_found_and_counted_at_recovery(
    app: App, ballot: Ballot, chat: RecordingPlatform
) -> None:
    chat.dying = True
    with pytest.raises(ConnectionResetError):
        await app.cards.suggest(AUTHOR, "https://example.com/a", "", channel_id="ideas")
    card = CardRef("chat", "ideas", "card-1")
    assert await ballot.suggestion_on_card(card) is None  # posted, but not known to the bot
    chat.reactions[card.message_id] = [Member("chat", "eve", "Eve")]  # a vote while it was down
    chat.dying = False
    await app.cards.recover("chat")
    assert chat.posted == [("ideas", 0)]  # found, not posted again
    assert (await ballot.suggestion_on_card(card)) is not None
    [entry] = (await ballot.shortlist(CURATOR)).ranked
    assert entry.votes == 1
    await app.cards.recover("chat")  # done once: nothing is left to finish
    assert chat.posted == [("ideas", 0)]


async def test_a_card_the_platform_never_got_is_posted_at_recovery_unless_withdrawn(
    app: App, ballot: Ballot, chat: RecordingPlatform
) -> None:
    chat.unreachable = True
    for url in ("https://example.com/a", "https://example.com/b"):
        with pytest.raises(ConnectionError):
            await app.cards.suggest(AUTHOR, url, "", channel_id="ideas")
    await app.cards.recover("chat")  # still down: kept for the next start
    assert chat.posted == []
    chat.unreachable = False
    await app.cards.withdraw(AUTHOR, 2)
    await app.cards.recover("chat")
    assert chat.posted == [("ideas", 0)]
    assert chat.keys.keys() == {"card-1"}
    assert await app.cards.link((await ballot.suggestion(1)), "chat") == "chat://ideas/card-1"


async def test_a_recovery_during_a_post_leaves_that_post_alone(
    app: App, ballot: Ballot, chat: RecordingPlatform
) -> None:
    chat.answering.clear()  # the platform is slow to answer the post
    suggesting = asyncio.create_task(
        app.cards.suggest(AUTHOR, "https://example.com/a", "", channel_id="ideas")
    )
    await asyncio.sleep(0.05)
    await app.cards.recover("chat")  # a reconnect while the card is being posted
    chat.answering.set()
    assert (await suggesting).startswith("Suggested #1")
    assert chat.posted == [("ideas", 0)]


MEMBER = Member("chat", "m", "Mia")


async def test_the_author_withdraws_a_suggestion_and_its_link_is_free_again(
    app: App, ballot: Ballot, chat: RecordingPlatform
) -> None:
    card = await _suggest(app, AUTHOR, "https://example.com/a")
    await react(ballot, card, MEMBER)
    reply = await app.cards.withdraw(AUTHOR, 1)
    assert reply == "Withdrew #1 (https://example.com/a); it is off the ballot for the next issue."
    assert chat.deleted == [card.message_id]
    assert (await ballot.shortlist(CURATOR)).total == 0
    with pytest.raises(UnknownSuggestion):
        await ballot.vote(MEMBER, 1)
    again = await app.cards.suggest(MEMBER, "example.com/a", "", channel_id="ideas")
    assert again.startswith("Suggested #2 ")
    [kept] = await app.database.fetch_all(
        "SELECT voter_id FROM votes v JOIN suggestions s ON s.id = v.suggestion_id"
        " WHERE s.number = 1"
    )
    assert kept[0] == "m"  # on record, no longer counted


async def test_withdrawing_and_suggesting_again_does_not_get_round_the_limit(
    app: App, chat: RecordingPlatform
) -> None:
    for n in range(3):  # the app's limit is 3
        await _suggest(app, AUTHOR, f"https://example.com/{n}")
        await app.cards.withdraw(AUTHOR, n + 1)
    with pytest.raises(SuggestionLimitReached, match="withdrawn ones count too"):
        await app.cards.suggest(AUTHOR, "https://example.com/again", "", channel_id="ideas")


async def test_only_the_author_or_a_curator_may_withdraw_or_edit(
    app: App, ballot: Ballot, chat: RecordingPlatform
) -> None:
    await _suggest(app, AUTHOR, "https://example.com/a")
    with pytest.raises(NotYours, match=r"^Only Author, who suggested #1, or a curator can"):
        await app.cards.withdraw(MEMBER, 1)
    with pytest.raises(NotYours):
        await app.cards.edit_note(MEMBER, 1, "mine now")
    with pytest.raises(UnknownSuggestion):
        await app.cards.withdraw(AUTHOR, 7)
    assert (await ballot.shortlist(CURATOR)).total == 1
    assert chat.deleted == []
    assert "Withdrew #1" in await app.cards.withdraw(CURATOR, 1)


async def test_editing_a_note_updates_the_card_and_the_shortlist(
    app: App, ballot: Ballot, chat: RecordingPlatform
) -> None:
    card = await _suggest(app, AUTHOR, "https://example.com/a")
    reply = await app.cards.edit_note(AUTHOR, 1, "  Worth a read  ")
    assert reply == "Updated the note of #1: Worth a read"
    await app.cards.flush()
    assert chat.edits[-1][0] == card.message_id
    [tally] = (await ballot.shortlist(CURATOR, limit=200)).ranked  # the mirror, and SQL:
    assert tally.suggestion.note == "Worth a read"
    [tally] = (await ballot.shortlist(CURATOR, limit=10)).ranked
    assert tally.suggestion.note == "Worth a read"
    with pytest.raises(InvalidNote):
        await app.cards.edit_note(AUTHOR, 1, "evil \u202e text")
    assert (await ballot.suggestion(1)).note == "Worth a read"
    assert await app.cards.edit_note(CURATOR, 1, "") == "Removed the note of #1."


async def test_why_shows_the_count_by_platform_and_the_reactions_that_did_not_count(
    app: App, ballot: Ballot, chat: RecordingPlatform
) -> None:
    card = await _suggest(app, AUTHOR, "https://example.com/a")
    await react(ballot, card, MEMBER)
    assert (await react(ballot, card, AUTHOR)).own  # noted, not counted
    assert (await react(ballot, card, Member("chat", "b0t", "Helper", is_bot=True))).tally is None
    await react(ballot, CardRef("chat", "ideas", "not-a-card"), MEMBER)  # no card: ignored
    why = await ballot.why(CURATOR, 1)
    assert why.tally.votes == 1
    assert why.merged == ()
    assert why.uncounted == (("bot", "chat", 1), ("self", "chat", 1))
    assert why_text(why).splitlines() == [
        "#1 https://example.com/a: 1 vote",
        "No other submission was merged into it.",
        "Reactions that did not count: 1 by a bot (chat); 1 by its author (chat)",
    ]

    rollover = await ballot.close_cycle(CURATOR)
    assert (await react(ballot, card, Member("chat", "late", "Late"))).tally is None
    after = await ballot.why(CURATOR, 1, rollover.closed.id)
    assert ("closed", "chat", 1) in after.uncounted
    assert after.tally.votes == 1  # unchanged
    with pytest.raises(NotCurator):
        await ballot.why(MEMBER, 1, rollover.closed.id)
    with pytest.raises(UnknownSuggestion):
        await ballot.why(CURATOR, 1)  # the open cycle has no #1
