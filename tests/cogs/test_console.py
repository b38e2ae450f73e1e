"""The console front end, driven as a real subprocess through stdin."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
from pathlib import Path

from storage import is_database_url
from tests.feeds import Item, rss2
from tests.process import read_until, run_bot, start_bot


def on(store: str | Path) -> dict[str, str]:
    """The bot's settings for the store under test (SQLite: the default file in its folder)."""
    return {"DATABASE_URL": str(store)} if is_database_url(store) else {}


SESSION = """\
/help
/as alice
/suggest https://www.example.com/post/?utm_source=newsletter A great read
/suggest example.com/post
/as bob
/suggest https://example.com/post#intro
/suggest https://example.com/post
/suggest ftp://example.com/file
/suggest http://192.168.0.1/admin
/suggest https://example.org/x {long_note}
/suggest https://arxiv.org/pdf/2401.12345v2 attention again
/vote 1
/vote 1
/vote 2
/shortlist
/as carol
/vote 1
/unvote 2
/vote 9
/vote one
/frobnicate
/as cora curator
/shortlist
/shortlist 1
/shortlist close
/shortlist cycle 1
/shortlist export 1
/shortlist
""".format(long_note="n" * 281)


async def test_a_piped_session_runs_the_whole_ballot(tmp_path: Path, store: str | Path) -> None:
    result = await run_bot(tmp_path, SESSION, on(store))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.splitlines()[0].startswith("Shortlist is running in console mode")

    # suggestions and duplicate merging
    assert "Suggested #1: https://example.com/post\n    A great read\n" in out
    assert out.count("already on the ballot as #1, suggested by you.") == 1
    assert out.count("already on the ballot as #1, suggested by alice.") == 2
    # refusals
    assert "Only http and https links can be suggested." in out
    assert "Links to private or local network addresses can't be suggested." in out
    assert "Notes can be at most 280 characters; yours has 281." in out
    assert "Suggested #2: https://arxiv.org/abs/2401.12345" in out
    # votes
    assert "Voted for #1 (1 vote)." in out
    assert "You already voted for #1 (1 vote)." in out
    assert "You can't vote for your own suggestion." in out
    assert "Voted for #1 (2 votes)." in out
    assert "You hadn't voted for #2 (0 votes)." in out
    assert "There's no suggestion #9 for the next issue." in out
    assert "The suggestion number must be a whole number from 1, not 'one'." in out
    assert "Unknown command '/frobnicate'." in out
    # curators only
    assert out.count("Only curators can do that.") == 1
    assert (
        "Shortlist for the next issue (cycle 1, open): 2 suggestions\n"
        "  1. 2 votes  #1 https://example.com/post\n"
        "       A great read\n"
        "       suggested by alice\n"
        "  2. 0 votes  #2 https://arxiv.org/abs/2401.12345\n"
        "       attention again\n"
        "       suggested by bob\n"
    ) in out
    assert "  … and 1 more." in out
    assert "Closed cycle 1 with 2 suggestions; its shortlist is frozen." in out
    assert "Shortlist of cycle 1 (closed): 2 suggestions" in out
    assert (
        "1. [https://example.com/post](https://example.com/post) — A great read"
        " (suggested by alice · 2 votes)"
    ) in out
    assert out.rstrip().endswith(
        "Shortlist for the next issue (cycle 2, open): 0 suggestions\n  No suggestions yet."
    )
    assert "Traceback" not in result.stderr


async def test_a_restart_keeps_every_suggestion_vote_and_cycle(
    tmp_path: Path, store: str | Path
) -> None:
    first = await run_bot(
        tmp_path,
        "/as alice\n/suggest https://example.com/a\n/as bob\n/vote 1\n"
        "/as cora curator\n/shortlist close\n/as alice\n/suggest https://example.com/b kept\n",
        on(store),
    )
    assert first.returncode == 0, first.stderr

    second = await run_bot(
        tmp_path, "/as cora curator\n/shortlist\n/shortlist cycle 1\n", on(store)
    )
    assert second.returncode == 0, second.stderr
    assert "Shortlist for the next issue (cycle 2, open): 1 suggestion\n" in second.stdout
    assert "#1 https://example.com/b\n       kept\n" in second.stdout
    assert "Shortlist of cycle 1 (closed): 1 suggestion\n  1. 1 vote   #1" in second.stdout


async def test_quit_stops_reading(tmp_path: Path) -> None:
    result = await run_bot(tmp_path, "/quit\n/help\n")
    assert result.returncode == 0
    assert "Commands:" not in result.stdout


async def test_sigterm_stops_cleanly_with_the_data_kept(tmp_path: Path) -> None:
    process = await start_bot(tmp_path)
    assert process.stdin is not None
    assert process.stdout is not None
    await read_until(process.stdout, "console mode")
    process.stdin.write(b"/suggest https://example.com/kept\n")
    await process.stdin.drain()
    await read_until(process.stdout, "Suggested #1")

    process.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(process.wait(), 10) == 0

    with sqlite3.connect(tmp_path / "bot.sqlite3") as raw:
        assert raw.execute("SELECT url FROM suggestions").fetchall() == [
            ("https://example.com/kept",)
        ]


async def test_ctrl_c_stops_cleanly(tmp_path: Path) -> None:
    process = await start_bot(tmp_path)
    assert process.stdout is not None
    await read_until(process.stdout, "console mode")
    process.send_signal(signal.SIGINT)
    assert await asyncio.wait_for(process.wait(), 10) == 0


