"""Parsing feed bytes into plain-text issues."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.feeds import NotAFeed, parse_feed, plain_text, title_identity
from tests.feeds import Item, atom, issue, rss1, rss2


@pytest.mark.parametrize("render", [rss2, atom, rss1], ids=["rss2", "atom", "rss1"])
def test_every_format_yields_plain_text_issues_newest_first(render: object) -> None:
    body = render([issue(1), issue(3), issue(2)])  # type: ignore[operator]
    feed = parse_feed(body)
    assert feed.title == "ML Monthly"
    assert [entry.title for entry in feed.entries] == [
        "Issue #3: Monthly links",
        "Issue #2: Monthly links",
        "Issue #1: Monthly links",
    ]
    newest = feed.entries[0]
    assert newest.link == "https://news.example.com/issues/3"
    assert newest.summary == "Ten links for month 3 & a bonus."
    assert newest.published == datetime(2026, 4, 1, 9, tzinfo=UTC)


def test_rss_091_is_read() -> None:
    body = (
        b'<?xml version="1.0"?><rss version="0.91"><channel><title>Old</title>'
        b"<link>https://old.example.com/</link><description>d</description>"
        b"<item><title>One</title><link>https://old.example.com/1</link></item>"
        b"</channel></rss>"
    )
    [entry] = parse_feed(body).entries
    assert (entry.key, entry.title) == ("https://old.example.com/1", "One")


def test_keys_fall_back_from_guid_to_link_to_title_and_date() -> None:
    items = [
        Item("With guid", "https://a.example/1", guid="g-1"),
        Item("Link only", "https://a.example/2"),
        Item("Title only", "", published=datetime(2026, 1, 1, tzinfo=UTC)),
    ]
    keys = [entry.key for entry in parse_feed(rss2(items)).entries]
    assert keys[:2] == ["g-1", "https://a.example/2"]
    assert keys[2].startswith("Title only|2026-01-01")


def test_html_is_stripped_entities_decoded_and_text_capped() -> None:
    html = "<p>Caf&eacute; &amp; <b>bar</b></p><script>alert(1)</script><p>next&nbsp;para</p>"
    assert plain_text(html, 100) == "Café & bar next para"
    long = plain_text("word " * 200, 50)
    assert len(long) <= 50
    assert long.endswith("…")


def test_a_huge_summary_is_capped_and_the_title_kept_short() -> None:
    item = Item("T" * 500, "https://a.example/1", guid="1", summary="<p>" + "x " * 5000 + "</p>")
    [entry] = parse_feed(rss2([item])).entries
    assert len(entry.title) <= 200
    assert len(entry.summary) <= 300


def test_titles_compare_ignoring_case_space_and_punctuation() -> None:
    assert title_identity("Issue #12: AI!") == title_identity("issue 12 — ai")
    assert title_identity("Issue 12") != title_identity("Issue 13")


@pytest.mark.parametrize(
    "body",
    [b"", b"<html><body><p>Hello</p></body></html>", b"\x00\x01\x02", b'{"json": true}'],
    ids=["empty", "html", "binary", "json"],
)
def test_things_that_are_not_feeds_are_refused(body: bytes) -> None:
    with pytest.raises(NotAFeed):
        parse_feed(body)


def test_a_recoverable_problem_still_yields_entries() -> None:
    body = rss2([issue(1)]).replace(b"Monthly links</title>", b"Monthly &nbsp; links</title>", 1)
    feed = parse_feed(body)  # &nbsp; is undefined in XML: feedparser sets bozo and carries on
    assert len(feed.entries) == 1


def test_an_entry_whose_link_is_refused_is_recognised_by_key_and_title() -> None:
    items = [
        issue(3),
        Item("Issue #2: over IPv6", "https://[2606:4700:4700::1111]/issues/2", guid="nl-2"),
        Item("Issue #1: a private link", "http://10.0.0.1/issues/1", guid="nl-1"),
    ]
    feed = parse_feed(rss2(items))
    assert feed.entries[0].title == "Issue #3: Monthly links"
    by_key = {entry.key: entry for entry in feed.entries}
    assert ("link", "//[2606:4700:4700::1111]/issues/2") in by_key["nl-2"].identities
    assert [kind for kind, _ in by_key["nl-1"].identities] == ["key", "title"]
