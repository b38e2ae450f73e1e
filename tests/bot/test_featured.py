""" "Already featured": the links every issue carried, indexed as the feed is read (backlog
included), against real feed XML; and the note when a link was suggested in an earlier cycle."""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import App, built
from bot.errors import AlreadyFeatured
from bot.models import Member
from storage.migrating import migrations
from tests.conftest import settings_on
from tests.feeds import Item, issue, rss2

ALICE = Member("console", "alice", "alice")
BOB = Member("console", "bob", "bob")
CURATOR = Member("console", "cora", "Cora", is_curator=True)


def with_links(n: int, *links: str) -> Item:
    anchors = "".join(f'<li><a href="{link}">a read</a></li>' for link in links)
    return dataclasses.replace(issue(n), summary=f"<p>This month:</p><ul>{anchors}</ul>")


@pytest.fixture
async def app(store: str | Path, tmp_path: Path) -> AsyncIterator[App]:
    feed = tmp_path / "feed.xml"
    feed.write_bytes(
        rss2(
            [
                with_links(2, "https://blog.example.org/post?utm_source=newsletter"),
                with_links(1, "https://arxiv.org/pdf/1706.03762v5"),
            ]
        )
    )
    async with built(settings_on(store, feed_urls=(str(feed),))) as wired:
        assert wired.watcher is not None
        await wired.watcher.poll_now(CURATOR)  # the first sight: the backlog, silently
        yield wired


async def test_a_link_an_issue_featured_is_refused_with_the_issue(app: App) -> None:
    with pytest.raises(AlreadyFeatured) as refused:
        await app.ballot.suggest(ALICE, "blog.example.org/post")  # the same link, by its key
    assert refused.value.message == (
        "That link was already featured in Issue #2: Monthly links, published 1 March 2026: "
        "https://news.example.com/issues/2"
    )
    with pytest.raises(AlreadyFeatured, match="Issue #1"):
        await app.ballot.suggest(ALICE, "https://arxiv.org/abs/1706.03762")  # one paper
    assert (await app.ballot.shortlist(CURATOR)).total == 0


async def test_a_curator_may_add_it_anyway(app: App) -> None:
    with pytest.raises(AlreadyFeatured, match="Curators can add it anyway"):
        await app.ballot.suggest(CURATOR, "https://blog.example.org/post")
    with pytest.raises(AlreadyFeatured):
        await app.ballot.suggest(ALICE, "https://blog.example.org/post", anyway=True)
    made = await app.ballot.suggest(CURATOR, "https://blog.example.org/post", anyway=True)
    assert made.suggestion.number == 1


async def test_a_link_suggested_before_but_never_featured_comes_with_a_note(app: App) -> None:
    first = await app.ballot.suggest(ALICE, "https://example.net/idea")
    await app.ballot.vote(BOB, first.suggestion.number)
    assert first.before is None
    await app.ballot.close_cycle(CURATOR)
    again = await app.ballot.suggest(BOB, "http://example.net/idea/")
    assert again.is_new
    assert again.before is not None
    assert again.before.suggestion.cycle_id == first.suggestion.cycle_id
    assert again.before.votes == 1


async def test_issues_known_before_the_upgrade_get_their_links_at_the_next_check(
    tmp_path: Path,
) -> None:
    """A database of schema 6 (before featured links) whose feed was read already: the next
    check reads the feed again, indexes the issues it knew, and still announces a new one."""
    path, feed = tmp_path / "bot.sqlite3", tmp_path / "feed.xml"
    with sqlite3.connect(path) as raw:
        for version, script in migrations()[:6]:
            raw.executescript(script)
            raw.execute(f"PRAGMA user_version = {version}")
        raw.executescript(SCHEMA_6_FEED.format(source=feed))
    feed.write_bytes(
        rss2([with_links(2, "https://example.net/two"), with_links(1, "https://example.net/one")])
    )
    settings = settings_on(path, feed_urls=(str(feed),))
    async with built(settings) as app:
        assert app.watcher is not None
        [result] = await app.watcher.poll_now(CURATOR)
        assert [item.title for item in result.announced] == ["Issue #2: Monthly links"]
        with pytest.raises(AlreadyFeatured, match="Issue #1"):
            await app.ballot.suggest(ALICE, "https://example.net/one")
        with pytest.raises(AlreadyFeatured, match="Issue #2"):
            await app.ballot.suggest(ALICE, "https://example.net/two")


SCHEMA_6_FEED = """
INSERT INTO cycles (id, opened_at) VALUES (1, '2026-10-01T00:00:00+00:00');
INSERT INTO feeds (id, source, fetch_url, title, body_sha256, last_success_at)
    VALUES (1, '{source}', '{source}', 'ML Monthly', 'an-older-body', '2026-10-01T00:00:00+00:00');
INSERT INTO feed_entries (id, feed_id, title, link, summary, seen_at, announced, cycle_rolled)
    VALUES (1, 1, 'Issue #1: Monthly links', 'https://news.example.com/issues/1', '',
            '2026-10-01T00:00:00+00:00', 0, 0);
INSERT INTO feed_identities (feed_id, kind, value, entry_id) VALUES
    (1, 'key', 'nl-1', 1), (1, 'link', '//news.example.com/issues/1', 1),
    (1, 'title', 'issue 1 monthly links', 1);
"""
