"""What only PostgreSQL has: a server that can drop connections, a password in the URL, several
bots on one database, and moving a whole database between the two kinds."""

from __future__ import annotations

import asyncio
import io
import logging
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest

from bot.app import built
from bot.errors import SelfVote
from bot.models import CardRef, FeedEntry, Member
from storage import DatabaseInUse, SqlCardStore, SqlFeedStore, open_database, redacted
from storage.copying import CopyRefused, copy_data
from storage.leader import PostgresLeader
from storage.migrating import TABLES, migrations
from storage.postgres import PostgresDatabase, numbered
from tests.conftest import settings_on
from tests.postgres import fresh_schema

ALICE = Member("discord", "1", "alice")
BOB = Member("discord", "2", "bob")
CAROL = Member("slack", "U3", "carol")


def test_placeholders_become_numbered() -> None:
    assert numbered("SELECT ? + ?, 'x' WHERE a = ?") == "SELECT $1 + $2, 'x' WHERE a = $3"


def test_the_password_is_never_shown() -> None:
    url = "postgres://shortlist:s3cr%40t@db.example.com:5432/shortlist?sslmode=require"
    assert redacted(url) == "postgres://shortlist:***@db.example.com:5432/shortlist?sslmode=require"
    assert redacted("postgresql://db.example.com/x") == "postgresql://db.example.com/x"
    given = "postgres://bot@db.example.com/x?password=hunter2&sslpassword=pw&search_path=s1"
    assert redacted(given) == (
        "postgres://bot@db.example.com/x?password=***&sslpassword=***&search_path=s1"
    )


async def test_an_unreachable_server_is_reported_without_the_password() -> None:
    url = "postgres://bot:hunter2@127.0.0.1:1/shortlist"
    with pytest.raises(Exception, match=r"127\.0\.0\.1:1/shortlist can't be reached") as caught:
        await PostgresDatabase.open(url)
    assert "hunter2" not in str(caught.value)


