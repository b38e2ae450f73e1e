"""How long feedparser takes on a large HTML-rich feed, and how long the event loop stalls.

Run: .venv/bin/python -m bench.bench_feed   (figures, not pass/fail)
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any

from bot.feeds import parse_feed
from tests.feeds import Item, rss2

PARAGRAPH = (
    "<p>A <a href='https://example.com/x'>curated link</a> with <b>notes</b> &amp; more. </p>"
)


def big_feed(entries: int = 50, paragraphs: int = 85) -> bytes:
    items = [
        Item(
            title=f"Issue #{n}: Monthly links",
            link=f"https://news.example.com/issues/{n}",
            guid=f"nl-{n}",
            published=datetime(2020 + n // 12, n % 12 + 1, 1, tzinfo=UTC),
            summary=PARAGRAPH * paragraphs,
        )
        for n in range(entries)
    ]
    return rss2(items)


async def worst_stall(work: asyncio.Future[Any]) -> float:
    """The longest gap between ticks of a 1 ms ticker while `work` runs."""
    worst = 0.0
    last = time.perf_counter()
    while not work.done():
        await asyncio.sleep(0.001)
        now = time.perf_counter()
        worst = max(worst, now - last)
        last = now
    return worst


async def main() -> None:
    body = big_feed()
    started = time.perf_counter()
    feed = parse_feed(body)
    parse_seconds = time.perf_counter() - started
    print(
        f"parse_feed: {len(body) / 1e6:.2f} MB, {len(feed.entries)} entries: {parse_seconds:.3f} s"
    )

    threaded = asyncio.ensure_future(asyncio.to_thread(parse_feed, body))
    stall = await worst_stall(threaded)
    print(f"event loop's worst stall while parsing in a worker thread: {stall * 1e3:.1f} ms")


if __name__ == "__main__":
    asyncio.run(main())
