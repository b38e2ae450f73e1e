"""Feeds, their entries' identities and announcement deliveries."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from bot.models import Announcement, Credit, Delivery, FeedEntry, FeedState
from storage.sql import Database, Row, Transaction, insert_rows, maybe_moment, one_of

_ANNOUNCEMENT_COLUMNS = (
    "e.id AS entry_id, f.source AS feed_source, f.title AS feed_title, e.title, e.link,"
    " e.published_at, e.summary"
)


def _feed(row: Row) -> FeedState:
    return FeedState(
        id=row["id"],
        source=row["source"],
        fetch_url=row["fetch_url"],
        title=row["title"],
        etag=row["etag"],
        last_modified=row["last_modified"],
        body_sha256=row["body_sha256"],
        last_success_at=maybe_moment(row["last_success_at"]),
        last_error=row["last_error"],
        last_error_at=maybe_moment(row["last_error_at"]),
        failures=row["failures"],
        alerted=bool(row["alerted"]),
        disabled_at=maybe_moment(row["disabled_at"]),
        entries=row["entries"],
    )


def _announcement(row: Row) -> Announcement:
    return Announcement(
        entry_id=row["entry_id"],
        feed_source=row["feed_source"],
        feed_title=row["feed_title"],
        title=row["title"],
        link=row["link"],
        published=maybe_moment(row["published_at"]),
        summary=row["summary"],
    )


class SqlFeedStore:
    """Implements `bot.ports.FeedStore`."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def feed(self, source: str) -> FeedState | None:
        return await self._feed_where("f.source = ?", source)

    async def _feed_where(self, condition: str, value: object) -> FeedState | None:
        row = await self._db.fetch_one(
            "SELECT f.*, (SELECT COUNT(*) FROM feed_entries e WHERE e.feed_id = f.id) AS entries"
            f" FROM feeds f WHERE {condition}",
            (value,),
        )
        return _feed(row) if row is not None else None

    async def add_feed(self, source: str) -> FeedState:
        await self._db.execute(
            "INSERT INTO feeds (source, fetch_url) VALUES (?, ?) ON CONFLICT DO NOTHING",
            (source, source),
        )
        feed = await self.feed(source)
        assert feed is not None
        return feed

    async def save_fetch(
        self,
        feed_id: int,
        *,
        fetch_url: str,
        title: str,
        etag: str | None,
        last_modified: str | None,
        body_sha256: str | None,
        now: datetime,
    ) -> None:
        await self._db.execute(
            "UPDATE feeds SET fetch_url = ?, title = ?, etag = ?, last_modified = ?,"
            " body_sha256 = ?, last_success_at = ?, failures = 0, alerted = 0, disabled_at = NULL"
            " WHERE id = ?",
            (fetch_url, title, etag, last_modified, body_sha256, now, feed_id),
        )

    async def clear_failures(self, feed_id: int, now: datetime) -> None:
        await self._db.execute(
            "UPDATE feeds SET failures = 0, alerted = 0, disabled_at = NULL, last_success_at = ?"
            " WHERE id = ?",
            (now, feed_id),
        )

    async def record_failure(self, feed_id: int, error: str, now: datetime) -> FeedState:
        await self._db.execute(
            "UPDATE feeds SET failures = failures + 1, last_error = ?, last_error_at = ?"
            " WHERE id = ?",
            (error, now, feed_id),
        )
        feed = await self._feed_where("f.id = ?", feed_id)
        assert feed is not None
        return feed

    async def mark_alerted(self, feed_id: int) -> None:
        await self._db.execute("UPDATE feeds SET alerted = 1 WHERE id = ?", (feed_id,))

    async def set_disabled(self, feed_id: int, disabled_at: datetime | None) -> None:
        await self._db.execute(
            "UPDATE feeds SET disabled_at = ? WHERE id = ?",
            (disabled_at, feed_id),
        )

    async def known_identities(self, feed_id: int) -> dict[tuple[str, str], int]:
        rows = await self._db.fetch_all(
            "SELECT kind, value, entry_id FROM feed_identities WHERE feed_id = ?", (feed_id,)
        )
        return {(row["kind"], row["value"]): row["entry_id"] for row in rows}

    async def remember_identities(
        self, feed_id: int, seen: Sequence[tuple[int, FeedEntry]]
    ) -> None:
        async with self._db.transaction() as transaction:
            await _identify(transaction, feed_id, seen)

    async def record_entry(
        self,
        feed_id: int,
        entry: FeedEntry,
        *,
        announced: bool,
        targets: Collection[tuple[str, str]],
        now: datetime,
    ) -> int:
        async with self._db.transaction() as transaction:
            row = await transaction.fetch_one(
                "INSERT INTO feed_entries (feed_id, title, link, published_at, summary, seen_at,"
                " announced) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (
                    feed_id,
                    entry.title,
                    entry.link,
                    entry.published,
                    entry.summary,
                    now,
                    int(announced),
                ),
            )
            assert row is not None
            entry_id: int = row[0]
            await _identify(transaction, feed_id, [(entry_id, entry)])
            if announced:
                await transaction.execute_many(
                    "INSERT INTO deliveries (entry_id, platform, channel_id, created_at)"
                    " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    [(entry_id, platform, channel, now) for platform, channel in targets],
                )
        return entry_id

    async def credits(self, entry_ids: Sequence[int]) -> list[Credit]:
        if not entry_ids:
            return []
        among, params = one_of(self._db.dialect, "e.id", "bigint", list(entry_ids))
        rows = await self._db.fetch_all(
            "SELECT e.id, e.title, e.link, e.published_at, s.author_name, MIN(s.number) AS first"
            " FROM feed_entries e JOIN cycles y ON y.issue_link = e.link AND e.link != ''"
            " JOIN featured_links f ON f.entry_id = e.id"
            " JOIN suggestions s ON s.cycle_id = y.id AND s.link_key = f.link_key"
            f" AND s.withdrawn_at IS NULL WHERE {among}"
            " GROUP BY e.id, e.title, e.link, e.published_at, s.author_platform, s.author_id,"
            " s.author_name ORDER BY e.id DESC, first",
            params,
        )
        credits: dict[int, Credit] = {}
        for row in rows:
            known = credits.get(row["id"])
            names = (*known.names, row["author_name"]) if known else (row["author_name"],)
            credits[row["id"]] = Credit(
                row["id"], row["title"], row["link"], maybe_moment(row["published_at"]), names
            )
        return list(credits.values())

    async def recent_entries(self, limit: int) -> list[int]:
        rows = await self._db.fetch_all(
            "SELECT e.id FROM feed_entries e JOIN cycles y ON y.issue_link = e.link"
            " WHERE e.link != '' ORDER BY e.id DESC LIMIT ?",
            (limit,),
        )
        return [row[0] for row in rows]

    async def unrolled_entries(self) -> list[Announcement]:
        rows = await self._db.fetch_all(
            f"SELECT {_ANNOUNCEMENT_COLUMNS} FROM feed_entries e JOIN feeds f ON f.id = e.feed_id"
            " WHERE e.announced = 1 AND e.cycle_rolled = 0 ORDER BY e.id"
        )
        return [_announcement(row) for row in rows]

    async def mark_rolled(self, entry_id: int) -> None:
        await self._db.execute("UPDATE feed_entries SET cycle_rolled = 1 WHERE id = ?", (entry_id,))

    async def pending_deliveries(self, since: datetime) -> list[Delivery]:
        rows = await self._db.fetch_all(
            f"SELECT {_ANNOUNCEMENT_COLUMNS}, d.platform, d.channel_id, d.last_error,"
            " d.started_at"
            " FROM deliveries d JOIN feed_entries e ON e.id = d.entry_id"
            " JOIN feeds f ON f.id = e.feed_id"
            " WHERE d.delivered_at IS NULL AND d.created_at >= ?"
            " ORDER BY e.published_at IS NULL, e.published_at, e.id, d.platform, d.channel_id",
            (since,),
        )
        return [
            Delivery(
                _announcement(row),
                row["platform"],
                row["channel_id"],
                row["last_error"],
                started_at=maybe_moment(row["started_at"]),
            )
            for row in rows
        ]

    async def start_delivery(
        self, entry_id: int, platform: str, channel_id: str, now: datetime
    ) -> None:
        await self._db.execute(
            "UPDATE deliveries SET started_at = COALESCE(started_at, ?)"
            " WHERE entry_id = ? AND platform = ? AND channel_id = ?",
            (now, entry_id, platform, channel_id),
        )

    async def mark_delivered(
        self, entry_id: int, platform: str, channel_id: str, message_id: str, now: datetime
    ) -> bool:
        changed = await self._db.execute(
            "UPDATE deliveries SET delivered_at = ?, message_id = ?, attempts = attempts + 1,"
            " last_error = NULL"
            " WHERE entry_id = ? AND platform = ? AND channel_id = ? AND delivered_at IS NULL",
            (now, message_id, entry_id, platform, channel_id),
        )
        return changed == 1

    async def mark_delivery_failed(
        self, entry_id: int, platform: str, channel_id: str, error: str, *, refused: bool = False
    ) -> None:
        await self._db.execute(
            "UPDATE deliveries SET attempts = attempts + 1, last_error = ?,"
            " started_at = CASE WHEN ? THEN NULL ELSE started_at END"
            " WHERE entry_id = ? AND platform = ? AND channel_id = ?",
            (error, refused, entry_id, platform, channel_id),
        )


async def _identify(
    transaction: Transaction, feed_id: int, entries: Sequence[tuple[int, FeedEntry]]
) -> None:
    """What recognises each entry when the feed is read again, and the links each issue
    carried, for "already featured" (an issue seen again may carry links it did not before:
    those are added)."""
    await transaction.execute_many(
        "INSERT INTO feed_identities (feed_id, kind, value, entry_id) VALUES (?, ?, ?, ?)"
        " ON CONFLICT DO NOTHING",
        [
            (feed_id, kind, value, entry_id)
            for entry_id, entry in entries
            for kind, value in entry.identities
        ],
    )
    await insert_rows(
        transaction,
        "INSERT INTO featured_links (entry_id, url, link_key)",
        ("bigint", "text", "text"),
        [(entry_id, url, key) for entry_id, entry in entries for url, key in entry.featured],
        "ON CONFLICT DO NOTHING",
    )
