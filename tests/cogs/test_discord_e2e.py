"""The real `python -m bot` process against a Discord-compatible server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

from tests.fake_discord import (
    APP_ID,
    CURATOR_ROLE_ID,
    GUILD_ID,
    SUGGESTIONS_ID,
    TOKEN,
    FakeDiscordAPI,
    FakeDiscordServer,
    fake_discord_server,
    member,
    option,
    reaction,
    slash,
    subcommand,
)
from tests.process import run_bot, start_bot
from tests.servers import free_port
from tests.waiting import eventually

ALICE = member(11, "alice")
BOB = member(12, "bob")
CAROL = member(13, "carol")
CORA = member(20, "cora", roles=(CURATOR_ROLE_ID,))


def settings(server: FakeDiscordServer) -> dict[str, str]:
    return {
        "DISCORD_TOKEN": TOKEN,
        "DISCORD_API_BASE": server.api_base,
        "DISCORD_GATEWAY_URL": server.gateway_url,
        "DISCORD_GUILD_ID": str(GUILD_ID),
        "DISCORD_SUGGESTIONS_CHANNEL_ID": str(SUGGESTIONS_ID),
        "DISCORD_CURATOR_ROLE_IDS": str(CURATOR_ROLE_ID),
        "LOG_LEVEL": "INFO",
    }


async def stop(process: asyncio.subprocess.Process) -> str:
    process.send_signal(signal.SIGTERM)
    _, err = await asyncio.wait_for(process.communicate(), 15)
    assert process.returncode == 0, err.decode()
    return err.decode()


async def test_the_bot_process_runs_a_ballot_on_discord_and_recovers_votes(tmp_path: Path) -> None:
    api = FakeDiscordAPI()
    async with fake_discord_server(api) as server:
        process = await start_bot(tmp_path, settings(server))
        await asyncio.wait_for(server.identified.wait(), 20)
        await eventually(lambda: str(GUILD_ID) in api.commands)
        assert {c["name"] for c in api.commands[str(GUILD_ID)]} == {
            "suggest",
            "withdraw",
            "note",
            "shortlist",
        }

        await server.dispatch(
            "INTERACTION_CREATE",
            slash(
                "suggest", [option("url", "https://example.com/post?utm_source=x")], invoker=ALICE
            ),
        )
        await eventually(lambda: api.find("POST", f"/webhooks/{APP_ID}/"))
        [post] = api.find("POST", f"/channels/{SUGGESTIONS_ID}/messages")
        card_id = api.messages_by_call(post)["id"]
        assert "Suggested #1" in api.find("POST", f"/webhooks/{APP_ID}/")[0].json["content"]

        await server.dispatch("MESSAGE_REACTION_ADD", reaction(BOB, 12, card_id))
        await eventually(
            lambda: api.find("PATCH", f"/channels/{SUGGESTIONS_ID}/messages/{card_id}")
        )
        [edit] = api.find("PATCH", f"/channels/{SUGGESTIONS_ID}/messages/{card_id}")
        assert {"name": "Votes", "value": "1 vote", "inline": True} in edit.json["embeds"][0][
            "fields"
        ]
        first_log = await stop(process)

        api.react(card_id, BOB["user"])
        api.react(card_id, CAROL["user"])  # voted while the bot was down

        process = await start_bot(tmp_path, settings(server))
        reaction_reads = len(
            api.find("GET", f"/channels/{SUGGESTIONS_ID}/messages/{card_id}/reactions/")
        )

        def card_shows(votes: str) -> bool:
            edits = api.find("PATCH", f"/channels/{SUGGESTIONS_ID}/messages/{card_id}")
            return (
                bool(edits)
                and {"name": "Votes", "value": votes, "inline": True}
                in (edits[-1].json["embeds"][0]["fields"])
            )

        await eventually(lambda: card_shows("2 votes"))  # recovery done: the card caught up
        reads = api.find("GET", f"/channels/{SUGGESTIONS_ID}/messages/{card_id}/reactions/")
        assert len(reads) == reaction_reads + 2  # normal and super reactions, one page each
        followups = len(api.find("POST", f"/webhooks/{APP_ID}/"))
        await server.dispatch(
            "INTERACTION_CREATE", slash("shortlist", [subcommand("show")], invoker=CORA)
        )
        await eventually(lambda: len(api.find("POST", f"/webhooks/{APP_ID}/")) > followups)
        shown = api.find("POST", f"/webhooks/{APP_ID}/")[-1].json["embeds"][0]["description"]
        assert shown.startswith("**1.** 2 votes · #1 <https://example.com/post>")
        second_log = await stop(process)

    for log in (first_log, second_log):
        assert TOKEN not in log
        assert "Traceback" not in log
    assert "Invite me with: https://discord.com/oauth2/authorize?client_id=" in first_log
    assert "scope=bot+applications.commands" in first_log


async def test_a_rejected_token_stops_the_bot_with_one_clear_line(tmp_path: Path) -> None:
    async with fake_discord_server(FakeDiscordAPI()) as server:
        process = await start_bot(tmp_path, {**settings(server), "DISCORD_TOKEN": "wrong.token.x"})
        _, err = await asyncio.wait_for(process.communicate(), 20)
    log = err.decode()
    assert process.returncode == 1
    assert "discord is off: Discord rejected DISCORD_TOKEN" in log
    assert "wrong.token.x" not in log
    assert "Traceback" not in log


async def test_a_network_blip_at_start_up_is_waited_out(tmp_path: Path) -> None:
    """Discord unreachable at start-up: the bot keeps retrying (a line each, no traceback) and
    the console-free process stays up; once the server answers, it connects."""
    port = free_port()
    nowhere = FakeDiscordServer(FakeDiscordAPI(), base=f"http://127.0.0.1:{port}")
    process = await start_bot(tmp_path, settings(nowhere))
    assert process.stderr is not None
    seen: list[str] = []
    try:
        async with asyncio.timeout(20.5):
            while True:
                seen.append((await process.stderr.readline()).decode())
    except TimeoutError:
        pass
    assert process.returncode is None
    retries = [line for line in seen if "Could not reach Discord" in line]
    assert len(retries) >= 3, seen
    assert not any("Traceback" in line or "Session is closed" in line for line in seen)
    api = FakeDiscordAPI()
    async with fake_discord_server(api, port) as server:
        await asyncio.wait_for(server.identified.wait(), 40)
        await eventually(lambda: str(GUILD_ID) in api.commands)
        await stop(process)


async def test_sync_commands_forces_a_sync_and_says_what_it_did(tmp_path: Path) -> None:
    api = FakeDiscordAPI()
    async with fake_discord_server(api) as server:
        for where, path in (
            ([], f"/applications/{APP_ID}/guilds/{GUILD_ID}/commands"),
            (["--guild", "42"], f"/applications/{APP_ID}/guilds/42/commands"),
            (["--global"], f"/applications/{APP_ID}/commands"),
            ([], f"/applications/{APP_ID}/guilds/{GUILD_ID}/commands"),  # unchanged, but forced
        ):
            before = len(api.find("PUT", path))
            synced = await run_bot(tmp_path, "", settings(server), args=["sync-commands", *where])
            assert synced.returncode == 0, synced.stderr
            assert synced.stdout.startswith("Synced 4 slash commands"), synced.stdout
            assert f"for application {APP_ID}" in synced.stdout
            assert len(api.find("PUT", path)) == before + 1
        wrong = await run_bot(
            tmp_path, "", settings(server), args=["sync-commands", "--guild", "x"]
        )
        assert wrong.returncode == 2
        assert "a server id is a number" in wrong.stderr
        refused = {**settings(server), "DISCORD_TOKEN": "wrong.token.value"}
        rejected = await run_bot(tmp_path, "", refused, args=["sync-commands"])
        assert rejected.returncode == 1
        assert rejected.stderr.strip().splitlines()[-1] == (
            "Nothing was synced: Discord rejected DISCORD_TOKEN."
        )
