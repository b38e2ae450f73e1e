"""Done-when for the feed: a real console session pointed at a feed file that a publisher edits."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

from tests.feeds import atom, issue, rss2
from tests.process import read_until, start_bot


async def test_console_announces_each_new_issue_once_and_rolls_the_cycle(tmp_path: Path) -> None:
    feed = tmp_path / "feed.xml"
    feed.write_bytes(rss2([issue(2), issue(1)]))
    process = await start_bot(tmp_path, {"FEED_URLS": str(feed), "FEED_POLL_SECONDS": "3600"})
    assert process.stdin is not None
    assert process.stdout is not None
    out = process.stdout

    async def command(line: str, until: str) -> str:
        assert process.stdin is not None
        process.stdin.write(f"{line}\n".encode())
        await process.stdin.drain()
        return await read_until(out, until)

    try:
        await read_until(out, "console mode")
        await command("/as alice", "You are now alice.")
        await command("/suggest https://example.com/great A great read", "Suggested #1")
        await command("/as cora curator", "You are now cora (curator).")
        first = await command("/poll", "Checked 1 feed:")
        first += await read_until(out, str(feed))
        assert "New issue" not in first

        feed.write_bytes(rss2([issue(3), issue(2), issue(1)]))
        published = await command("/poll", f"{feed}: announced 1 new issue")
        assert published.count("New issue: Issue #3: Monthly links") == 1
        assert "  https://news.example.com/issues/3\n" in published
        assert "  Ten links for month 3 & a bonus.\n" in published
        assert "Suggestions for the next issue are open" in published

        again = await command("/poll", f"{feed}: unchanged since the last check")
        assert "New issue" not in again

        moved = issue(2, domain="letters.example.org", guid_prefix="x")
        feed.write_bytes(atom([issue(1), issue(3), moved]))  # reordered, migrated, re-formatted
        quiet = await command("/poll", f"{feed}: no new issues")
        assert "New issue" not in quiet

        feed.write_bytes(b"<html>this is not a feed</html>")
        broken = await command("/poll", f"{feed}: failed: not an RSS or Atom feed")
        assert "New issue" not in broken
        status = await command("/feed status", "Last error")
        assert "issues known: 3" in status

        closed = await command("/shortlist cycle 1", "suggested by alice")
        assert "Shortlist of cycle 1 (closed by Issue #3: Monthly links): 1 suggestion" in closed
        now_open = await command("/shortlist", "suggestion")
        assert "(cycle 2, open): 0 suggestions" in now_open
    finally:
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 10) == 0

    restarted = await start_bot(tmp_path, {"FEED_URLS": str(feed)})
    assert restarted.stdin is not None
    feed.write_bytes(rss2([issue(3), issue(2), issue(1)]))
    restarted.stdin.write(b"/as cora curator\n/poll\n")
    restarted.stdin.close()
    output, _ = await asyncio.wait_for(restarted.communicate(), 20)
    assert b"New issue" not in output
    assert restarted.returncode == 0
