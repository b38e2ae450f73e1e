"""The operator's commands: --help, --version, check and backup, on the real process."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.health import judge_heartbeat
from tests.process import read_until, run_bot, start_bot


async def test_help_and_version(tmp_path: Path) -> None:
    helped = await run_bot(tmp_path, "", args=["--help"])
    assert helped.returncode == 0
    for command in ("run", "check", "backup"):
        assert command in helped.stdout
    version = await run_bot(tmp_path, "", args=["--version"])
    assert version.returncode == 0
    assert version.stdout.startswith("Shortlist ")


async def test_check_reports_without_touching_anything(tmp_path: Path) -> None:
    fresh = await run_bot(tmp_path, "", args=["check"])
    assert fresh.returncode == 0
    assert "does not exist yet" in fresh.stdout
    assert not (tmp_path / "bot.sqlite3").exists()

    await run_bot(tmp_path, "/as alice\n/suggest example.com/a\n")
    environ = {"DISCORD_TOKEN": "secret.token.value", "FEED_URLS": "https://news.example.com/f"}
    checked = await run_bot(tmp_path, "", environ, args=["check"])
    assert checked.returncode == 0, checked.stdout
    assert re.search(r"schema \d+, up to date; 1 cycles, 1 suggestions", checked.stdout)
    assert "Discord: on (global commands; 0 announce channel(s)" in checked.stdout
    assert "Feeds: https://news.example.com/f" in checked.stdout
    assert "secret.token.value" not in checked.stdout + checked.stderr

    with sqlite3.connect(tmp_path / "bot.sqlite3") as db:
        db.execute("PRAGMA user_version = 99")
    newer = await run_bot(tmp_path, "", args=["check"])
    assert newer.returncode == 1
    assert "NEWER than this Shortlist" in newer.stdout


async def test_check_fails_on_bad_settings(tmp_path: Path) -> None:
    checked = await run_bot(tmp_path, "", {"FEED_POLL_SECONDS": "never"}, args=["check"])
    assert checked.returncode == 2
    assert "FEED_POLL_SECONDS must be a whole number" in checked.stderr


async def test_backup_while_running_and_restore(tmp_path: Path) -> None:
    live = tmp_path / "live"
    live.mkdir()
    process = await start_bot(live)
    assert process.stdin is not None
    assert process.stdout is not None
    try:
        await read_until(process.stdout, "console mode")
        process.stdin.write(b"/as alice\n/suggest example.com/kept A keeper\n")
        await process.stdin.drain()
        await read_until(process.stdout, "Suggested #1")
        copy = tmp_path / "backups" / "shortlist.sqlite3"
        backed = await run_bot(live, "", args=["backup", str(copy)])
        assert backed.returncode == 0, backed.stderr
        assert f"to {copy}" in backed.stdout
        again = await run_bot(live, "", args=["backup", str(copy)])
        assert again.returncode == 1
        assert "exists already" in again.stderr
    finally:
        process.stdin.close()
        await process.wait()

    restored = tmp_path / "restored"
    restored.mkdir()
    shutil.copy(copy, restored / "bot.sqlite3")
    shown = await run_bot(restored, "/as cora curator\n/shortlist\n")
    assert "#1 https://example.com/kept" in shown.stdout
    assert "A keeper" in shown.stdout


async def test_check_and_copy_data_on_postgresql(tmp_path: Path, postgres_url: str) -> None:
    """`check` names the active bot and hides the password; `copy-data` moves the whole ballot
    from the console's SQLite file to PostgreSQL and the bot carries on there."""
    await run_bot(tmp_path, "/as alice\n/suggest example.com/a\n/as bob\n/vote 1\n")
    url = postgres_url.replace("postgres@", "postgres:not-needed@")  # trust auth ignores it
    copied = await run_bot(
        tmp_path, "", args=["copy-data", "--from", str(tmp_path / "bot.sqlite3"), "--to", url]
    )
    assert copied.returncode == 0, copied.stderr
    assert "1 cycles, 1 suggestions, 1 votes" in copied.stdout
    assert "every count and checksum verified" in copied.stdout
    again = await run_bot(
        tmp_path, "", args=["copy-data", "--from", str(tmp_path / "bot.sqlite3"), "--to", url]
    )
    assert again.returncode == 1
    assert "is not empty" in again.stderr

    on_postgres = {"DATABASE_URL": url}
    process = await start_bot(tmp_path, on_postgres)
    assert process.stdout is not None
    try:
        await read_until(process.stdout, "console mode")
        checked = await run_bot(tmp_path, "", on_postgres, args=["check"])
    finally:
        process.terminate()
        await process.wait()
    assert checked.returncode == 0, checked.stdout
    assert re.search(r"schema \d+, up to date; 1 cycles, 1 suggestions, 1 votes", checked.stdout)
    assert re.search(r"Active bot: shortlist \(pid \d+ on ", checked.stdout)
    output = copied.stdout + copied.stderr + checked.stdout + checked.stderr
    assert "not-needed" not in output
    assert "postgres:***@" in output


