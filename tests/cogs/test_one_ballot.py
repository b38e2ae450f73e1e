"""One ballot across Discord and Slack: the same link is one suggestion, votes are summed."""

from __future__ import annotations

from pathlib import Path

from bot.app import build
from bot.models import Member
from bot.settings import Settings
from tests.cogs.discord_harness import TUNING, DiscordHarness, discord_settings, settle
from tests.cogs.slack_harness import CURATOR_ID, SlackHarness, slack_settings
from tests.fake_discord import SUGGESTIONS_ID, FakeDiscordAPI, member, option, reaction, slash
from tests.fake_slack import SUGGESTIONS, fake_slack, reaction_event
from tests.waiting import eventually

ALICE = member(11, "alice")
BOB = member(12, "bob")


async def test_a_link_on_both_platforms_is_one_suggestion_with_two_cards(
    tmp_path: Path, api: FakeDiscordAPI
) -> None:
    async with fake_slack() as fake:
        fake.add_user("U0SAM", "Sam")
        fake.add_user("U0UNA", "Una")
        fake.add_user(CURATOR_ID, "Cora")
        settings = Settings(
            link_previews=False,
            database_path=tmp_path / "bot.sqlite3",
            discord=discord_settings(),
            slack=slack_settings(fake),
        )
        app = await build(settings, tuning=TUNING)
        discord_side = DiscordHarness(tmp_path / "bot.sqlite3", api, app=app)
        await discord_side.start()
        slack_side = SlackHarness(tmp_path / "bot.sqlite3", fake, app=app)
        await slack_side.start()
        try:
            options = [option("url", "https://www.example.com/post?utm_source=discord")]
            await discord_side.send("INTERACTION_CREATE", slash("suggest", options, invoker=ALICE))
            [discord_post] = api.find("POST", f"/channels/{SUGGESTIONS_ID}/messages")
            discord_card = api.messages_by_call(discord_post)["id"]

            answer = await slack_side.reply_to("/suggest", "<https://example.com/post/>", "U0SAM")
            assert answer["text"].startswith(
                "That link was already suggested on Discord as #1; here is its card for Slack"
            )
            [slack_post] = fake.find("chat.postMessage")
            slack_card = (
                str(slack_post.args["channel"]),
                next(ts for (channel, ts) in fake.messages if channel == SUGGESTIONS),
            )
            context = slack_post.args["blocks"][1]["elements"][0]["text"]
            assert context.startswith("Suggested by Alice (on Discord)")

            again = await slack_side.reply_to("/suggest", "example.com/post", "U0UNA")
            assert again["text"].startswith("That link is already on the ballot as #1")

            await discord_side.send("MESSAGE_REACTION_ADD", reaction(BOB, 12, discord_card))
            await slack_side.event(reaction_event("reaction_added", "U0SAM", *slack_card))
            curator = Member("slack", CURATOR_ID, "Cora", is_curator=True)
            await eventually(
                lambda: (
                    fake.find("chat.update")
                    and "2 votes (Discord 1 · Slack 1)"
                    in fake.find("chat.update")[-1].args["blocks"][1]["elements"][0]["text"]
                )
            )
            await settle(app)
            edits = api.find("PATCH", f"/channels/{SUGGESTIONS_ID}/messages/{discord_card}")
            votes = {f["name"]: f["value"] for f in edits[-1].json["embeds"][0]["fields"]}
            assert votes["Votes"] == "2 votes (Discord 1 · Slack 1)"

            shortlist = await discord_side.ballot.shortlist(curator)
            [entry] = shortlist.ranked
            assert entry.votes == 2
            assert dict(entry.by_platform) == {"discord": 1, "slack": 1}
            assert entry.suggestion.author.name == "Alice"

            shown = await slack_side.reply_to("/shortlist", "", CURATOR_ID)
            assert shown["blocks"][1]["text"]["text"].startswith(
                "*1.* 2 votes (Discord 1 · Slack 1) · #1 <https://example.com/post|"
            )
        finally:
            await app.shut_down()
            await slack_side.stop()
            await discord_side.stop()
            await app.close()
