"""Storage behind the core's protocols, on SQLite (the embedded default) or PostgreSQL: one set of
stores writing portable SQL, numbered migrations per dialect, models handed back to the core."""

from storage.ballot import SqlBallotStore
from storage.cards import SqlCardStore
from storage.feeds import SqlFeedStore
from storage.lock import BotLock, DatabaseInUse, DatabaseLock
from storage.opening import open_database, open_for_bot
from storage.postgres import PostgresDatabase, is_database_url, redacted
from storage.relink import LinkRules, relink
from storage.sql import Database, UnusableDatabase
from storage.sqlite import SqliteDatabase
from storage.state import SqlBotState, SqlRequestLedger

__all__ = [
    "BotLock",
    "Database",
    "DatabaseInUse",
    "DatabaseLock",
    "LinkRules",
    "PostgresDatabase",
    "SqlBallotStore",
    "SqlBotState",
    "SqlCardStore",
    "SqlFeedStore",
    "SqlRequestLedger",
    "SqliteDatabase",
    "UnusableDatabase",
    "is_database_url",
    "open_database",
    "open_for_bot",
    "redacted",
    "relink",
]
