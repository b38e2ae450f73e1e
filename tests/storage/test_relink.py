"""A database written by the previous schema (version 2, link rules v1) opened by this version:
its ballot and feed history behave as if they had been made under the new link rules."""

from __future__ import annotations

import io
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app import built
from bot.errors import DuplicateSuggestion
from bot.models import Member
from bot.settings import Settings
from storage.migrating import migrations
from tests.bot.test_cards import RecordingPlatform
from tests.feeds import FeedServer, Item, feed_server, rss2

CURATOR = Member("console", "cora", "Cora", is_curator=True)
WHEN = datetime(2026, 10, 1, tzinfo=UTC).isoformat()

# Rows as the version before link identity v2 wrote them: canonical links kept their scheme and
# query order, and each form of a link was its own suggestion.
OLD_BALLOT = """
INSERT INTO cycles (id, opened_at) VALUES (1, '{when}');
INSERT INTO suggestions (id, cycle_id, number, url, note, author_platform, author_id,
                         author_name, created_at) VALUES
    (1, 1, 1, 'http://example.com/post', 'first', 'discord', '11', 'Alice', '{when}'),
    (2, 1, 2, 'https://example.com/post', 'again', 'slack', 'U0SAM', 'Sam', '{when}'),
    (3, 1, 3, 'https://example.com/other?b=2&a=1', '', 'slack', 'U0SAM', 'Sam', '{when}'),
    (4, 1, 4, 'https://example.com/other?a=1&b=2', '', 'discord', '12', 'Bob', '{when}'),
    (5, 1, 5, 'https://example.com/alone', '', 'discord', '12', 'Bob', '{when}');
INSERT INTO votes (suggestion_id, platform, voter_id, created_at) VALUES
    (1, 'discord', '12', '{when}'),
    (2, 'discord', '12', '{when}'),
    (2, 'slack', 'U0UNA', '{when}'),
    (2, 'discord', '11', '{when}'),
    (4, 'slack', 'U0UNA', '{when}');
INSERT INTO cards (platform, channel_id, message_id, suggestion_id) VALUES
    ('discord', '200', '300', 1),
    ('slack', 'C0IDEAS', '1700000000.000100', 2);
"""

OLD_FEED = """
INSERT INTO feeds (id, source, fetch_url, title, body_sha256, last_success_at)
    VALUES (1, '{source}', '{source}', 'ML Monthly', 'old-body', '{when}');
INSERT INTO feed_entries (id, feed_id, title, link, published_at, summary, seen_at, announced,
                          cycle_rolled) VALUES
    (1, 1, 'Issue #1', 'https://news.example.com/issues/1?utm_source=rss', NULL, '', '{when}',
        0, 0),
    (2, 1, 'Issue #2', 'https://news.example.com/issues/2', NULL, '', '{when}', 0, 0);
INSERT INTO feed_identities (feed_id, kind, value, entry_id) VALUES
    (1, 'key', 'nl-1', 1), (1, 'link', 'https://news.example.com/issues/1', 1),
    (1, 'title', 'issue 1', 1),
    (1, 'key', 'nl-2', 2), (1, 'link', 'https://news.example.com/issues/2', 2),
    (1, 'title', 'issue 2', 2);
"""


def write_version_2(path: Path, source: str) -> None:
    with sqlite3.connect(path) as raw:
        for version, script in migrations()[:2]:
            raw.executescript(script)
            raw.execute(f"PRAGMA user_version = {version}")
        raw.executescript(OLD_BALLOT.format(when=WHEN))
        raw.executescript(OLD_FEED.format(when=WHEN, source=source))


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    async with feed_server() as running:
        yield running


async def test_an_old_ballot_merges_what_the_new_rules_call_one_link(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    write_version_2(path, "https://unused.example.org/feed")
    settings = Settings(link_previews=False, database_path=path)
    async with built(settings, stdout=io.StringIO()) as app:
        shortlist = await app.ballot.shortlist(CURATOR)
        by_number = {tally.suggestion.number: tally for tally in shortlist.ranked}
        assert sorted(by_number) == [1, 3, 5]  # the earlier of each pair keeps its number
        post = by_number[1]
        assert post.suggestion.url == "https://example.com/post"  # https, as one form was
        assert post.suggestion.note == "first"
        # Bob's two votes are one; Una's moved over; Alice's own vote for her link never counts.
        assert dict(post.by_platform) == {"discord": 1, "slack": 1}
        assert by_number[3].votes == 1
        cards = await app.database.fetch_all(
            "SELECT platform, suggestion_id FROM cards ORDER BY platform"
        )
        assert [tuple(card) for card in cards] == [("discord", 1), ("slack", 1)]
        why = await app.ballot.why(CURATOR, 1)  # the curator sees what was merged into #1
        assert [merged.number for merged in why.merged] == [2]

        slack = RecordingPlatform()
        slack.name = "slack"
        slack.reactions["1700000000.000100"] = [Member("slack", "U0UNA", "Una")]
        app.cards.add_platform(slack)
        await app.cards.recover("slack")  # the merged card now shows #1, with #1's votes
        assert slack.edits == [("1700000000.000100", 2, False)]

        sam = Member("slack", "U0SAM", "Sam")
        with pytest.raises(DuplicateSuggestion, match="as #3"):
            await app.ballot.suggest(sam, "http://example.com/other?a=1&b=2&utm_medium=x")
        added = await app.ballot.suggest(CURATOR, "example.com/new")
        assert added.suggestion.number == 6

    async with built(settings, stdout=io.StringIO()) as app:  # nothing more to do
        assert (await app.ballot.shortlist(CURATOR)).total == 4


async def test_an_old_feed_history_announces_nothing_again(
    tmp_path: Path, server: FeedServer
) -> None:
    source = server.url("/feed")
    path = tmp_path / "bot.sqlite3"
    write_version_2(path, source)
    # Same issues, new guids and new titles: only their links can recognise them.
    renamed = [
        Item(f"Letters {n}", f"http://news.example.com/issues/{n}/?ref=feed", guid=f"new-{n}")
        for n in (2, 1)
    ]
    server.serve("/feed", body=rss2(renamed))
    settings = Settings(link_previews=False, database_path=path, feed_urls=(source,))
    async with built(settings, stdout=io.StringIO()) as app:
        assert app.watcher is not None
        [result] = await app.watcher.poll_now(CURATOR)
        assert result.summary == "no new issues"
        assert (await app.ballot.current_cycle()).id == 1
