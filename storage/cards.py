"""Where each suggestion's cards were posted, in SQLite."""

from __future__ import annotations

from bot.models import CardRef, Suggestion
from storage.rows import SUGGESTION_COLUMNS, suggestion_from
from storage.sql import Database, Row


def _card(row: Row) -> CardRef:
    return CardRef(row["platform"], row["channel_id"], row["message_id"])


class SqlCardStore:
    """Implements `bot.ports.CardStore`."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def add_card(self, suggestion_id: int, card: CardRef) -> None:
        await self._db.execute(
            "INSERT INTO cards (platform, channel_id, message_id, suggestion_id)"
            " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (card.platform, card.channel_id, card.message_id, suggestion_id),
        )

    async def cards_of(self, suggestion_id: int) -> list[CardRef]:
        rows = await self._db.fetch_all(
            "SELECT platform, channel_id, message_id FROM cards WHERE suggestion_id = ?",
            (suggestion_id,),
        )
        return [_card(row) for row in rows]

    async def cycle_cards(self, cycle_id: int, platform: str) -> list[tuple[CardRef, Suggestion]]:
        rows = await self._db.fetch_all(
            f"SELECT c.platform, c.channel_id, c.message_id, {SUGGESTION_COLUMNS}"
            " FROM cards c JOIN suggestions s ON s.id = c.suggestion_id"
            " WHERE c.platform = ? AND s.cycle_id = ? AND s.withdrawn_at IS NULL"
            " ORDER BY s.number",
            (platform, cycle_id),
        )
        return [(_card(row), suggestion_from(row)) for row in rows]

    async def stale_cards(self, platform: str) -> list[CardRef]:
        rows = await self._db.fetch_all(
            "SELECT platform, channel_id, message_id FROM cards WHERE platform = ? AND stale = 1",
            (platform,),
        )
        return [_card(row) for row in rows]

    async def mark_fresh(self, card: CardRef) -> None:
        await self._db.execute(
            "UPDATE cards SET stale = 0 WHERE platform = ? AND channel_id = ? AND message_id = ?",
            (card.platform, card.channel_id, card.message_id),
        )
