"""SQLite storage: one connection, numbered migrations, repositories returning core dataclasses."""

from storage.ballot import SqliteBallotStore
from storage.cards import SqliteCardStore
from storage.database import Database
from storage.feeds import SqliteFeedStore

__all__ = ["Database", "SqliteBallotStore", "SqliteCardStore", "SqliteFeedStore"]
