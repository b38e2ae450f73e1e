"""Bad settings and bad environments, as operators make them: each gets one clear line per
problem, exit status 2, no traceback, and nothing is touched."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from storage.migrating import migrations
from tests.process import run_bot

Setup = Callable[[Path], dict[str, str]]


def _folder(tmp: Path) -> dict[str, str]:
    (tmp / "db").mkdir()
    return {"DATABASE_PATH": str(tmp / "db")}


def _under_a_file(tmp: Path) -> dict[str, str]:
    (tmp / "notes.txt").write_text("not a folder")
    return {"DATABASE_PATH": str(tmp / "notes.txt" / "bot.sqlite3")}


def _not_sqlite(tmp: Path) -> dict[str, str]:
    (tmp / "bot.sqlite3").write_text("name,votes\nalice,3\n" * 100)
    return {}


def _corrupt(tmp: Path) -> dict[str, str]:
    path = tmp / "bot.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA user_version = 3")
        db.execute("CREATE TABLE cycles (id INTEGER PRIMARY KEY, note TEXT)")
        db.executemany("INSERT INTO cycles (note) VALUES (?)", [("x" * 500,)] * 200)
    data = bytearray(path.read_bytes())
    data[4096:8192] = b"\xde\xad\xbe\xef" * 1024  # a page of garbage
    path.write_bytes(bytes(data))
    return {}


def _newer(tmp: Path) -> dict[str, str]:
    with sqlite3.connect(tmp / "bot.sqlite3") as db:
        db.execute("CREATE TABLE cycles (id INTEGER PRIMARY KEY)")
        db.execute("PRAGMA user_version = 99")
    return {}


def _foreign(tmp: Path) -> dict[str, str]:
    with sqlite3.connect(tmp / "bot.sqlite3") as db:
        db.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY)")
    return {}


def _missing_a_table(tmp: Path) -> dict[str, str]:
    path = tmp / "bot.sqlite3"
    with sqlite3.connect(path) as db:
        for version, script in migrations("sqlite"):
            db.executescript(script + f"\nPRAGMA user_version = {version};")
        db.execute("DROP TABLE card_posts")
    db.close()
    return {}


def _env_not_utf8(tmp: Path) -> dict[str, str]:
    (tmp / ".env").write_bytes(b"FEED_URLS=https://news.example.com/caf\xe9\n")
    return {}


def snapshot(folder: Path, database: Path) -> tuple[set[str], bytes | None]:
    """The folder's files, and the database file's bytes if there is one."""
    content = database.read_bytes() if database.is_file() else None
    return {path.name for path in folder.iterdir()}, content


CASES: list[tuple[str, Setup, list[str]]] = [
    ("database path is a folder", _folder, ["DATABASE_PATH is the folder"]),
    ("database under a file", _under_a_file, ["DATABASE_PATH", "can't be created"]),
    (
        "read-only place",
        lambda _: {"DATABASE_PATH": "/proc/shortlist/bot.sqlite3"},
        ["DATABASE_PATH", "can't be"],
    ),
    ("not a SQLite file", _not_sqlite, ["DATABASE_PATH", "is not a SQLite database"]),
    ("corrupt", _corrupt, ["DATABASE_PATH", "damaged"]),
    ("newer schema", _newer, ["DATABASE_PATH", "newer Shortlist (schema 99"]),
    ("another program's database", _foreign, ["DATABASE_PATH", "another program's"]),
    ("a table missing", _missing_a_table, ["DATABASE_PATH", "the tables card_posts are missing"]),
    (".env not UTF-8", _env_not_utf8, [".env is not UTF-8 text (byte 0xe9 at position 38)"]),
    (
        "SQLite on a host that wipes its disk",
        lambda _: {"DYNO": "worker.1"},
        ["DATABASE_URL is needed on Heroku (DYNO is set)", "ALLOW_EPHEMERAL_DISK=true"],
    ),
    (
        "a password as a URL parameter",
        lambda _: {"DATABASE_URL": "postgres://bot@127.0.0.1:1/shortlist?password=hunter2"},
        ["DATABASE_URL postgres://bot@127.0.0.1:1/shortlist?password=***"],
    ),
    (
        "database URL of another kind",
        lambda _: {"DATABASE_URL": "mysql://bot:pw@db.example.com/shortlist"},
        ["DATABASE_URL must be a postgres:// or postgresql:// URL"],
    ),
    (
        "database URL and path both",
        lambda tmp: {
            "DATABASE_URL": "postgres://bot@db.example.com/shortlist",
            "DATABASE_PATH": str(tmp / "bot.sqlite3"),
        },
        ["DATABASE_PATH is set as well as DATABASE_URL"],
    ),
    (
        "database server unreachable, password kept secret",
        lambda _: {"DATABASE_URL": "postgres://bot:hunter2@127.0.0.1:1/shortlist"},
        ["DATABASE_URL postgres://bot:***@127.0.0.1:1/shortlist can't be reached"],
    ),
    (
        "feed URL typo",
        lambda _: {"FEED_URLS": "htp://news.example.com/feed"},
        ["FEED_URLS has 'htp://news.example.com/feed'"],
    ),
    (
        "feed file missing",
        lambda _: {"FEED_URLS": "example.com/feed.xml"},
        ["FEED_URLS has 'example.com/feed.xml': neither an http(s) URL nor an existing file"],
    ),
    (
        "feeds with spaces",
        lambda _: {"FEED_URLS": "https://a.example/f https://b.example/f"},
        ["FEED_URLS separates feeds with commas"],
    ),
    (
        "feeds with semicolons",
        lambda _: {"FEED_URLS": "https://a.example/f;https://b.example/f"},
        ["FEED_URLS separates feeds with commas"],
    ),
    ("poll too often", lambda _: {"FEED_POLL_SECONDS": "5"}, ["FEED_POLL_SECONDS must be between"]),
    (
        "poll too rarely",
        lambda _: {"FEED_POLL_SECONDS": "99999999"},
        ["FEED_POLL_SECONDS must be between 10 and 604800"],
    ),
    (
        "emoji shortcode",
        lambda _: {"DISCORD_TOKEN": "abc.def", "VOTE_EMOJI": ":upvote_me:"},
        ["VOTE_EMOJI must be the emoji itself"],
    ),
    (
        "Slack reaction",
        lambda _: {
            "SLACK_BOT_TOKEN": "xoxb-1",
            "SLACK_APP_TOKEN": "xapp-1",
            "SLACK_VOTE_REACTION": "thumbs up",
        },
        ["SLACK_VOTE_REACTION must be a reaction name"],
    ),
]


@pytest.mark.parametrize(("case", "setup", "says"), CASES, ids=[case for case, _, _ in CASES])
async def test_a_bad_setting_is_one_line_and_exit_2(
    tmp_path: Path, case: str, setup: Setup, says: list[str]
) -> None:
    environ = setup(tmp_path)
    database = Path(environ.get("DATABASE_PATH", tmp_path / "bot.sqlite3"))
    before = snapshot(tmp_path, database)
    finished = await run_bot(tmp_path, "/as alice\n", environ)
    assert finished.returncode == 2, finished.stderr
    lines = finished.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert all(part in lines[0] for part in says), lines[0]
    assert "Traceback" not in finished.stderr
    assert "hunter2" not in finished.stderr
    assert finished.stdout == ""
    after = snapshot(tmp_path, database)
    assert after[1] == before[1]  # nothing touched
    assert after[0] - before[0] <= {"bot.sqlite3.lock"}  # nothing made but the lock file


async def test_every_problem_is_one_line_all_at_once(tmp_path: Path) -> None:
    environ = {"FEED_POLL_SECONDS": "soon", "FEED_URLS": "htp://x", "SUGGESTIONS_PER_MEMBER": "0"}
    finished = await run_bot(tmp_path, "", environ)
    assert finished.returncode == 2
    lines = finished.stderr.strip().splitlines()
    assert [line.split()[2] for line in lines] == [
        "SUGGESTIONS_PER_MEMBER",
        "FEED_URLS",
        "FEED_POLL_SECONDS",
    ]
    assert all(line.startswith("Configuration error: ") for line in lines)


async def test_a_typo_in_env_is_named_with_the_closest_setting(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        "FEED_URL=https://news.example.com/feed\nSUGGESTIONS_PER_MEMBER=3\n"
    )
    finished = await run_bot(tmp_path, "/quit\n")
    assert finished.returncode == 0
    assert (
        "Warning: FEED_URL is not a setting Shortlist reads; did you mean FEED_URLS?"
        in finished.stderr
    )
