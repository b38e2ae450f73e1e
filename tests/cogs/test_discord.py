"""The Discord front end: real discord.py objects, real gateway payloads, REST captured."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import discord
import pytest

from bot.errors import PostRefused
from bot.models import Announcement, Member
from bot.settings import Settings
from cogs.discord_bot.client import INVITE_PERMISSIONS, intents
from storage import SqliteDatabase
from tests.cogs.discord_harness import CURATOR as CURATOR_MEMBER
from tests.cogs.discord_harness import DiscordHarness, settle
from tests.fake_discord import (
    ANNOUNCE_ID,
    ANNOUNCE_ROLE_ID,
    APP_ID,
    CURATOR_CHANNEL_ID,
    CURATOR_ROLE_ID,
    GUILD_ID,
    MANAGE_GUILD,
    NEWS_ID,
    SUGGESTIONS_ID,
    FakeDiscordAPI,
    member,
    option,
    reaction,
    slash,
    subcommand,
)

ALICE = member(11, "alice")
BOB = member(12, "bob")
CAROL = member(13, "carol")
ROBOT = member(14, "robot", bot=True)


@pytest.fixture
async def harness(tmp_path: Path, api: FakeDiscordAPI) -> AsyncIterator[DiscordHarness]:
    running = DiscordHarness(tmp_path / "bot.sqlite3", api)
    await running.start()
    yield running
    await running.stop()


async def test_login_syncs_the_commands_to_the_guild(harness: DiscordHarness) -> None:
    [sync] = harness.api.find("PUT", f"/applications/{APP_ID}/guilds/{GUILD_ID}/commands")
    commands = {command["name"]: command for command in sync.json}
    assert set(commands) == {"suggest", "withdraw", "note", "shortlist"}
    assert commands["suggest"]["default_member_permissions"] is None
    assert commands["withdraw"]["default_member_permissions"] is None
    assert commands["shortlist"]["default_member_permissions"] == MANAGE_GUILD
    assert {o["name"] for o in commands["shortlist"]["options"]} == {
        "show",
        "export",
        "why",
        "close",
    }
    suggest_options = {o["name"]: o["required"] for o in commands["suggest"]["options"]}
    assert suggest_options == {"url": True, "note": False, "anyway": False}
    limits = {o["name"]: o.get("max_length") for o in commands["suggest"]["options"]}
    assert limits == {"url": 2048, "note": 280, "anyway": None}  # Discord stops them typing


async def test_members_withdraw_their_suggestion_and_rewrite_its_note(
    harness: DiscordHarness,
) -> None:
    api = harness.api
    await _suggest(harness, ALICE, "https://example.com/a", "first thoughts")
    card = _card_id(api)
    note = [option("number", 1), option("text", "Better @everyone")]
    await harness.send("INTERACTION_CREATE", slash("note", note, invoker=ALICE))
    assert _last_followup(api) == "Updated the note of #1: Better @everyone"
    [edit] = api.find("PATCH", f"/channels/{SUGGESTIONS_ID}/messages/{card}")
    assert edit.json["embeds"][0]["description"] == "Better @\u200beveryone"

    await harness.send("INTERACTION_CREATE", slash("withdraw", [option("number", 1)], invoker=BOB))
    assert _last_followup(api).startswith("Only Alice, who suggested #1, or a curator can")
    assert not api.find("DELETE", f"/channels/{SUGGESTIONS_ID}/messages/{card}")

    await harness.send(
        "INTERACTION_CREATE", slash("withdraw", [option("number", 1)], invoker=ALICE)
    )
    assert _last_followup(api).startswith("Withdrew #1 (https://example.com/a)")
    assert api.find("DELETE", f"/channels/{SUGGESTIONS_ID}/messages/{card}")
    assert (await harness.ballot.shortlist(CURATOR_MEMBER)).total == 0
    again = await _suggest(harness, BOB, "example.com/a")
    assert again.startswith("Suggested #2 ")


def _card_id(api: FakeDiscordAPI, n: int = 0) -> str:
    posts = api.find("POST", f"/channels/{SUGGESTIONS_ID}/messages")
    return str(api.messages_by_call(posts[n])["id"])


async def _suggest(
    harness: DiscordHarness, who: dict[str, object], url: str, note: str = ""
) -> str:
    options = [option("url", url)] + ([option("note", note)] if note else [])
    await harness.send("INTERACTION_CREATE", slash("suggest", options, invoker=who))
    return _last_followup(harness.api)


def _last_followup(api: FakeDiscordAPI) -> str:
    followups = api.find("POST", f"/webhooks/{APP_ID}/")
    assert followups, "no followup was sent"
    body = followups[-1].json
    assert body["flags"] & 64, "replies to members are ephemeral"
    return str(body.get("content", ""))


async def test_suggest_defers_posts_a_card_and_answers_privately(harness: DiscordHarness) -> None:
    reply = await _suggest(
        harness, ALICE, "https://www.example.com/post/?utm_source=x", "Great @everyone"
    )
    api = harness.api

    [callback] = api.find("POST", "/interactions/")
    assert callback.json["type"] == 5  # deferred, thinking
    assert callback.json["data"]["flags"] == 64  # ephemeral

    [post] = api.find("POST", f"/channels/{SUGGESTIONS_ID}/messages")
    assert post.json["allowed_mentions"] == {"parse": []}
    [embed] = post.json["embeds"]
    assert embed["title"] == "#1 · https://example.com/post"
    assert embed["url"] == "https://example.com/post"
    assert embed["description"] == "Great @\u200beveryone"
    fields = {field["name"]: field["value"] for field in embed["fields"]}
    assert fields == {"Suggested by": "<@11>", "Votes": "0 votes"}
    card_id = api.messages_by_call(post)["id"]

    [react] = api.find("PUT", f"/channels/{SUGGESTIONS_ID}/messages/{card_id}/reactions/")
    assert react.path.endswith("/@me")
    jump_url = f"https://discord.com/channels/{GUILD_ID}/{SUGGESTIONS_ID}/{card_id}"
    assert reply == f"Suggested #1 for the next issue: {jump_url}"


async def test_a_refused_link_says_why_and_stores_nothing(harness: DiscordHarness) -> None:
    reply = await _suggest(harness, ALICE, "http://192.168.0.1/admin")
    assert reply == "Links to private or local network addresses can't be suggested."
    assert harness.api.find("POST", f"/channels/{SUGGESTIONS_ID}/messages") == []
    shortlist = await harness.ballot.shortlist(CURATOR_MEMBER)
    assert shortlist.total == 0


async def test_a_duplicate_points_at_the_existing_card(harness: DiscordHarness) -> None:
    await _suggest(harness, ALICE, "https://example.com/post")
    card_id = _card_id(harness.api)
    reply = await _suggest(harness, BOB, "example.com/post#comments")
    assert reply.startswith("That link is already on the ballot as #1, suggested by Alice.")
    assert reply.endswith(
        f"Its card: https://discord.com/channels/{GUILD_ID}/{SUGGESTIONS_ID}/{card_id}"
    )
    assert len(harness.api.find("POST", f"/channels/{SUGGESTIONS_ID}/messages")) == 1


async def test_reactions_count_once_per_member_and_the_card_catches_up(
    harness: DiscordHarness,
) -> None:
    await _suggest(harness, ALICE, "https://example.com/post")
    card_id = _card_id(harness.api)

    burst = [
        ("MESSAGE_REACTION_ADD", reaction(BOB, 12, card_id)),
        ("MESSAGE_REACTION_ADD", reaction(BOB, 12, card_id)),  # a replayed event
        ("MESSAGE_REACTION_ADD", reaction(CAROL, 13, card_id)),
        ("MESSAGE_REACTION_ADD", reaction(ROBOT, 14, card_id)),
        ("MESSAGE_REACTION_ADD", reaction(CAROL, 13, card_id, emoji="🎉")),
        ("MESSAGE_REACTION_REMOVE", reaction(None, 13, card_id)),
    ]
    for event, data in burst:
        await harness.send(event, data, cards=False)
    await settle(harness.app)

    tally = (await harness.ballot.shortlist(CURATOR_MEMBER)).ranked[0]
    assert tally.votes == 1

    edits = harness.api.find("PATCH", f"/channels/{SUGGESTIONS_ID}/messages/{card_id}")
    assert 1 <= len(edits) <= 2  # a burst of changes, debounced
    fields = {f["name"]: f["value"] for f in edits[-1].json["embeds"][0]["fields"]}
    assert fields["Votes"] == "1 vote"  # ends on the true count


async def test_a_self_vote_is_not_counted_and_its_reaction_removed(harness: DiscordHarness) -> None:
    await _suggest(harness, ALICE, "https://example.com/post")
    card_id = _card_id(harness.api)
    await harness.send("MESSAGE_REACTION_ADD", reaction(ALICE, 11, card_id))
    assert (await harness.ballot.shortlist(CURATOR_MEMBER)).ranked[0].votes == 0
    [removal] = harness.api.find(
        "DELETE", f"/channels/{SUGGESTIONS_ID}/messages/{card_id}/reactions/"
    )
    assert removal.path.endswith("/11")


async def test_deleting_a_card_withdraws_the_suggestion(harness: DiscordHarness) -> None:
    await _suggest(harness, ALICE, "https://example.com/post")
    card_id = _card_id(harness.api)
    await harness.send(
        "MESSAGE_DELETE",
        {"id": card_id, "channel_id": str(SUGGESTIONS_ID), "guild_id": str(GUILD_ID)},
    )
    assert (await harness.ballot.shortlist(CURATOR_MEMBER)).total == 0


async def test_votes_made_while_down_are_recovered_at_start(
    tmp_path: Path,
    api: FakeDiscordAPI,
) -> None:
    first = DiscordHarness(tmp_path / "bot.sqlite3", api)
    await first.start()
    await _suggest(first, ALICE, "https://example.com/a")
    await _suggest(first, ALICE, "https://example.com/b")
    await _suggest(first, ALICE, "https://example.com/c")
    card_a, card_b, card_c = (_card_id(api, n) for n in range(3))
    await first.send("MESSAGE_REACTION_ADD", reaction(BOB, 12, card_a))
    await first.stop()

    # While the bot is down: Bob takes his vote back, 150 members vote for b, c is deleted.
    api.unreact(card_a, 12)
    api.react(card_a, ALICE["user"])  # a self-vote does not count
    for n in range(150):
        api.react(card_b, member(1000 + n, f"reader{n}")["user"])
    api.react(card_b, ROBOT["user"])
    del api.messages[card_c]

    second = DiscordHarness(tmp_path / "bot.sqlite3", api)
    await second.start()
    try:
        votes = {
            t.suggestion.url: t.votes
            for t in (await second.ballot.shortlist(CURATOR_MEMBER)).ranked
        }
        assert votes == {"https://example.com/a": 0, "https://example.com/b": 150}
        pages = api.find("GET", f"/channels/{SUGGESTIONS_ID}/messages/{card_b}/reactions/")
        assert [call.params.get("after") for call in pages if call.params.get("type") == "0"] == [
            None,
            "1098",  # robot (14), then readers 1000 to 1098
        ]
    finally:
        await second.stop()


async def test_a_deleted_suggestions_channel_withdraws_nothing(
    tmp_path: Path, api: FakeDiscordAPI
) -> None:
    """Deleting the channel withdrew the whole open ballot at the next start: now the curators
    are told, and the ballot stands."""
    first = DiscordHarness(tmp_path / "bot.sqlite3", api)
    await first.start()
    for url in ("https://example.com/a", "https://example.com/b"):
        await _suggest(first, ALICE, url)
    await first.send("MESSAGE_REACTION_ADD", reaction(BOB, 12, _card_id(api, 0)))
    await first.stop()
    api.deleted_channels.add(str(SUGGESTIONS_ID))
    second = DiscordHarness(tmp_path / "bot.sqlite3", api)
    await second.start()
    try:
        await settle(second.app)
        shortlist = await second.ballot.shortlist(CURATOR_MEMBER)
        assert [t.votes for t in shortlist.ranked] == [1, 0]
        [alert] = api.find("POST", f"/channels/{CURATOR_CHANNEL_ID}/messages")
        assert (
            "can't be found (deleted, or hidden from the bot). Nothing was withdrawn"
            in (alert.json["content"])
        )
    finally:
        await second.stop()


CURATOR_BY_ROLE = member(20, "cora", roles=(CURATOR_ROLE_ID,))


async def test_shortlist_is_for_curators_only(harness: DiscordHarness) -> None:
    await _suggest(harness, ALICE, "https://example.com/a")
    shortlist = slash("shortlist", [subcommand("show")], invoker=BOB)
    await harness.send("INTERACTION_CREATE", shortlist)
    assert _last_followup(harness.api) == "Only curators can do that."

    by_permission = slash("shortlist", [subcommand("show")], invoker=BOB, permissions=MANAGE_GUILD)
    await harness.send("INTERACTION_CREATE", by_permission)
    embed = harness.api.find("POST", f"/webhooks/{APP_ID}/")[-1].json["embeds"][0]
    assert embed["title"] == "Shortlist for the next issue (cycle 1, open)"


def _elsewhere(payload: dict[str, Any], guild_id: int | None) -> dict[str, Any]:
    """The same interaction from another server, or (None) from a DM."""
    moved = {**payload, "data": {**payload["data"]}}
    if guild_id is None:
        for key in ("guild_id", "member", "guild_locale"):
            moved.pop(key, None)
        moved["data"].pop("guild_id", None)
        moved["user"] = payload["member"]["user"]
        moved["context"] = 1
        moved["channel"] = {"id": moved["channel_id"], "type": 1, "recipients": []}
    else:
        moved["guild_id"] = moved["data"]["guild_id"] = str(guild_id)
        moved["authorizing_integration_owners"] = {"0": str(guild_id)}
    return moved


@pytest.mark.parametrize("where", ["another server", "a DM"])
async def test_commands_act_only_in_the_communitys_own_server(
    harness: DiscordHarness, where: str
) -> None:
    """An admin of another server the bot is in is no curator here; nor is anyone in a DM."""
    await _suggest(harness, ALICE, "https://example.com/a")
    guild = GUILD_ID + 1 if where == "another server" else None
    admin = member(30, "mallory")
    attempts = [
        slash("shortlist", [subcommand("close")], invoker=admin, permissions=MANAGE_GUILD),
        slash("shortlist", [subcommand("show")], invoker=admin, permissions=MANAGE_GUILD),
        slash("withdraw", [option("number", 1)], invoker=ALICE),
        slash("note", [option("number", 1), option("text", "changed")], invoker=ALICE),
        slash("suggest", [option("url", "https://example.com/b")], invoker=admin),
    ]
    for attempt in attempts:
        await harness.send("INTERACTION_CREATE", _elsewhere(attempt, guild))
    replies = [c.json["data"].get("content") for c in harness.api.find("POST", "/interactions/")]
    expected = (
        "Shortlist runs the ballot of another server; nothing was changed."
        if guild
        else "Please use this command in a server channel."
    )
    assert replies[1:] == [expected] * len(attempts)
    shortlist = await harness.ballot.shortlist(CURATOR_MEMBER)
    assert [t.suggestion.number for t in shortlist.ranked] == [1]
    assert shortlist.ranked[0].suggestion.note == ""
    assert (await harness.ballot.current_cycle()).id == 1


async def test_without_a_guild_id_the_community_is_its_channels_server(
    tmp_path: Path, api: FakeDiscordAPI
) -> None:
    harness = DiscordHarness(tmp_path / "bot.sqlite3", api, guild_id=None)
    await harness.start()
    try:
        assert (await _suggest(harness, ALICE, "https://example.com/a")).startswith("Suggested #1")
        away = _elsewhere(slash("withdraw", [option("number", 1)], invoker=ALICE), GUILD_ID + 1)
        await harness.send("INTERACTION_CREATE", away)
        assert (await harness.ballot.shortlist(CURATOR_MEMBER)).total == 1
    finally:
        await harness.stop()


async def test_shortlist_ranks_and_closes_and_exports(harness: DiscordHarness) -> None:
    await _suggest(harness, ALICE, "https://example.com/a", "first")
    await _suggest(harness, BOB, "https://example.com/b", "*second* <@&900000000000000021>")
    card_b = _card_id(harness.api, 1)
    await harness.send("MESSAGE_REACTION_ADD", reaction(CAROL, 13, card_b))

    show = slash(
        "shortlist", [subcommand("show", [option("limit", 5, 4)])], invoker=CURATOR_BY_ROLE
    )
    await harness.send("INTERACTION_CREATE", show)
    followup = harness.api.find("POST", f"/webhooks/{APP_ID}/")[-1]
    assert followup.json["allowed_mentions"] == {"parse": []}
    lines = followup.json["embeds"][0]["description"].splitlines()
    assert lines == [
        "**1.** 1 vote · #2 <https://example.com/b> — "
        "\\*second\\* <@\u200b&900000000000000021> — <@12>",
        "**2.** 0 votes · #1 <https://example.com/a> — first — <@11>",
    ]

    await harness.send(
        "INTERACTION_CREATE", slash("shortlist", [subcommand("close")], invoker=CURATOR_BY_ROLE)
    )
    assert _last_followup(harness.api).startswith("Closed cycle 1 with 2 suggestions")
    for card in (_card_id(harness.api, 0), card_b):  # the closed cycle's cards say so
        edit = harness.api.find("PATCH", f"/channels/{SUGGESTIONS_ID}/messages/{card}")[-1]
        assert edit.json["embeds"][0]["footer"]["text"] == "Voting closed: this ballot is frozen"
    await harness.send("MESSAGE_REACTION_ADD", reaction(ALICE, 11, card_b))  # frozen now
    closed = await harness.ballot.shortlist(CURATOR_MEMBER, cycle_id=1)
    assert [t.votes for t in closed.ranked] == [1, 0]

    export = slash(
        "shortlist", [subcommand("export", [option("cycle", 1, 4)])], invoker=CURATOR_BY_ROLE
    )
    await harness.send("INTERACTION_CREATE", export)
    followup = harness.api.find("POST", f"/webhooks/{APP_ID}/")[-1]
    assert followup.files == ["shortlist-cycle-1.md"]

    why_b = [option("number", 2, 4), option("cycle", 1, 4)]  # Alice reacted after the close
    await harness.send(
        "INTERACTION_CREATE",
        slash("shortlist", [subcommand("why", why_b)], invoker=CURATOR_BY_ROLE),
    )
    assert "1 after its cycle closed (discord)" in _last_followup(harness.api)


async def test_a_long_shortlist_fits_the_embed_and_attaches_the_rest(
    harness: DiscordHarness,
) -> None:
    curator = Member("discord", "20", "cora", is_curator=True)
    for n in range(60):
        await harness.ballot.suggest(curator, f"https://example.com/{n}", "x" * 200)
    show = slash("shortlist", [subcommand("show")], invoker=CURATOR_BY_ROLE)
    await harness.send("INTERACTION_CREATE", show)
    followup = harness.api.find("POST", f"/webhooks/{APP_ID}/")[-1]
    description = followup.json["embeds"][0]["description"]
    assert len(description) <= 4096
    assert description.splitlines()[-1].endswith("more (full list attached)")
    assert followup.files == ["shortlist-cycle-1.md"]


async def test_a_card_that_cannot_be_posted_saves_nothing(harness: DiscordHarness) -> None:
    harness.api.forbidden_channels.add(str(SUGGESTIONS_ID))
    reply = await _suggest(harness, ALICE, "https://example.com/a")
    assert reply.startswith(f"I couldn't post the suggestion card in <#{SUGGESTIONS_ID}>")
    assert reply.endswith("nothing was saved.")
    assert (await harness.ballot.shortlist(CURATOR_MEMBER)).total == 0
    harness.api.forbidden_channels.clear()
    assert (await _suggest(harness, ALICE, "https://example.com/a")).startswith("Suggested #2")


async def test_an_unexpected_failure_gets_a_short_apology_and_a_log(
    harness: DiscordHarness, caplog: pytest.LogCaptureFixture
) -> None:
    await harness.app.database.close()  # the database vanishes under the bot
    reply = await _suggest(harness, ALICE, "https://example.com/a")
    assert reply == "Sorry, something went wrong on my side; it has been logged."
    assert "/suggest failed" in caplog.text
    harness.app.database = await SqliteDatabase.open(harness.path)  # for the fixture's clean-up


async def test_announcements_embed_the_issue_and_ping_only_the_role(
    tmp_path: Path,
    api: FakeDiscordAPI,
) -> None:
    harness = DiscordHarness(tmp_path / "bot.sqlite3", api, announce_role_id=ANNOUNCE_ROLE_ID)
    await harness.start()
    try:
        announcement = Announcement(
            entry_id=1,
            feed_source="https://news.example.com/feed",
            feed_title="ML Monthly",
            title="Issue #12: Agents",
            link="https://news.example.com/12",
            published=datetime(2026, 11, 1, 9, tzinfo=UTC),
            summary="Ten links on agents & @everyone",
            next_cycle=2,
        )
        message_id = await harness.front.announce(
            str(ANNOUNCE_ID), announcement, "shortlist-issue-7"
        )
        [post] = api.find("POST", f"/channels/{ANNOUNCE_ID}/messages")
        assert message_id == api.messages_by_call(post)["id"]
        assert post.json["content"] == f"<@&{ANNOUNCE_ROLE_ID}>"
        assert post.json["allowed_mentions"] == {"parse": [], "roles": [ANNOUNCE_ROLE_ID]}
        [embed] = post.json["embeds"]
        assert embed["title"] == "New issue: Issue #12: Agents"
        assert embed["url"] == "https://news.example.com/12"
        assert embed["description"] == "Ten links on agents & @\u200beveryone"
        assert "/suggest" in embed["fields"][-1]["value"]

        await harness.front.alert_curators("The feed is failing")
        [alert] = api.find("POST", f"/channels/{CURATOR_CHANNEL_ID}/messages")
        assert alert.json["content"] == "The feed is failing"
        assert alert.json["allowed_mentions"] == {"parse": []}
    finally:
        await harness.stop()


async def test_a_missing_announce_permission_raises_for_a_retry(harness: DiscordHarness) -> None:
    harness.api.forbidden_channels.add(str(ANNOUNCE_ID))
    announcement = Announcement(1, "feed", "ML", "Issue", "https://n.example.com/1", None, "")
    with pytest.raises(PostRefused, match="403 Missing Permissions") as refused:
        await harness.front.announce(str(ANNOUNCE_ID), announcement, "shortlist-issue-7")
    assert isinstance(refused.value.__cause__, discord.Forbidden)


def test_the_invite_asks_for_the_scopes_and_permissions_it_needs() -> None:
    url = urlsplit(
        discord.utils.oauth_url(
            APP_ID, permissions=INVITE_PERMISSIONS, scopes=("bot", "applications.commands")
        )
    )
    query = dict(parse_qsl(url.query))
    assert query["scope"] == "bot applications.commands"
    permissions = discord.Permissions(int(query["permissions"]))
    assert permissions.send_messages
    assert permissions.add_reactions
    assert permissions.embed_links
    assert not permissions.administrator
    assert not permissions.mention_everyone
    assert (
        intents().value
        == discord.Intents(guilds=True, guild_reactions=True, guild_messages=True).value
    )
    assert not intents().message_content
    assert not intents().members


async def test_commands_sync_only_when_changed_and_leave_no_copy_behind(
    tmp_path: Path, api: FakeDiscordAPI
) -> None:
    path = tmp_path / "bot.sqlite3"

    async def run_once(**settings: Any) -> int:
        harness = DiscordHarness(path, api, **settings)
        await harness.start()
        await harness.stop()
        return len(api.find("PUT", f"/applications/{APP_ID}/"))

    assert await run_once() == 1
    assert await run_once() == 1  # the same commands: no second sync at start-up
    assert await run_once(guild_id=None) == 3  # global now, and the server's copies removed
    assert api.commands[str(GUILD_ID)] == []
    assert {c["name"] for c in api.commands["global"]} >= {"suggest", "shortlist"}


async def test_another_application_on_the_same_database_gets_its_commands(
    tmp_path: Path, api: FakeDiscordAPI
) -> None:
    """The sync record names the application: a new one (a new token on the old data) syncs,
    and the old application's commands are left to it."""
    path = tmp_path / "bot.sqlite3"
    for _ in range(2):
        harness = DiscordHarness(path, api)
        await harness.start()
        await harness.stop()
    assert len(api.find("PUT", "/applications/")) == 1
    api.application_id = APP_ID + 1
    harness = DiscordHarness(path, api)
    await harness.start()
    await harness.stop()
    [second] = api.find("PUT", f"/applications/{APP_ID + 1}/")
    assert second.path == f"/applications/{APP_ID + 1}/guilds/{GUILD_ID}/commands"
    assert len(api.find("PUT", "/applications/")) == 2  # nothing emptied