async def test_a_malformed_setting_stops_the_bot_with_one_line(tmp_path: Path) -> None:
    result = await run_bot(tmp_path, "", {"SUGGESTIONS_PER_MEMBER": "lots"})
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        "Configuration error: SUGGESTIONS_PER_MEMBER must be a whole number, not 'lots'"
        " (see .env.example)."
    ]


async def test_settings_come_from_the_env_file(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("SUGGESTIONS_PER_MEMBER=1\n")
    result = await run_bot(
        tmp_path, "/suggest https://example.com/a\n/suggest https://example.com/b\n"
    )
    assert "You've made 1 suggestion for the next issue" in result.stdout


async def test_bytes_that_are_not_text_get_a_clear_refusal(tmp_path: Path) -> None:
    session = (
        b"/as alice\n"
        b"/suggest https://example.com/caf\xe9 bad link\n"
        b"/suggest https://example.com/ok bad \xff note\n"
        b"/\xfe\n"
        b"/suggest https://example.com/fine a fine note\n"
    )
    finished = await run_bot(tmp_path, session)
    assert finished.returncode == 0
    assert "That link contains characters that aren't valid text." in finished.stdout
    assert "Your note contains characters that aren't valid text." in finished.stdout
    assert "Unknown command '/\\udcfe'" in finished.stdout
    assert "Suggested #1: https://example.com/fine" in finished.stdout
    assert "Traceback" not in finished.stderr


async def test_members_withdraw_and_rewrite_their_own_suggestions(tmp_path: Path) -> None:
    result = await run_bot(
        tmp_path,
        "/as alice\n/suggest https://example.com/a first\n/note 1 A better note\n"
        "/as bob\n/withdraw 1\n/note 1 mine\n/as alice\n/withdraw 1\n/withdraw 1\n"
        "/as bob\n/suggest example.com/a again\n/as cora curator\n/withdraw 2\n/shortlist\n",
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Updated the note of #1: A better note" in out
    assert out.count("Only alice, who suggested #1, or a curator can") == 2
    assert "Withdrew #1 (https://example.com/a); it is off the ballot" in out
    assert "There's no suggestion #1 for the next issue." in out
    assert "Suggested #2: https://example.com/a" in out  # the link was free again
    assert "Withdrew #2" in out
    assert "0 suggestions" in out


async def test_a_featured_link_is_refused_and_a_curator_adds_it_anyway(tmp_path: Path) -> None:
    feed = tmp_path / "feed.xml"
    item = Item(
        "Issue #7: Monthly links",
        "https://news.example.com/issues/7",
        "nl-7",
        summary='<p><a href="https://example.org/great-read?utm_medium=email">a read</a></p>',
    )
    feed.write_bytes(rss2([item]))
    result = await run_bot(
        tmp_path,
        "/as cora curator\n/poll\n/as alice\n/suggest example.org/great-read\n"
        "/as cora curator\n/suggest anyway https://example.org/great-read kept\n",
        {"FEED_URLS": str(feed)},
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert (
        "That link was already featured in Issue #7: Monthly links: "
        "https://news.example.com/issues/7"
    ) in out
    assert "Suggested #1: https://example.org/great-read\n    kept" in out


async def test_submitters_are_credited_when_their_link_ships(tmp_path: Path) -> None:
    feed = tmp_path / "feed.xml"
    feed.write_bytes(rss2([Item("Issue #1: Monthly links", "https://n.example.com/1", "nl-1")]))
    process = await start_bot(tmp_path, {"FEED_URLS": str(feed)})
    assert process.stdin is not None
    assert process.stdout is not None

    async def say(lines: str, until: str) -> str:
        assert process.stdin is not None
        assert process.stdout is not None
        process.stdin.write(lines.encode())
        await process.stdin.drain()
        return await read_until(process.stdout, until)

    try:
        await say("/as cora curator\n/poll\n", "Checked 1 feed")
        await say("/as alice\n/suggest https://example.org/x?utm_source=a\n", "Suggested #1")
        await say("/as bob\n/suggest https://example.org/y\n", "Suggested #2")
        await say("/as @everyone\n/suggest https://example.org/z\n", "Suggested #3")
        carried = "".join(
            f'<a href="https://example.org/{path}">{path}</a>' for path in ("x", "z", "elsewhere")
        )
        issue_two = Item(
            "Issue #2: Monthly links", "https://n.example.com/2", "nl-2", None, carried
        )
        feed.write_bytes(
            rss2([issue_two, Item("Issue #1: Monthly links", "https://n.example.com/1", "nl-1")])
        )
        announced = await say("/as cora curator\n/poll\n", "Checked 1 feed")
        credits = await say("/shortlist credits\n", "Issue #2")
    finally:
        process.stdin.close()
        await process.wait()
    assert "New issue: Issue #2: Monthly links" in announced
    assert "Thanks to alice and @everyone, whose suggestions made it into this issue." in announced
    assert (
        "Links from the ballot in the latest issues:\n• Issue #2: Monthly links: alice, @everyone"
        in credits
    )


async def test_curators_ask_why_a_suggestion_has_its_count(tmp_path: Path) -> None:
    result = await run_bot(
        tmp_path,
        "/as alice\n/suggest https://example.com/a\n/vote 1\n/as bob\n/vote 1\n"
        "/shortlist why 1\n/as cora curator\n/shortlist why 1\n/shortlist why 9\n",
    )
    assert result.returncode == 0, result.stderr
    assert (
        "#1 https://example.com/a: 1 vote\n"
        "No other submission was merged into it.\n"
        "Reactions that did not count: 1 by its author (console)\n"
    ) in result.stdout
    assert result.stdout.count("Only curators can do that.") == 1
    assert "There's no suggestion #9 for the next issue." in result.stdout
