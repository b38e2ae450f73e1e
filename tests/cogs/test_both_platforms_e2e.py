"""One `python -m bot` process serving Discord and Slack (Socket Mode) with one ballot and feed."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

from tests.cogs.test_discord_e2e import CORA
from tests.cogs.test_discord_e2e import settings as discord_settings
from tests.fake_discord import (
    ANNOUNCE_ID,
    APP_ID,
    SUGGESTIONS_ID,
    FakeDiscordAPI,
    fake_discord_server,
    member,
    option,
    reaction,
    slash,
)
from tests.fake_slack import (
    ANNOUNCE,
    APP_TOKEN,
    BOT_TOKEN,
    SUGGESTIONS,
    FakeSlack,
    command_payload,
    event_payload,
    fake_slack,
    reaction_event,
)
from tests.feeds import issue, rss2
from tests.process import start_bot
from tests.waiting import eventually

ALICE = member(11, "alice")
BOB = member(12, "bob")


def slack_settings(fake: FakeSlack, bot_token: str = BOT_TOKEN) -> dict[str, str]:
    return {
        "SLACK_BOT_TOKEN": bot_token,
        "SLACK_APP_TOKEN": APP_TOKEN,
        "SLACK_API_URL": fake.api_url,
        "SLACK_SUGGESTIONS_CHANNEL_ID": SUGGESTIONS,
        "SLACK_ANNOUNCE_CHANNEL_IDS": ANNOUNCE,
    }


async def test_one_process_one_ballot_one_feed_on_both_platforms(tmp_path: Path) -> None:
    feed = tmp_path / "feed.xml"
    feed.write_bytes(rss2([issue(1)]))
    api = FakeDiscordAPI()
    async with fake_discord_server(api) as discord_server, fake_slack() as slack:
        slack.add_user("U0SAM", "Sam")
        environ = {
            **discord_settings(discord_server),
            **slack_settings(slack),
            "DISCORD_ANNOUNCE_CHANNEL_IDS": str(ANNOUNCE_ID),
            "FEED_URLS": str(feed),
        }
        process = await start_bot(tmp_path, environ)
        try:
            await asyncio.wait_for(discord_server.identified.wait(), 20)
            await asyncio.wait_for(slack.socket_connected.wait(), 20)
            await eventually(lambda: api.commands)

            await discord_server.dispatch(
                "INTERACTION_CREATE",
                slash("suggest", [option("url", "https://example.com/post")], invoker=ALICE),
            )
            await eventually(lambda: api.find("POST", f"/channels/{SUGGESTIONS_ID}/messages"))
            [discord_post] = api.find("POST", f"/channels/{SUGGESTIONS_ID}/messages")
            discord_card = api.messages_by_call(discord_post)["id"]

            await slack.envelope(
                "slash_commands", command_payload(slack, "/suggest", "example.com/post/", "U0SAM")
            )
            await eventually(lambda: slack.responses)
            assert "already suggested on Discord as #1" in slack.responses[-1]["text"]
            slack_card = next(ts for (channel, ts) in slack.messages if channel == SUGGESTIONS)

            api.react(discord_card, BOB["user"])  # Discord keeps the reaction (recovery reads it)
            await discord_server.dispatch("MESSAGE_REACTION_ADD", reaction(BOB, 12, discord_card))
            slack.react(SUGGESTIONS, slack_card, "U0SAM")
            await slack.envelope(
                "events_api",
                event_payload(reaction_event("reaction_added", "U0SAM", SUGGESTIONS, slack_card)),
            )
            await eventually(
                lambda: any(
                    "2 votes (Discord 1 · Slack 1)" in str(call.args.get("blocks"))
                    for call in slack.find("chat.update")
                )
            )

            feed.write_bytes(rss2([issue(2), issue(1)]))
            followups = len(api.find("POST", f"/webhooks/{APP_ID}/"))
            await discord_server.dispatch("INTERACTION_CREATE", slash("poll", invoker=CORA))
            await eventually(lambda: len(api.find("POST", f"/webhooks/{APP_ID}/")) > followups)
            await eventually(lambda: api.find("POST", f"/channels/{ANNOUNCE_ID}/messages"))
            await eventually(
                lambda: any(c.args["channel"] == ANNOUNCE for c in slack.find("chat.postMessage"))
            )
            reply = api.find("POST", f"/webhooks/{APP_ID}/")[-1].json["content"]
            assert reply.endswith(": announced 1 new issue")
        finally:
            process.send_signal(signal.SIGTERM)
            _, err = await asyncio.wait_for(process.communicate(), 15)
    log = err.decode()
    assert process.returncode == 0, log
    for secret in (BOT_TOKEN, APP_TOKEN, "fake-token"):
        assert secret not in log
    assert "Traceback" not in log


async def test_slack_failing_does_not_take_discord_down(tmp_path: Path) -> None:
    api = FakeDiscordAPI()
    async with fake_discord_server(api) as discord_server, fake_slack() as slack:
        environ = {**discord_settings(discord_server), **slack_settings(slack, "xoxb-revoked")}
        process = await start_bot(tmp_path, environ)
        try:
            await asyncio.wait_for(discord_server.identified.wait(), 20)
            await discord_server.dispatch(
                "INTERACTION_CREATE",
                slash("suggest", [option("url", "https://example.com/post")], invoker=ALICE),
            )
            await eventually(lambda: api.find("POST", f"/webhooks/{APP_ID}/"))
        finally:
            process.send_signal(signal.SIGTERM)
            _, err = await asyncio.wait_for(process.communicate(), 15)
    log = err.decode()
    assert process.returncode == 0
    assert "slack is off: Slack rejected SLACK_BOT_TOKEN (invalid_auth)" in log
    assert "xoxb-revoked" not in log
