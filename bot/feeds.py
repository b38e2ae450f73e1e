"""Feed parsing: fetched bytes in, plain-text newsletter issues out.

feedparser is synchronous and slow on large HTML-rich feeds, so `parse_feed` is meant to run in a
worker thread (`asyncio.to_thread`); nothing here touches the network.
"""

from __future__ import annotations

import calendar
import logging
import re
import time
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

import feedparser

from bot.errors import InvalidLink
from bot.models import FeedEntry, ParsedFeed
from bot.urls import key_or_none, link_key

log = logging.getLogger(__name__)

MAX_TITLE_LENGTH = 200
MAX_SUMMARY_LENGTH = 300
MAX_FEATURED_LINKS = 500  # per issue: a newsletter issue carries a few dozen


class NotAFeed(Exception):
    """The bytes held no RSS or Atom channel and no entries."""


class _TextExtractor(HTMLParser):
    _BLOCKS = frozenset({"p", "br", "div", "li", "h1", "h2", "h3", "h4", "tr", "blockquote"})
    _SKIPPED = frozenset({"script", "style"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIPPED:
            self._skipping += 1
        elif tag in self._BLOCKS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIPPED and self._skipping:
            self._skipping -= 1
        elif tag in self._BLOCKS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


class _LinkExtractor(HTMLParser):
    """Every `<a href>` of an issue's content: the links the issue featured."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.hrefs.append(href.strip())


def featured_links(entry: Any) -> tuple[tuple[str, str], ...]:
    """(link, its key) for the links in an entry's content and summary, and its own links."""
    extractor = _LinkExtractor()
    for content in entry.get("content") or ():
        extractor.feed(str(content.get("value", "")))
    extractor.feed(str(entry.get("summary", "")))
    extractor.close()
    hrefs = [*extractor.hrefs, *(str(link.get("href", "")) for link in entry.get("links") or ())]
    found = {
        href: key
        for href in hrefs
        if href.lower().startswith(("http://", "https://")) and (key := key_or_none(href))
    }
    return tuple(found.items())[:MAX_FEATURED_LINKS]


def plain_text(html: str, limit: int) -> str:
    """HTML to one line of text: tags stripped, entities decoded, cut at a word near `limit`."""
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    return one_line("".join(extractor.parts), limit)


def one_line(text: str, limit: int) -> str:
    """Text on one line: whitespace collapsed, invisible and control characters (bidi
    overrides among them) dropped, cut at a word near `limit`."""
    text = " ".join(text.split())
    text = "".join(char for char in text if char.isprintable())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:.-") + "…"


def title_identity(title: str) -> str:
    """Titles compare case-, space- and punctuation-blind ("Issue #12: AI" == "issue 12 — ai")."""
    return " ".join(re.sub(r"[\W_]+", " ", title.casefold()).split())


def identities(key: str, title: str, link: str) -> tuple[tuple[str, str], ...]:
    """Every way an issue can be recognised again: its key, its canonical link, its title."""
    found = [("key", key)]
    link_id = link_identity(link) if link else None
    if link_id is not None:
        found.append(("link", link_id))
    normalised = title_identity(title)
    if normalised:
        found.append(("title", normalised))
    return tuple(found)


def link_identity(link: str) -> str | None:
    """The entry link's identity under the ballot's link rules; None for a link they refuse (a
    private address, say): such an entry is still recognised by its key and title."""
    try:
        return link_key(link)
    except InvalidLink as refused:
        log.info("Feed entry link %r is recognised by key and title only: %s", link, refused)
        return None


def _published(entry: Any) -> datetime | None:
    for field in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(field)
        if isinstance(value, time.struct_time):
            return datetime.fromtimestamp(calendar.timegm(value), UTC)
    return None


def _entry(raw: Any) -> FeedEntry | None:
    title = plain_text(raw.get("title", ""), MAX_TITLE_LENGTH)
    link = str(raw.get("link", "")).strip()
    published = _published(raw)
    summary_html = raw.get("summary", "")
    if not summary_html and raw.get("content"):
        summary_html = raw["content"][0].get("value", "")
    summary = plain_text(summary_html, MAX_SUMMARY_LENGTH)
    key = str(raw.get("id", "")).strip() or link
    if not key and title:
        key = f"{title}|{published.isoformat() if published else ''}"
    if not key:
        return None  # nothing to recognise it by next time
    title = title or link or "Untitled issue"
    return FeedEntry(
        key, title, link, published, summary, identities(key, title, link), featured_links(raw)
    )


def parse_feed(body: bytes, *, url: str = "", content_type: str | None = None) -> ParsedFeed:
    """Parse RSS 0.9x/1.0/2.0 or Atom; raise `NotAFeed` if the bytes hold neither."""
    headers = {"content-location": url} if url else {}
    if content_type:
        headers["content-type"] = content_type
    parsed = feedparser.parse(body, response_headers=headers)
    # bozo also flags recoverable problems: judge by what came out, not by the flag.
    if not parsed.get("version") and not parsed.entries:
        problem = parsed.get("bozo_exception")
        raise NotAFeed(
            f"not an RSS or Atom feed ({problem})" if problem else "not an RSS or Atom feed"
        )
    entries = [entry for entry in map(_entry, parsed.entries) if entry is not None]
    if entries and all(entry.published for entry in entries):
        entries.sort(key=lambda entry: entry.published or datetime.min, reverse=True)
    feed_title = plain_text(parsed.feed.get("title", ""), MAX_TITLE_LENGTH)
    return ParsedFeed(feed_title, tuple(entries))
