"""What operators do to a running bot: a second copy on the same database, kill -9, SIGTERM
while a feed hangs. Each drives the real `python -m bot` process."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path
from urllib.parse import urlsplit

from tests.feeds import feed_server, issue, rss2
from tests.process import read_until, run_bot, start_bot


async def test_a_second_bot_on_the_same_database_says_who_holds_it(tmp_path: Path) -> None:
    first = await start_bot(tmp_path)
    assert first.stdout is not None
    try:
        await read_until(first.stdout, "console mode")
        second = await run_bot(tmp_path, "/as alice\n/suggest example.com/a\n")
        assert second.returncode == 2
        [line] = second.stderr.strip().splitlines()
        assert line.startswith(f"Shortlist did not start: Another Shortlist (pid {first.pid} on ")
        assert "bot.sqlite3" in line
        assert "Suggested" not in second.stdout
    finally:
        first.kill()  # SIGKILL: the lock must die with the process
        await first.wait()
    after = await run_bot(tmp_path, "/as alice\n/suggest example.com/a\n")
    assert after.returncode == 0
    assert "Suggested #1" in after.stdout


async def test_a_second_bot_naming_the_file_through_a_symlink_is_refused(tmp_path: Path) -> None:
    """The lock follows the file the path leads to, not the path's spelling."""
    first = await start_bot(tmp_path)
    assert first.stdout is not None
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "alias.sqlite3").symlink_to(tmp_path / "bot.sqlite3")
    try:
        await read_until(first.stdout, "console mode")
        second = await run_bot(
            elsewhere,
            "/as alice\n/suggest example.com/a\n",
            {"DATABASE_PATH": str(elsewhere / "alias.sqlite3")},
        )
        assert second.returncode == 2
        assert f"Another Shortlist (pid {first.pid} on " in second.stderr
    finally:
        first.kill()
        await first.wait()


async def test_sigterm_stops_within_ten_seconds_while_a_feed_hangs(tmp_path: Path) -> None:
    async with feed_server() as server:
        hanging = server.serve("/feed", body=rss2([issue(1)]), delay=60)
        process = await start_bot(tmp_path, {"FEED_URLS": server.url("/feed")})
        assert process.stdout is not None
        try:
            await read_until(process.stdout, "console mode")
            while not server.requests:  # noqa: ASYNC110  # the check has reached the feed
                await asyncio.sleep(0.05)
            assert hanging.delay == 60
            await stops_cleanly_within_ten_seconds(process)
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()


async def test_poll_says_a_check_is_already_running(tmp_path: Path) -> None:
    async with feed_server() as server:
        server.serve("/feed", body=rss2([issue(1)]), delay=60)
        process = await start_bot(tmp_path, {"FEED_URLS": server.url("/feed")})
        assert process.stdin is not None
        assert process.stdout is not None
        try:
            await read_until(process.stdout, "console mode")
            while not server.requests:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
            process.stdin.write(b"/as cora curator\n/poll\n")
            await process.stdin.drain()
            said = await read_until(process.stdout, "already running")
            assert "A check of the feeds is already running" in said
        finally:
            process.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(process.wait(), 10) == 0


class HangingProxy:
    """A TCP proxy to PostgreSQL that can stop passing bytes while keeping every connection
    open: a server that hangs, as one whose disk stalls or whose network drops silently does."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.flowing = asyncio.Event()
        self.flowing.set()
        self.server: asyncio.Server | None = None

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._pipe_both, "127.0.0.1", 0)
        return int(self.server.sockets[0].getsockname()[1])

    async def _pipe_both(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        await asyncio.gather(
            self._pipe(reader, upstream_writer),
            self._pipe(upstream_reader, writer),
            return_exceptions=True,
        )

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                await self.flowing.wait()
                writer.write(data)
                await writer.drain()
        finally:
            writer.close()

    def close(self) -> None:
        if self.server is not None:
            self.server.close()


async def test_sigterm_stops_within_ten_seconds_while_postgresql_hangs(
    tmp_path: Path, postgres_url: str
) -> None:
    """asyncpg's cancel of a hung query waits out its command timeout (20 s): the bot stops
    waiting for the database once its grace is over."""
    parts = urlsplit(postgres_url)
    proxy = HangingProxy((parts.hostname or "127.0.0.1", parts.port or 5432))
    port = await proxy.start()
    url = postgres_url.replace(f"{parts.hostname}:{parts.port}", f"127.0.0.1:{port}")
    process = await start_bot(tmp_path, {"DATABASE_URL": url})
    assert process.stdin is not None
    assert process.stdout is not None
    try:
        await read_until(process.stdout, "console mode")
        process.stdin.write(b"/as alice\n/suggest example.com/a\n")
        await process.stdin.drain()
        await read_until(process.stdout, "Suggested #1")
        proxy.flowing.clear()  # the server hangs
        process.stdin.write(b"/as bob\n/vote 1\n")
        await process.stdin.drain()
        await asyncio.sleep(1)  # the vote waits on the hung server
        await stops_cleanly_within_ten_seconds(process)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        proxy.close()


async def stops_cleanly_within_ten_seconds(process: asyncio.subprocess.Process) -> None:
    """SIGTERM: the process exits with status 0 in under 10 s."""
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(process.wait(), 12) == 0
    assert time.monotonic() - started < 10