async def test_a_template_and_publishing_in_announcement_channels(
    tmp_path: Path, api: FakeDiscordAPI
) -> None:
    from bot.app import build
    from tests.cogs.discord_harness import TUNING, discord_settings

    settings = Settings(
        link_previews=False,
        database_path=tmp_path / "bot.sqlite3",
        announcement_template="{mention} {feed} is out: **{title}**\n{link}",
        discord=discord_settings(
            announce_channel_ids=(ANNOUNCE_ID, NEWS_ID),
            announce_role_id=ANNOUNCE_ROLE_ID,
            publish_announcements=True,
        ),
    )
    app = await build(settings, tuning=TUNING)
    harness = DiscordHarness(tmp_path / "bot.sqlite3", api, app=app)
    await harness.start()
    try:
        announcement = Announcement(
            entry_id=7,
            feed_source="https://news.example.com/feed",
            feed_title="ML Monthly",
            title="Issue #7: @everyone *loves* links",
            link="https://news.example.com/7",
            published=datetime(2026, 11, 1, tzinfo=UTC),
            summary="",
        )
        plain = await harness.front.announce(str(ANNOUNCE_ID), announcement, "shortlist-issue-7")
        news = await harness.front.announce(str(NEWS_ID), announcement, "shortlist-issue-7")
        post = api.find("POST", f"/channels/{ANNOUNCE_ID}/messages")[-1]
        assert post.json["content"] == (
            f"<@&{ANNOUNCE_ROLE_ID}> ML Monthly is out: **Issue #7: @\u200beveryone \\*loves\\* "
            "links**\nhttps://news.example.com/7"
        )
        pings = post.json["allowed_mentions"]
        assert (pings["parse"], pings["roles"]) == ([], [ANNOUNCE_ROLE_ID])  # the role only
        assert api.published == [news]  # only the announcement channel's post is published
        assert plain != news
    finally:
        await app.shut_down()
        await app.close()


async def test_the_weekly_digest_goes_to_the_suggestions_channel(harness: DiscordHarness) -> None:
    for n in range(3):
        await _suggest(harness, member(30 + n, f"m{n}"), f"https://example.com/{n}")
    await harness.front.post_digest(await harness.ballot.standings(5))
    digest = harness.api.find("POST", f"/channels/{SUGGESTIONS_ID}/messages")[-1]
    embed = digest.json["embeds"][0]
    assert embed["title"] == "This week's top 3 for the next issue"
    assert "React 👍 on the cards in this channel to vote" in embed["fields"][-1]["value"]
    assert digest.json["allowed_mentions"]["parse"] == []
