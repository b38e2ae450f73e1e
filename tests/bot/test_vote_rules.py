"""The vote rules in one place, as plain asserts: what counts, and why the rest doesn't."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.models import Author, CardRef, Cast, Suggestion, Verdict
from bot.vote_rules import judge

CARD = CardRef("discord", "1", "2")
SUGGESTION = Suggestion(
    7,
    1,
    3,
    "https://example.com/a",
    "",
    Author("discord", "author", "A"),
    datetime(2026, 11, 1, tzinfo=UTC),
)


@pytest.mark.parametrize(
    ("cast", "suggestion", "verdict"),
    [
        (Cast("discord", "reader", True, CARD), SUGGESTION, Verdict.COUNTS),
        (Cast("discord", "reader", False, CARD), SUGGESTION, Verdict.COUNTS),  # taken back
        (Cast("discord", "reader", True, CARD), None, Verdict.LATE),  # closed or withdrawn
        (Cast("discord", "robot", True, CARD, bot=True), SUGGESTION, Verdict.BOT),
        (Cast("discord", "robot", True, CARD, bot=True), None, Verdict.LATE),
        (Cast("discord", "author", True, CARD), SUGGESTION, Verdict.SELF),
        (Cast("slack", "author", True, CARD), SUGGESTION, Verdict.COUNTS),  # another person
        (Cast("discord", "author", False, CARD), SUGGESTION, Verdict.COUNTS),  # nothing to take
    ],
)
def test_judge(cast: Cast, suggestion: Suggestion | None, verdict: Verdict) -> None:
    assert judge(cast, suggestion) is verdict
