"""Where each suggestion's cards were posted, and the posts not yet recorded, in SQL."""

from __future__ import annotations

from bot.models import CardRef, Suggestion
from storage.rows import SUGGESTION_COLUMNS, suggestion_from
from storage.sql import Database, Row

_ADD_CARD = (
    "INSERT INTO cards (platform, channel_id, message_id, suggestion_id) VALUES (?, ?, ?, ?)"
    " ON CONFLICT DO NOTHING"
)
_POST_DONE = "DELETE FROM card_posts WHERE suggestion_id = ? AND platform = ? AND channel_id = ?"


def _card(row: Row) -> CardRef:
    return CardRef(row["platform"], row["channel_id"], row["message_id"])


class SqlCardStore:
    """Implements `bot.ports.CardStore`."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def start_card(self, suggestion_id: int, platform: str, channel_id: str) -> None:
        await self._db.execute(
            "INSERT INTO card_posts (suggestion_id, platform, channel_id) VALUES (?, ?, ?)"
            " ON CONFLICT DO NOTHING",
            (suggestion_id, platform, channel_id),
        )

    async def card_posted(self, suggestion_id: int, channel_id: str, card: CardRef) -> None:
        async with self._db.transaction() as transaction:
            await transaction.execute(
                _ADD_CARD, (card.platform, card.channel_id, card.message_id, suggestion_id)
            )
            await transaction.execute(_POST_DONE, (suggestion_id, card.platform, channel_id))

    async def card_not_posted(self, suggestion_id: int, platform: str, channel_id: str) -> None:
        await self._db.execute(_POST_DONE, (suggestion_id, platform, channel_id))

    async def unfinished_cards(self, cycle_id: int, platform: str) -> list[tuple[str, Suggestion]]:
        await self._db.execute(
            "DELETE FROM card_posts WHERE platform = ? AND suggestion_id IN (SELECT id FROM"
            " suggestions WHERE cycle_id <> ? OR withdrawn_at IS NOT NULL)",
            (platform, cycle_id),
        )
        rows = await self._db.fetch_all(
            f"SELECT p.channel_id AS posted_in, {SUGGESTION_COLUMNS}"
            " FROM card_posts p JOIN suggestions s ON s.id = p.suggestion_id"
            " WHERE p.platform = ? AND s.cycle_id = ? ORDER BY s.number",
            (platform, cycle_id),
        )
        return [(row["posted_in"], suggestion_from(row)) for row in rows]

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
