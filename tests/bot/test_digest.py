"""The weekly digest: when it is due, what it posts, and never twice for one week."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app import Tuning, built
from bot.digest import Digest, next_time
from bot.models import Member
from bot.settings import Settings
from storage import SqlBotState

MONDAY_NOON = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)  # a Monday


@pytest.mark.parametrize(
    ("now", "weekday", "hour", "due"),
    [
        (MONDAY_NOON, 0, 9, datetime(2026, 12, 7, 9, tzinfo=UTC)),  # today's passed: next week
        (MONDAY_NOON, 0, 13, datetime(2026, 11, 30, 13, tzinfo=UTC)),  # later today
        (MONDAY_NOON, 4, 9, datetime(2026, 12, 4, 9, tzinfo=UTC)),  # Friday
        (datetime(2026, 11, 30, 9, tzinfo=UTC), 0, 9, datetime(2026, 12, 7, 9, tzinfo=UTC)),
    ],
)
def test_the_next_digest_is_the_first_such_hour_after_now(
    now: datetime, weekday: int, hour: int, due: datetime
) -> None:
    assert next_time(now, weekday, hour) == due


async def test_the_digest_shows_the_top_five_once_per_week(tmp_path: Path) -> None:
    out = io.StringIO()
    settings = Settings(
        link_previews=False, database_path=tmp_path / "bot.sqlite3", digest_day=0, digest_hour=9
    )
    async with built(settings, stdout=out, tuning=Tuning()) as app:
        assert app.digest is not None
        await app.digest.send(MONDAY_NOON)
        assert out.getvalue() == ""  # nothing suggested yet: no digest
        for n in range(7):
            await app.ballot.suggest(Member("console", f"m{n}", f"M{n}"), f"example.com/{n}")
        await app.ballot.vote(Member("console", "reader", "Reader"), 6)
        week = datetime(2026, 12, 7, 9, tzinfo=UTC)
        await app.digest.send(week)
        await app.digest.send(week)  # a restart at the same hour sends nothing more
        text = out.getvalue()
        assert text.count("This week's top 5:") == 1
        assert text.index("#6 https://example.com/5") < text.index("#1 https://example.com/0")
        assert "#7 " not in text
        assert "Vote for the ones you want in the next issue: /vote <n>" in text


async def test_a_digest_missed_while_down_is_sent_at_the_next_start_once(tmp_path: Path) -> None:
    """The bot was down (or crashed mid-post) at the digest's hour: an hour later it starts and
    sends that week's digest; started again, it sends nothing more."""
    out = io.StringIO()
    settings = Settings(
        link_previews=False, database_path=tmp_path / "bot.sqlite3", digest_day=0, digest_hour=9
    )
    async with built(settings, stdout=out, tuning=Tuning()) as app:
        await app.ballot.suggest(Member("console", "m", "M"), "example.com/a")
        state = SqlBotState(app.database)
        await state.remember("digest.console", "2026-11-30 posting")  # cut short by a crash
        for _ in range(2):
            digest = Digest(
                app.ballot,
                state,
                app.front_ends,
                weekday=0,
                hour=9,
                clock=lambda: datetime(2026, 11, 30, 10, 0, tzinfo=UTC),
            )
            await digest.stop()  # run() catches up, then returns
            await digest.run()
        assert out.getvalue().count("This week's top") == 1
        assert await state.recall("digest.console") == "2026-11-30 done"
        late = Digest(
            app.ballot,
            state,
            app.front_ends,
            weekday=0,
            hour=9,
            clock=lambda: datetime(2026, 12, 1, 9, 0, tzinfo=UTC),  # a day late: too late
        )
        await late.stop()
        await late.run()
        assert out.getvalue().count("This week's top") == 1
