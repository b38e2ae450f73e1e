"""Small facts the bot remembers about itself between runs (which commands it last synced,
say), in the `meta` table."""

from __future__ import annotations

from datetime import datetime, timedelta

from storage.sql import Database, stamp


class SqlBotState:
    """Implements `bot.ports.BotState`."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def recall(self, name: str) -> str | None:
        row = await self._db.fetch_one("SELECT value FROM meta WHERE name = ?", (name,))
        return None if row is None else str(row[0])

    async def remember(self, name: str, value: str) -> None:
        await self._db.execute(
            "INSERT INTO meta (name, value) VALUES (?, ?)"
            " ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            (name, value),
        )


class SqlRequestLedger:
    """Implements `bot.ports.RequestLedger`."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def first_time(self, key: str, now: datetime, keep: timedelta) -> bool:
        async with self._db.transaction() as transaction:
            await transaction.execute(
                "DELETE FROM slack_requests WHERE seen_at < ?",
                (stamp(transaction.dialect, now - keep),),
            )
            added = await transaction.execute(
                "INSERT INTO slack_requests (signature, seen_at) VALUES (?, ?)"
                " ON CONFLICT (signature) DO NOTHING",
                (key, stamp(transaction.dialect, now)),
            )
        return added == 1