async def test_the_bot_keeps_working_after_the_server_drops_its_connections(
    postgres_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with built(settings_on(postgres_url)) as app:
        await app.ballot.suggest(ALICE, "https://example.com/a", "")
        await terminate_connections(postgres_url)  # as a restart or a failover does
        curator = Member("discord", "9", "curator", is_curator=True)
        shortlist = await app.ballot.shortlist(curator, limit=10)  # a read, from the database
        assert [t.suggestion.url for t in shortlist.ranked] == ["https://example.com/a"]
        await terminate_connections(postgres_url)
        assert (await app.ballot.suggest(BOB, "https://example.com/b", "")).suggestion.number == 2
        with caplog.at_level(logging.INFO, "storage.leader"):
            async with asyncio.timeout(15):  # the lock's keeper notices, takes the lock again
                while "The bot's lock is held again" not in caplog.text:  # noqa: ASYNC110
                    await asyncio.sleep(0.1)
        assert not app.lock.lost.is_set()


async def drop_the_lock_session(url: str) -> None:
    """The server drops the active bot's lock connection (a restart, a network cut)."""
    await _terminate(url, "application_name LIKE 'shortlist (pid %'")


async def terminate_connections(url: str) -> None:
    """The server drops every connection to the database but this one (a restart, a failover)."""
    await _terminate(url, "datname = current_database() AND pid != pg_backend_pid()")


async def _terminate(url: str, which: str) -> None:
    connection = await asyncpg.connect(url)
    try:
        await connection.execute(
            f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE {which}"
        )
    finally:
        await connection.close()


async def test_a_second_bot_stands_by_until_the_first_lets_go(postgres_url: str) -> None:
    first, second = PostgresLeader(postgres_url), PostgresLeader(postgres_url)
    await first.acquire()
    waiting = asyncio.create_task(second.acquire())
    await asyncio.sleep(1.5)
    assert not waiting.done()
    first.release()
    await asyncio.wait_for(waiting, 5)
    second.release()


async def test_migrations_run_once_when_two_bots_start_together(postgres_url: str) -> None:
    databases = await asyncio.gather(*(PostgresDatabase.open(postgres_url) for _ in range(3)))
    try:
        rows = await databases[0].fetch_all("SELECT version FROM schema_migrations ORDER BY 1")
        assert [row[0] for row in rows] == [version for version, _ in migrations("postgres")]
    finally:
        await asyncio.gather(*(database.close() for database in databases))


async def test_another_programs_database_is_refused(postgres_url: str) -> None:
    connection = await asyncpg.connect(postgres_url)
    await connection.execute("CREATE TABLE invoices (id integer)")
    await connection.close()
    with pytest.raises(Exception, match="another program's tables"):
        await PostgresDatabase.open(postgres_url)


async def populate(location: str | Path) -> None:
    """A database with something in every table, made the way the bot makes it."""
    now = datetime(2026, 11, 30, 12, 0, 0, 123456, tzinfo=UTC)
    async with built(settings_on(location)) as app:
        ballot = app.ballot
        first = (await ballot.suggest(ALICE, "https://example.com/a?utm_source=x", "a")).suggestion
        second = (await ballot.suggest(CAROL, "https://example.com/b", "b")).suggestion
        for voter in (BOB, CAROL):
            await ballot.vote(voter, first.number)
        await ballot.vote(ALICE, second.number)
        with pytest.raises(SelfVote):  # noted as a vote that did not count
            await ballot.vote(CAROL, second.number)
        cards = SqlCardStore(app.database)
        await cards.card_posted(first.id, "55", CardRef("discord", "55", "66"))
        await cards.start_card(second.id, "slack", "C2")  # a post a crash cut short
        feeds = SqlFeedStore(app.database)
        feed = await feeds.add_feed("https://news.example.com/feed")
        await feeds.save_fetch(
            feed.id,
            fetch_url=feed.source,
            title="News",
            etag='"v1"',
            last_modified=None,
            body_sha256="ab",
            now=now,
        )
        link = "https://news.example.com/1"
        identities = (("key", "1"), ("link", "//news.example.com/1"), ("title", "issue 1"))
        featured = (("https://example.com/a", "//example.com/a"),)
        entry = FeedEntry("1", "Issue 1", link, now, "Ten links", identities, featured)
        targets = [("discord", "7"), ("slack", "C1")]
        entry_id = await feeds.record_entry(
            feed.id, entry, announced=True, targets=targets, now=now
        )
        await feeds.start_delivery(entry_id, "discord", "7", now)
        await feeds.mark_delivered(entry_id, "discord", "7", "msg-1", now)


async def dump(location: str | Path) -> dict[str, list[tuple[object, ...]]]:
    database = await open_database(location)
    try:
        return {
            table: sorted(
                tuple(str(value) if isinstance(value, datetime) else value for value in row)
                for row in await database.fetch_all(f"SELECT * FROM {table}")
            )
            for table in sorted(TABLES)  # every table the schema has
        }
    finally:
        await database.close()


async def test_copy_data_round_trips_sqlite_postgres_sqlite(
    tmp_path: Path, postgres_url: str
) -> None:
    original, back = tmp_path / "original.sqlite3", tmp_path / "back.sqlite3"
    await populate(original)
    copied = await copy_data(original, postgres_url)
    assert copied["votes"] == 3
    assert copied["suggestions"] == 2
    assert copied["deliveries"] == 2
    assert copied["featured_links"] == 1
    assert copied["uncounted_votes"] == 1
    assert copied["card_posts"] == 1
    await copy_data(postgres_url, back)
    assert await dump(back) == await dump(original)
    async with built(settings_on(postgres_url)) as app:  # the copy runs, ids carry on
        made = (await app.ballot.suggest(BOB, "https://example.com/c", "")).suggestion
        assert made.number == 3
        assert (await app.ballot.vote(CAROL, made.number)).tally.votes == 1


async def test_copy_data_refuses_a_target_with_data(tmp_path: Path, postgres_url: str) -> None:
    source = tmp_path / "source.sqlite3"
    await populate(source)
    await populate(postgres_url)
    with pytest.raises(CopyRefused, match="not empty"):
        await copy_data(source, postgres_url)


async def test_copy_data_refuses_while_a_bot_runs(tmp_path: Path, postgres_url: str) -> None:
    async with built(settings_on(postgres_url)):
        with pytest.raises(DatabaseInUse, match=r"Another Shortlist \(shortlist \(pid"):
            await copy_data(postgres_url, tmp_path / "copy.sqlite3")


async def test_two_schemas_are_two_databases(postgres_database: str) -> None:
    one, two = await fresh_schema(postgres_database), await fresh_schema(postgres_database)
    first, second = PostgresLeader(one), PostgresLeader(two)
    await first.acquire()
    await asyncio.wait_for(second.acquire(), 3)  # different schemas: different locks
    first.release()
    second.release()


async def test_a_bot_that_lost_the_lock_announces_nothing_at_once(postgres_url: str) -> None:
    """Split brain: a standby takes over within a second of the lock's session dropping, and
    the old leader must not post what the new one is posting, even before its next lock check
    (every 3 s): its lock is confirmed right before each rollover and post."""
    out = io.StringIO()
    async with built(settings_on(postgres_url), stdout=out) as app:
        feeds = SqlFeedStore(app.database)
        feed = await feeds.add_feed("https://news.example.com/feed")
        now = datetime.now(UTC)
        entry = FeedEntry("1", "Issue 1", "https://news.example.com/1", now, "Ten links", (), ())
        await feeds.record_entry(
            feed.id, entry, announced=True, targets=[("console", "console")], now=now
        )
        other = PostgresLeader(postgres_url)
        await drop_the_lock_session(postgres_url)
        await asyncio.wait_for(other.acquire(), 5)
        try:
            await app.announcer.deliver()
            assert "Issue 1" not in out.getvalue()
            assert app.lock.lost.is_set()
            assert (await app.ballot.current_cycle()).id == 1  # no rollover either
        finally:
            other.release()


async def test_a_bot_whose_lock_was_taken_over_is_told_to_stop(postgres_url: str) -> None:
    async with built(settings_on(postgres_url)) as app:
        other = PostgresLeader(postgres_url)
        await drop_the_lock_session(postgres_url)  # and another bot is quicker
        await asyncio.wait_for(other.acquire(), 5)
        await asyncio.wait_for(app.lock.lost.wait(), 10)
        other.release()
