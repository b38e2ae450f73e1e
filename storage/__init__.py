"""SQLite storage: one connection, numbered migrations, repositories returning core dataclasses."""

from storage.ballot import SqliteBallotStore
from storage.cards import SqliteCardStore
from storage.database import Database, UnusableDatabase
from storage.feeds import SqliteFeedStore
from storage.lock import DatabaseInUse, DatabaseLock
from storage.relink import LinkRules, relink
from storage.state import SqliteBotState

__all__ = [
    "Database",
    "DatabaseInUse",
    "DatabaseLock",
    "LinkRules",
    "SqliteBallotStore",
    "SqliteBotState",
    "SqliteCardStore",
    "SqliteFeedStore",
    "UnusableDatabase",
    "relink",
]
