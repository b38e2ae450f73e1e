"""Shared fixtures: every store test and core test runs on a real SQLite file and on a real
PostgreSQL database (see tests/postgres.py); the core as `build` wires it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.app import App, Tuning, built
from bot.ballot import Ballot
from bot.models import CardRef, Cast, Counted, Member
from bot.settings import Settings
from storage import Database, SqlCardStore, is_database_url, open_database
from tests.postgres import fresh_schema, run_database

STORES = ["sqlite", "postgres"]


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """This run's PostgreSQL database (created and dropped by the suite)."""
    yield from run_database()


@pytest.fixture
async def postgres_url(postgres_database: str) -> str:
    """A DATABASE_URL naming an empty schema of its own."""
    return await fresh_schema(postgres_database)


@pytest.fixture(params=STORES)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> str | Path:
    """Where a test's data lives: a SQLite file, or a PostgreSQL URL."""
    if request.param == "sqlite":
        return tmp_path / "bot.sqlite3"
    url: str = request.getfixturevalue("postgres_url")
    return url


async def react(ballot: Ballot, card: CardRef, member: Member, *, add: bool = True) -> Counted:
    """A reaction on `card` (or its removal) through the entrance the front ends use, waited
    for: its tally is None when the card isn't the open cycle's or a bot reacted."""
    cast = Cast(member.platform, member.id, add, card=card, bot=member.is_bot)
    counted = await ballot.reactions.cast(cast)
    await ballot.reactions.settle()  # its tally announced to the cards, its author answered
    return counted


def settings_on(store: str | Path, **more: Any) -> Settings:
    """Settings whose database is `store` (page titles off: no test reaches the internet)."""
    more.setdefault("link_previews", False)
    if is_database_url(store):
        return Settings(database_url=str(store), **more)
    return Settings(database_path=Path(store), **more)


@pytest.fixture
async def database(store: str | Path) -> AsyncIterator[Database]:
    """A bare database, for the storage layer's own tests."""
    database = await open_database(store)
    yield database
    await database.close()


@pytest.fixture
async def app(store: str | Path) -> AsyncIterator[App]:
    """The whole bot in console mode (no front end running), on its own database."""
    settings = settings_on(store, suggestions_per_member=3)
    async with built(settings, tuning=Tuning(card_refresh_seconds=0.2)) as wired:
        yield wired


@pytest.fixture
def ballot(app: App) -> Ballot:
    return app.ballot


@pytest.fixture
def card_store(app: App) -> SqlCardStore:
    """Where cards are recorded, for tests that put cards on the ballot by hand."""
    return SqlCardStore(app.database)
