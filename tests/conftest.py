"""Shared fixtures: real SQLite files in a temporary folder, the real core on top."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.ballot import Ballot
from storage import Database, SqliteBallotStore


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "bot.sqlite3")
    yield database
    await database.close()


@pytest.fixture
def store(database: Database) -> SqliteBallotStore:
    return SqliteBallotStore(database)


@pytest.fixture
def ballot(store: SqliteBallotStore) -> Ballot:
    return Ballot(store, suggestions_per_member=3)
