"""Shared fixtures: real SQLite files in a temporary folder; the core as `build` wires it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import App, Tuning, built
from bot.ballot import Ballot
from bot.settings import Settings
from storage import Database, SqliteCardStore


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    """A bare database, for the storage layer's own tests."""
    database = await Database.open(tmp_path / "bot.sqlite3")
    yield database
    await database.close()


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[App]:
    """The whole bot in console mode (no front end running), on its own SQLite file."""
    settings = Settings(database_path=tmp_path / "app.sqlite3", suggestions_per_member=3)
    async with built(settings, tuning=Tuning(card_refresh_seconds=0.2)) as wired:
        yield wired


@pytest.fixture
def ballot(app: App) -> Ballot:
    return app.ballot


@pytest.fixture
def card_store(app: App) -> SqliteCardStore:
    """Where cards are recorded, for tests that put cards on the ballot by hand."""
    return SqliteCardStore(app.database)
