"""What is already good and must stay so: start-up, idle memory, the unchanged-feed check, and
the event loop's freedom while a large feed is parsed."""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.common import Figure, StallMonitor, console_app, database_settings
from bot.feeds import parse_feed
from bot.models import Member
from tests.feeds import Item, feed_server, rss2

PARAGRAPH = (
    "<p>A <a href='https://example.com/x'>curated link</a> with <b>notes</b> &amp; more.</p>"
)
ROOT = Path(__file__).resolve().parents[1]


def big_feed(entries: int = 50, paragraphs: int = 85) -> bytes:
    return rss2(
        [
            Item(
                title=f"Issue #{n}: Monthly links",
                link=f"https://news.example.com/issues/{n}",
                guid=f"nl-{n}",
                published=datetime(2020 + n // 12, n % 12 + 1, 1, tzinfo=UTC),
                summary=PARAGRAPH * paragraphs,
            )
            for n in range(entries)
        ]
    )


async def start_up(store: str) -> tuple[float, float]:
    """Seconds from `python -m bot` to its first line, and its resident memory then (MB)."""
    with tempfile.TemporaryDirectory() as folder:
        async with database_settings(store) as where:
            return await _start_up(folder, where)


async def _start_up(folder: str, where: dict[str, Any]) -> tuple[float, float]:
    environ = {
        k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "SLACK_", "DATABASE_"))
    }
    environ |= {"PYTHONPATH": str(ROOT)}
    environ |= {name.upper(): str(value) for name, value in where.items()}  # DATABASE_PATH|URL
    started = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        cwd=folder,
        env=environ,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    assert process.stdout is not None
    await process.stdout.readline()
    first_line = time.perf_counter() - started
    await asyncio.sleep(0.5)  # settled, idle
    rss = resident_megabytes(process.pid)
    assert process.stdin is not None
    process.stdin.close()
    await process.wait()
    return first_line, rss


def resident_megabytes(pid: int) -> float:
    status = Path(f"/proc/{pid}/status")
    if not status.exists():
        return float("nan")
    for line in status.read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def unchanged_feed(store: str) -> tuple[float, str]:
    """A second check of a feed that did not change: its time, and what it said."""
    async with feed_server() as server:
        server.serve("/feed", body=big_feed())
        async with console_app(store, feed_urls=(server.url("/feed"),)) as app:
            assert app.watcher is not None
            curator = Member("bench", "c", "C", is_curator=True)
            await app.watcher.poll_now(curator)
            started = time.perf_counter()
            [result] = await app.watcher.poll_now(curator)
            return time.perf_counter() - started, result.summary


async def parse_stall() -> tuple[float, float]:
    body = big_feed()
    started = time.perf_counter()
    parse_feed(body)
    parsing = time.perf_counter() - started
    async with StallMonitor() as stall:
        await asyncio.to_thread(parse_feed, body)
    return parsing, stall.worst


async def figures(quick: bool = False, store: str = "sqlite") -> list[Figure]:
    first_line, rss = await start_up(store)
    seconds, summary = await unchanged_feed(store)
    measured = [
        Figure(
            "start-up: python -m bot to its first line",
            first_line * 1e3,
            "ms",
            "no worse (≈ 200-400 ms)",
        ),
        Figure("idle memory, console mode", rss, "MB", "no worse (≈ 40 MB)"),
        Figure(
            f"unchanged feed check ({summary}; 0 parses)",
            seconds * 1e3,
            "ms",
            "no parse",
            "unchanged" in summary or "not modified" in summary,
        ),
    ]
    if store != "sqlite":
        return measured  # parsing does not touch the database
    parsing, stall = await parse_stall()
    return [
        *measured,
        Figure("feed parse, 0.4 MB / 50 entries", parsing * 1e3, "ms"),
        Figure(
            "event-loop stall while that parse runs in a thread",
            stall * 1e3,
            "ms",
            "≤ 1/10 of the parse",
            stall <= parsing / 10,
            parsing * 1e3,
            "parse time (ms)",
        ),
    ]
