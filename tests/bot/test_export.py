"""The export a curator pastes into the draft, checked against golden files; and titles that
members' pages chose, rendered on each platform without markup or pings."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import discord

from bot import export
from bot.models import Announcement, Author, Cycle, IssueRef, Shortlist, Suggestion, Tally
from bot.text import fill_template
from cogs.discord_bot.render import announcement_embed, card_embed
from cogs.slack_app import blocks

GOLDEN = Path(__file__).with_name("golden")
WHEN = datetime(2026, 11, 3, 9, 30, tzinfo=UTC)


def suggestion(number: int, url: str, **shown: str) -> Suggestion:
    author = Author("discord", str(number), shown.pop("author", f"member {number}"))
    return Suggestion(number, 2, number, url, shown.pop("note", ""), author, WHEN, **shown)


SHORTLIST = Shortlist(
    Cycle(2, WHEN, datetime(2026, 12, 1, tzinfo=UTC), IssueRef("Issue #12", "https://n.example")),
    (
        Tally(
            suggestion(
                3,
                "https://arxiv.org/abs/1706.03762",
                title="Attention Is All You Need [v7]",
                description="The transformer paper.",
                note="A classic, re-read",
            ),
            {"discord": 4, "slack": 2},
        ),
        Tally(
            suggestion(1, "https://example.com/a_(b)", note='=HYPERLINK("x")', author="@amy"),
            {"slack": 1},
        ),
        Tally(suggestion(2, "https://example.org/plain"), {}),
    ),
    3,
)


def test_markdown_export_matches_the_golden_file() -> None:
    assert export.markdown(SHORTLIST) == (GOLDEN / "shortlist.md").read_text()


def test_members_words_stay_text_in_the_markdown() -> None:
    """Links, images, HTML and emphasis in a note or a name land as text, not live markup."""
    note = "See [this](http://evil.example) ![x](http://t.example/p.png) <img src=x> *so* www.x.io"
    tally = Tally(suggestion(1, "https://example.com/a", note=note, author="<b>mallory</b>"))
    line = export.markdown(Shortlist(SHORTLIST.cycle, (tally,), 1)).splitlines()[2]
    assert line == (
        "1. [https://example.com/a](https://example.com/a) — See \\[this\\](http\\://evil.example)"
        " \\!\\[x\\](http\\://t.example/p.png) \\<img src=x\\> \\*so\\* www\\.x.io"
        " (suggested by \\<b\\>mallory\\</b\\> · 0 votes)"
    )


def test_csv_export_matches_the_golden_file() -> None:
    assert export.csv_text(SHORTLIST) == (GOLDEN / "shortlist.csv").read_text()
    assert export.filename(SHORTLIST, "csv") == "shortlist-cycle-2.csv"


def test_a_page_title_pings_nobody_on_discord() -> None:
    tally = Tally(suggestion(1, "https://example.com/x", title="Hi @everyone <@123> **bold**"))
    embed = card_embed(tally, "👍")  # an embed's title never renders a mention at all
    assert embed.title == "#1 · Hi @\u200beveryone <@123> \\*\\*bold\\*\\*"
    assert isinstance(embed, discord.Embed)


def test_a_page_title_pings_nobody_on_slack() -> None:
    tally = Tally(suggestion(1, "https://example.com/x", title="<!channel> & <@U1>"))
    _, card = blocks.card(tally, "+1")
    text = card[0]["text"]["text"]
    assert "<https://example.com/x|&lt;!channel&gt; &amp; &lt;@U1&gt;>" in text


ANNOUNCED = Announcement(
    7,
    "https://n.example.com/feed",
    "ML Monthly",
    "Issue #2",
    "https://n.example.com/2",
    WHEN,
    "Ten links.",
    credits=("Alice", "@everyone", "<!channel>"),
)


def test_credits_thank_submitters_by_name_and_ping_nobody() -> None:
    embed = announcement_embed(ANNOUNCED)
    [thanks] = [field.value for field in embed.fields if field.name == "From the ballot"]
    assert thanks == (
        "Thanks to Alice, @\u200beveryone and <!channel>, whose suggestions made it into this "
        "issue."
    )
    _, announced = blocks.announcement(ANNOUNCED)
    text = "\n".join(str(block) for block in announced)
    assert "Thanks to Alice, @everyone and &lt;!channel&gt;, whose suggestions" in text
    filled = fill_template("{title} is out", ANNOUNCED, str, escape_link=str)
    assert filled.endswith(
        "\nThanks to Alice, @everyone and <!channel>, whose suggestions made it into this issue."
    )