async def test_copy_data_typos_create_nothing(tmp_path: Path) -> None:
    """The README's move-to-PostgreSQL recipe with one typo: one line, exit 1, nothing made."""
    await run_bot(tmp_path, "/as alice\n/suggest example.com/a\n")
    before = _listing(tmp_path)
    typo = await run_bot(
        tmp_path, "", args=["copy-data", "--from", "nothere.sqlite3", "--to", "x.sqlite3"]
    )
    assert typo.returncode == 1
    assert typo.stderr.strip().splitlines()[-1] == (
        "Nothing was copied: there is no database at nothere.sqlite3."
    )
    scheme = await run_bot(
        tmp_path, "", args=["copy-data", "--from", "bot.sqlite3", "--to", "mysql://x"]
    )
    assert scheme.returncode == 1
    assert "not a mysql:// URL" in scheme.stderr
    assert "Traceback" not in typo.stderr + scheme.stderr
    assert _listing(tmp_path) == before


def _listing(folder: Path) -> list[str]:
    return sorted(entry.name for entry in folder.iterdir())


async def test_check_live_reads_the_running_bots_heartbeat(tmp_path: Path) -> None:
    never = await run_bot(tmp_path, "", args=["check", "--live"])
    assert never.returncode == 1
    assert never.stdout.startswith("Live: no heartbeat")
    process = await start_bot(tmp_path)
    assert process.stdin is not None
    assert process.stdout is not None
    try:
        await read_until(process.stdout, "console mode")
        for _ in range(50):
            live = await run_bot(tmp_path, "", args=["check", "--live"])
            if live.returncode == 0:
                break
            await asyncio.sleep(0.2)
        assert live.stdout.startswith("Live: ready (console connected; heartbeat ")
    finally:
        process.stdin.close()
        await process.wait()


def test_a_heartbeat_is_judged_by_its_age_and_platforms() -> None:
    now = datetime(2026, 12, 8, 12, 0, tzinfo=UTC)
    beat = {"at": now.isoformat(), "by": "pid 1 on host", "database": True}
    fresh = json.dumps({**beat, "platforms": {"discord": True, "slack": True}})
    assert judge_heartbeat(fresh, now + timedelta(seconds=10))[0]
    stale = judge_heartbeat(fresh, now + timedelta(seconds=31))
    assert stale == (False, "Live: NOT RUNNING (last heartbeat 31 s ago, by pid 1 on host)")
    down = json.dumps({**beat, "platforms": {"discord": True, "slack": False}})
    assert judge_heartbeat(down, now) == (
        False,
        "Live: running but not ready: Slack is not connected",
    )
    assert not judge_heartbeat("{not json", now)[0]


def test_copy_progress_is_a_line_per_table_off_a_terminal() -> None:
    import io

    from bot.progress import TableProgress

    out = io.StringIO()
    progress = TableProgress(out, live=False)
    for table, total in (("cycles", 1), ("votes", 3)):
        for done in range(total + 1):
            progress(table, done, total)
    assert out.getvalue() == "cycles: 1 of 1 rows\nvotes: 3 of 3 rows\n"


def test_copy_progress_is_a_live_bar_on_a_terminal() -> None:
    from bot.progress import bar

    assert bar("votes: 5 of 10 rows", 5, 10, 40) == "[#########.........] votes: 5 of 10 rows"
    assert bar("votes: 5 of 10 rows", 5, 10, 20) == "votes: 5 of 10 rows"  # too narrow: no bar
