"""/poll, /feed status and announcements through the real Discord bot and feed watcher."""

from __future__ import annotations

from pathlib import Path

from tests.cogs.discord_harness import DiscordHarness
from tests.fake_discord import (
    ANNOUNCE_ID,
    APP_ID,
    CURATOR_ROLE_ID,
    GUILD_ID,
    MANAGE_GUILD,
    FakeDiscordAPI,
    member,
    slash,
    subcommand,
)
from tests.feeds import feed_server, issue, rss2

CORA = member(20, "cora", roles=(CURATOR_ROLE_ID,))
BOB = member(12, "bob")


def last_followup(api: FakeDiscordAPI) -> dict[str, object]:
    body: dict[str, object] = api.find("POST", f"/webhooks/{APP_ID}/")[-1].json
    return body


async def test_poll_announces_new_issues_on_discord(tmp_path: Path, api: FakeDiscordAPI) -> None:
    async with feed_server() as server:
        served = server.serve("/feed", body=rss2([issue(1)]))
        harness = DiscordHarness(tmp_path / "bot.sqlite3", api, feeds=(server.url("/feed"),))
        await harness.start()
        try:
            [sync] = api.find("PUT", f"/applications/{APP_ID}/guilds/{GUILD_ID}/commands")
            commands = {c["name"]: c for c in sync.json}
            assert commands["poll"]["default_member_permissions"] == MANAGE_GUILD
            assert commands["feed"]["default_member_permissions"] == MANAGE_GUILD

            await harness.send("INTERACTION_CREATE", slash("poll", invoker=BOB))
            assert last_followup(api)["content"] == "Only curators can do that."

            await harness.send("INTERACTION_CREATE", slash("poll", invoker=CORA))
            reply = str(last_followup(api)["content"])
            assert reply.startswith("Checked 1 feed:\n• `http://127.0.0.1:")
            assert "first check: 1 existing issue recorded without announcing" in reply
            assert api.find("POST", f"/channels/{ANNOUNCE_ID}/messages") == []

            served.body = rss2([issue(2), issue(1)])
            await harness.send("INTERACTION_CREATE", slash("poll", invoker=CORA))
            assert str(last_followup(api)["content"]).endswith(": announced 1 new issue")
            [post] = api.find("POST", f"/channels/{ANNOUNCE_ID}/messages")
            assert post.json["embeds"][0]["title"] == "New issue: Issue #2: Monthly links"
            assert post.json["allowed_mentions"] == {"parse": []}

            await harness.send(
                "INTERACTION_CREATE",
                slash("feed", [subcommand("status")], invoker=BOB, permissions=MANAGE_GUILD),
            )
            [field] = last_followup(api)["embeds"][0]["fields"]  # type: ignore[index]
            assert field["name"] == f"ML Monthly — {server.url('/feed')}"
            assert "issues known: 2" in field["value"]
        finally:
            await harness.stop()
