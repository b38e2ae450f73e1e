"""copy-data as an operator meets it: a typo never creates anything, the source is never
changed, a failed copy leaves the target empty, and a large copy goes through in chunks."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import asyncpg
import pytest

from bot.app import built
from storage import DatabaseInUse, open_database
from storage.copying import CopyRefused, copy_data
from storage.migrating import migrations
from storage.sources import CHUNK
from tests.conftest import settings_on
from tests.storage.test_postgres import dump, populate


def _listing(folder: Path) -> set[str]:
    return {entry.name for entry in folder.iterdir()}


async def test_a_missing_source_is_refused_and_nothing_is_created(tmp_path: Path) -> None:
    with pytest.raises(CopyRefused, match=r"there is no database at .*nothere\.sqlite3"):
        await copy_data(tmp_path / "nothere.sqlite3", tmp_path / "copy.sqlite3")
    assert _listing(tmp_path) == set()


async def test_a_source_that_is_not_shortlists_is_refused(tmp_path: Path) -> None:
    other = tmp_path / "other.sqlite3"
    with sqlite3.connect(other) as connection:
        connection.execute("CREATE TABLE notes (x)")
    with pytest.raises(CopyRefused, match="is not a Shortlist database"):
        await copy_data(other, tmp_path / "copy.sqlite3")
    text = tmp_path / "notes.txt"
    text.write_text("hello, not a database\n" * 100)
    with pytest.raises(CopyRefused, match="is not a SQLite database"):
        await copy_data(text, tmp_path / "copy.sqlite3")
    assert _listing(tmp_path) == {"other.sqlite3", "notes.txt"}


@pytest.mark.parametrize(
    ("target", "why"),
    [
        ("mysql://db.example.com/x", "not a mysql:// URL"),
        ("postgress://db.example.com/x", "not a postgress:// URL"),
        ("missing/folder/copy.sqlite3", "the folder missing/folder does not exist"),
        (".", "is a folder"),
    ],
)
async def test_a_target_that_cannot_be_one_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, target: str, why: str
) -> None:
    source = tmp_path / "source.sqlite3"
    await populate(source)
    before = _listing(tmp_path)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(CopyRefused, match=why):
        await copy_data(source, target)
    assert _listing(tmp_path) == before  # no `mysql:` folder, no lock file


async def test_the_same_file_by_another_name_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "bot.sqlite3"
    await populate(source)
    (tmp_path / "alias.sqlite3").symlink_to(source)
    with pytest.raises(CopyRefused, match="the same database"):
        await copy_data(source, tmp_path / "alias.sqlite3")


async def test_an_older_source_is_copied_without_being_changed(tmp_path: Path) -> None:
    """A source written by an older Shortlist is migrated in a private copy, never in place;
    a file the bot closed cleanly gets no -wal or -shm beside it either."""
    source = tmp_path / "old" / "bot.sqlite3"
    source.parent.mkdir()
    older = migrations("sqlite")[-2][0]
    with sqlite3.connect(source) as connection:
        for version, script in migrations("sqlite")[:older]:
            connection.executescript(script + f"\nPRAGMA user_version = {version};")
        connection.execute(
            "INSERT INTO cycles (id, opened_at) VALUES (1, '2026-11-01T00:00:00+00:00')"
        )
    connection.close()
    before = source.read_bytes()
    copied = await copy_data(source, tmp_path / "copy.sqlite3")
    assert copied["cycles"] == 1
    assert source.read_bytes() == before
    assert _listing(source.parent) == {"bot.sqlite3"}
    copy = await open_database(tmp_path / "copy.sqlite3")
    try:
        assert await copy.schema_version() == migrations("sqlite")[-1][0]
    finally:
        await copy.close()


async def test_a_source_a_bot_is_running_on_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "bot.sqlite3"
    async with built(settings_on(source)):
        with pytest.raises(DatabaseInUse, match="Another Shortlist"):
            await copy_data(source, tmp_path / "copy.sqlite3")
    assert not (tmp_path / "copy.sqlite3").exists()


def _add_votes(path: Path, count: int) -> None:
    """`count` more votes on the first suggestion, written as the bot writes them."""
    with sqlite3.connect(path) as connection:
        connection.executemany(
            "INSERT INTO votes (suggestion_id, platform, voter_id, created_at)"
            " VALUES (1, 'discord', ?, '2026-11-30T12:00:00+00:00')",
            ((f"v{n}",) for n in range(count)),
        )
    connection.close()


class Interrupt(Exception):
    pass


async def test_a_copy_that_fails_midway_leaves_the_target_empty(
    tmp_path: Path, postgres_url: str
) -> None:
    source = tmp_path / "source.sqlite3"
    await populate(source)
    _add_votes(source, CHUNK * 2 + 10)

    def fail_in_votes(table: str, done: int, total: int) -> None:
        if table == "votes" and done > CHUNK:
            raise Interrupt

    for target in (tmp_path / "copy.sqlite3", postgres_url):
        with pytest.raises(Interrupt):
            await copy_data(source, target, fail_in_votes)
    assert not (tmp_path / "copy.sqlite3").exists()
    assert not (tmp_path / "copy.sqlite3.lock").exists()
    connection = await asyncpg.connect(postgres_url)
    try:
        for table in ("cycles", "suggestions", "votes", "tallies"):
            assert await connection.fetchval(f"SELECT COUNT(*) FROM {table}") == 0
    finally:
        await connection.close()
    copied = await copy_data(source, postgres_url)  # the emptied target takes the copy
    assert copied["votes"] == CHUNK * 2 + 10 + 3


async def test_many_votes_go_through_in_chunks_both_ways(tmp_path: Path, postgres_url: str) -> None:
    source, back = tmp_path / "source.sqlite3", tmp_path / "back.sqlite3"
    await populate(source)
    _add_votes(source, CHUNK * 3 + 7)
    seen: list[tuple[str, int, int]] = []
    copied = await copy_data(source, postgres_url, lambda *step: seen.append(step))
    assert copied["votes"] == CHUNK * 3 + 10
    assert ("votes", CHUNK * 3 + 10, CHUNK * 3 + 10) in seen
    assert [done for table, done, _ in seen if table == "votes"] == sorted(
        done for table, done, _ in seen if table == "votes"
    )
    await copy_data(postgres_url, back)
    assert await dump(back) == await dump(source)


async def test_a_postgresql_source_is_read_without_being_changed(
    tmp_path: Path, postgres_url: str
) -> None:
    """An older schema is migrated inside the reading transaction, which is rolled back."""
    older = migrations("postgres")[-2][0]
    connection = await asyncpg.connect(postgres_url)
    try:
        await connection.execute(
            "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY,"
            " applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
        )
        for version, script in migrations("postgres")[:older]:
            await connection.execute(script)
            await connection.execute("INSERT INTO schema_migrations (version) VALUES ($1)", version)
        await connection.execute("INSERT INTO cycles (id, opened_at) VALUES (1, now())")
        copied = await copy_data(postgres_url, tmp_path / "copy.sqlite3")
        assert copied["cycles"] == 1
        assert await connection.fetchval("SELECT MAX(version) FROM schema_migrations") == older
    finally:
        await connection.close()
    elsewhere = postgres_url.replace("search_path=", "search_path=nothing_")
    with pytest.raises(CopyRefused, match=r"names a schema .* that does not exist"):
        await copy_data(elsewhere, tmp_path / "other.sqlite3")
    with pytest.raises(CopyRefused, match="holds no Shortlist database"):
        await copy_data(postgres_url.split("?")[0], tmp_path / "other.sqlite3")
    assert _listing(tmp_path) == {"copy.sqlite3", "copy.sqlite3.lock"}
