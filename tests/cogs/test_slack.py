"""The Slack front end: the real Bolt AsyncApp over HTTP on 127.0.0.1, its Web API faked."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from multidict import CIMultiDict

from bot.models import Announcement, Member
from tests.cogs.slack_harness import CURATOR_ID, SlackHarness
from tests.fake_slack import (
    ANNOUNCE,
    BOT_USER_ID,
    SUGGESTIONS,
    FakeSlack,
    command_payload,
    event_payload,
    fake_slack,
    form,
    reaction_event,
    signed,
)
from tests.waiting import eventually

CURATOR = Member("slack", CURATOR_ID, "Cora", is_curator=True)


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    async with fake_slack() as running:
        running.add_user("U0ALICE", "Alice")
        running.add_user("U0BOB", "Bob")
        running.add_user("U0CAROL", "Carol")
        running.add_user("U0ROBOT", "Robot", is_bot=True)
        running.add_user(CURATOR_ID, "Cora")
        yield running


@pytest.fixture
async def slack(tmp_path: Path, fake: FakeSlack) -> AsyncIterator[SlackHarness]:
    harness = SlackHarness(tmp_path / "bot.sqlite3", fake)
    await harness.start()
    yield harness
    await harness.stop()


def _posted_ts(fake: FakeSlack, n: int) -> str:
    posted = [key for key in fake.messages if key[0] == SUGGESTIONS]
    return posted[n][1]


async def test_url_verification_is_answered(slack: SlackHarness) -> None:
    body = json.dumps({"token": "x", "challenge": "ch4ll3nge", "type": "url_verification"}).encode()
    status, text = await slack.post(body, {**signed(body), "Content-Type": "application/json"})
    assert status == 200
    assert "ch4ll3nge" in text


async def test_suggest_acks_posts_a_card_and_answers_privately(
    slack: SlackHarness, fake: FakeSlack
) -> None:
    answer = await slack.reply_to(
        "/suggest",
        "<https://www.example.com/post?utm_source=x|example.com/post> <!channel> & <@U0BOB>",
        "U0ALICE",
    )
    [post] = fake.find("chat.postMessage")
    assert post.args["channel"] == SUGGESTIONS
    section, context = post.args["blocks"]
    assert section["text"]["text"] == (
        "*#1* <https://example.com/post|https://example.com/post>\n"
        "&lt;!channel&gt; &amp; &lt;@U0BOB&gt;"
    )
    assert context["elements"][0]["text"].startswith("Suggested by Alice · *0 votes*")
    ts = _posted_ts(fake, 0)
    [react] = fake.find("reactions.add")
    assert (react.args["channel"], react.args["timestamp"], react.args["name"]) == (
        SUGGESTIONS,
        ts,
        "+1",
    )
    permalink = f"https://shortlist.slack.com/archives/{SUGGESTIONS}/p{ts.replace('.', '')}"
    assert answer["text"] == f"Suggested #1 for the next issue: {permalink}"


async def test_a_refused_link_says_why_and_stores_nothing(
    slack: SlackHarness, fake: FakeSlack
) -> None:
    answer = await slack.reply_to("/suggest", "javascript:alert(1)", "U0ALICE")
    assert answer["text"] == "Only http and https links can be suggested."
    answer = await slack.reply_to("/suggest", "", "U0ALICE")
    assert answer["text"].startswith(
        "Give the link to suggest.\nUsage: `/suggest &lt;link&gt; [note]`"
    )
    assert "`/suggest withdraw &lt;n&gt;`" in answer["text"]
    assert fake.find("chat.postMessage") == []
    assert (await slack.ballot.shortlist(CURATOR)).total == 0


async def test_reactions_are_votes_once_per_member(slack: SlackHarness, fake: FakeSlack) -> None:
    await slack.reply_to("/suggest", "https://example.com/post", "U0ALICE")
    ts = _posted_ts(fake, 0)
    for event in [
        reaction_event("reaction_added", "U0BOB", SUGGESTIONS, ts),
        reaction_event("reaction_added", "U0BOB", SUGGESTIONS, ts),  # replayed
        reaction_event("reaction_added", "U0CAROL", SUGGESTIONS, ts, name="+1::skin-tone-3"),
        reaction_event("reaction_added", "U0ROBOT", SUGGESTIONS, ts),
        reaction_event("reaction_added", BOT_USER_ID, SUGGESTIONS, ts),
        reaction_event("reaction_added", "U0CAROL", SUGGESTIONS, ts, name="tada"),
        reaction_event("reaction_added", "U0ALICE", SUGGESTIONS, ts, item_user=None),  # self
    ]:
        assert (await slack.event(event))[0] == 200
    await eventually(lambda: fake.find("chat.postEphemeral"))
    [explained] = fake.find("chat.postEphemeral")
    assert (explained.args["user"], explained.args["text"]) == (
        "U0ALICE",
        "You can't vote for your own suggestion.",
    )
    await eventually(lambda: _votes_on_card(fake, ts) == "2 votes")

    await slack.event(reaction_event("reaction_removed", "U0BOB", SUGGESTIONS, ts))
    await eventually(lambda: _votes_on_card(fake, ts) == "1 vote")
    tally = (await slack.ballot.shortlist(CURATOR)).ranked[0]
    assert tally.votes == 1


def _votes_on_card(fake: FakeSlack, ts: str) -> str | None:
    updates = [c for c in fake.find("chat.update") if c.args["ts"] == ts]
    if not updates:
        return None
    text: str = updates[-1].args["blocks"][1]["elements"][0]["text"]
    return text.split("*")[1]


@pytest.mark.parametrize(
    "forge",
    ["unsigned", "wrong secret", "tampered", "stale"],
)
async def test_forged_requests_get_401_and_change_nothing(
    slack: SlackHarness, fake: FakeSlack, forge: str
) -> None:
    body = form(command_payload(fake, "/suggest", "https://example.com/forged", "U0ALICE"))
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if forge == "wrong secret":
        headers |= signed(body, secret="not-the-secret")
    elif forge == "tampered":
        headers |= signed(body)
        body = body.replace(b"forged", b"evil00")
    elif forge == "stale":
        headers |= signed(body, timestamp=int(time.time()) - 6 * 60)
    status, _ = await slack.post(body, headers)
    assert status == 401
    event = json.dumps(
        event_payload(reaction_event("reaction_added", "U0BOB", SUGGESTIONS, "1.0"))
    ).encode()
    status, _ = await slack.post(event, {"Content-Type": "application/json"})
    assert status == 401
    assert fake.find("chat.postMessage") == []
    assert (await slack.ballot.shortlist(CURATOR)).total == 0


async def test_a_replayed_request_is_answered_once(slack: SlackHarness, fake: FakeSlack) -> None:
    await slack.reply_to("/suggest", "https://example.com/a", "U0ALICE")
    body = form(command_payload(fake, "/shortlist", "close", CURATOR_ID))
    headers = {**signed(body), "Content-Type": "application/x-www-form-urlencoded"}
    assert (await slack.post(body, headers))[0] == 200
    await eventually(lambda: any("Closed cycle 1" in r["text"] for r in fake.responses))
    assert (await slack.post(body, headers))[0] == 401  # the same signature and timestamp
    await asyncio.sleep(0.2)
    assert (await slack.ballot.current_cycle()).id == 2  # closed once, not twice


async def test_a_repeated_signature_header_is_refused(slack: SlackHarness, fake: FakeSlack) -> None:
    """Junk first and the real header last: Bolt verifies the last, so the guard refuses any
    request with more than one timestamp or signature."""
    body = form(command_payload(fake, "/shortlist", "close", CURATOR_ID))
    real = signed(body)
    for doubled in ("X-Slack-Signature", "X-Slack-Request-Timestamp"):
        headers = CIMultiDict({"Content-Type": "application/x-www-form-urlencoded", **real})
        headers.popall(doubled)
        headers.add(doubled, "v0=junk" if doubled == "X-Slack-Signature" else "1")
        headers.add(doubled, real[doubled])
        async with slack.session.post(slack.url, data=body, headers=headers) as response:
            assert response.status == 401
    assert (await slack.ballot.current_cycle()).id == 1


async def test_a_replay_is_refused_after_a_restart(tmp_path: Path, fake: FakeSlack) -> None:
    """What was answered is remembered in the database, not in the process."""
    first = SlackHarness(tmp_path / "bot.sqlite3", fake)
    await first.start()
    body = form(command_payload(fake, "/suggest", "https://example.com/once", "U0ALICE"))
    headers = {**signed(body), "Content-Type": "application/x-www-form-urlencoded"}
    try:
        assert (await first.post(body, headers))[0] == 200
        await eventually(lambda: len(fake.responses) == 1)
    finally:
        await first.stop()
    second = SlackHarness(tmp_path / "bot.sqlite3", fake)
    await second.start()
    try:
        assert (await second.post(body, headers))[0] == 401
        assert (await second.ballot.shortlist(CURATOR)).total == 1
    finally:
        await second.stop()


async def test_unsigned_traffic_is_not_remembered(slack: SlackHarness) -> None:
    for n in range(300):
        headers = {
            "X-Slack-Request-Timestamp": str(int(time.time())),
            "X-Slack-Signature": f"v0={n}",
        }
        assert (await slack.post(b"x" * 100, headers))[0] == 401
        async with slack.session.post(slack.url.replace("/slack/events", f"/other/{n}")) as other:
            assert other.status == 404
    rows = await slack.app.database.fetch_one("SELECT COUNT(*) FROM slack_requests")
    assert rows is not None
    assert rows[0] == 0


async def test_healthz_says_ready_when_connected(slack: SlackHarness) -> None:
    health = slack.url.replace("/slack/events", "/healthz")
    async with slack.session.get(health) as response:
        assert response.status == 200
        assert await response.json() == {
            "ready": True,
            "database": True,
            "platforms": {"slack": True},
        }
    await slack.app.database.close()  # the database stops answering
    async with slack.session.get(health) as response:
        assert response.status == 503
        assert (await response.json())["database"] is False


@pytest.mark.parametrize("stamp", ["abc", "", "1e3", "-5", "12.5"])
async def test_a_malformed_timestamp_gets_401(
    slack: SlackHarness, fake: FakeSlack, stamp: str
) -> None:
    body = form(command_payload(fake, "/suggest", "https://example.com/a", "U0ALICE"))
    headers = {
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": "v0=" + "0" * 64,
        "Content-Type": "application/x-www-form-urlencoded",
    }
    assert (await slack.post(body, headers))[0] == 401
    assert (await slack.ballot.shortlist(CURATOR)).total == 0


async def test_shortlist_is_for_curators_and_ranks_closes_exports(
    slack: SlackHarness, fake: FakeSlack
) -> None:
    await slack.reply_to("/suggest", "https://example.com/a first", "U0ALICE")
    await slack.reply_to("/suggest", "https://example.com/b *second*", "U0BOB")
    await slack.event(reaction_event("reaction_added", "U0CAROL", SUGGESTIONS, _posted_ts(fake, 1)))
    await eventually(lambda: _votes_on_card(fake, _posted_ts(fake, 1)) == "1 vote")

    refused = await slack.reply_to("/shortlist", "", "U0BOB")
    assert refused["text"] == "Only curators can do that."

    shown = await slack.reply_to("/shortlist", "5", CURATOR_ID)
    texts = [block["text"]["text"] for block in shown["blocks"] if block["type"] == "section"]
    assert texts == [
        "*1.* 1 vote · #2 <https://example.com/b|https://example.com/b>\n"
        "*second*\n_suggested by Bob_",
        "*2.* 0 votes · #1 <https://example.com/a|https://example.com/a>\n"
        "first\n_suggested by Alice_",
    ]
    bad = await slack.reply_to("/shortlist", "cycle one", CURATOR_ID)
    assert bad["text"].startswith("The cycle must be a whole number from 1, not 'one'.\nUsage:")
    assert "`/shortlist cycle &lt;n&gt; [limit]` show an earlier cycle" in bad["text"]

    closed = await slack.reply_to("/shortlist", "close", CURATOR_ID)
    assert closed["text"].startswith("Closed cycle 1 with 2 suggestions")
    await eventually(
        lambda: (
            {c.args["ts"] for c in fake.find("chat.update") if "voting closed" in str(c.args)}
            == {_posted_ts(fake, 0), _posted_ts(fake, 1)}
        )
    )
    exported = await slack.reply_to("/shortlist", "export 1", CURATOR_ID)
    assert exported["text"] == (
        "Sent you the shortlist of cycle 1 (2 suggestions) as a file in a direct message."
    )
    [markdown] = fake.files.values()
    assert markdown["name"] == "shortlist-cycle-1.md"
    assert markdown["channel"] == f"D{CURATOR_ID}"  # the curator's own direct message
    assert markdown["content"].decode().startswith("# Shortlist of cycle 1 (closed)\n\n1. [")
    await slack.reply_to("/shortlist", "export 1 csv", CURATOR_ID)
    csv_file = next(f for f in fake.files.values() if f["name"].endswith(".csv"))
    assert csv_file["content"].decode().startswith("rank,votes,votes_by_platform,number,title")


async def test_curators_can_be_a_user_group(tmp_path: Path, fake: FakeSlack) -> None:
    fake.usergroups["S0CURATORS"] = ["U0BOB"]
    harness = SlackHarness(tmp_path / "bot.sqlite3", fake, curator_usergroup_id="S0CURATORS")
    await harness.start()
    try:
        answer = await harness.reply_to("/shortlist", "", "U0BOB")
        assert answer["text"] == "Shortlist for the next issue (cycle 1, open)"
        fake.usergroups["S0CURATORS"] = []  # taken out of the group: no curator a moment later
        refused = await harness.reply_to("/shortlist", "close", "U0BOB")
        assert "curators" in refused["text"]
        assert (await harness.ballot.current_cycle()).id == 1
    finally:
        await harness.stop()


async def test_a_channel_the_bot_is_not_in_saves_nothing(
    slack: SlackHarness, fake: FakeSlack
) -> None:
    fake.not_in_channel.add(SUGGESTIONS)
    answer = await slack.reply_to("/suggest", "https://example.com/a", "U0ALICE")
    assert answer["text"] == (
        f"I couldn't post the suggestion card in <#{SUGGESTIONS}> (Slack said: not_in_channel). "
        "Please invite me to that channel; nothing was saved."
    )
    assert (await slack.ballot.shortlist(CURATOR)).total == 0


async def test_votes_made_while_down_are_recovered(tmp_path: Path, fake: FakeSlack) -> None:
    first = SlackHarness(tmp_path / "bot.sqlite3", fake)
    await first.start()
    await first.reply_to("/suggest", "https://example.com/a", "U0ALICE")
    await first.reply_to("/suggest", "https://example.com/b", "U0ALICE")
    ts_a, ts_b = _posted_ts(fake, 0), _posted_ts(fake, 1)
    await first.event(reaction_event("reaction_added", "U0BOB", SUGGESTIONS, ts_a))
    await eventually(lambda: _votes_on_card(fake, ts_a) == "1 vote")
    await first.stop()

    fake.unreact(SUGGESTIONS, ts_a, "U0BOB")
    fake.react(SUGGESTIONS, ts_a, "U0CAROL")
    fake.react(SUGGESTIONS, ts_a, "U0ALICE")  # self-vote
    fake.react(SUGGESTIONS, ts_a, "U0ROBOT")  # a bot
    for n in range(60):  # more than reactions.get lists without full=true
        fake.add_user(f"U0READER{n}", f"Reader {n}")
        fake.react(SUGGESTIONS, ts_a, f"U0READER{n}")
    del fake.messages[(SUGGESTIONS, ts_b)]

    second = SlackHarness(tmp_path / "bot.sqlite3", fake)
    await second.start()
    try:
        await eventually(lambda: len(fake.find("reactions.get")) >= 2)
        assert all(
            str(call.args["full"]).lower() in ("1", "true") for call in fake.find("reactions.get")
        )

        await eventually(lambda: _votes_on_card(fake, ts_a) == "61 votes")

        async def recovered() -> dict[str, int]:
            ranked = (await second.ballot.shortlist(CURATOR)).ranked
            return {t.suggestion.url: t.votes for t in ranked}

        async with asyncio.timeout(10):  # b's withdrawal may land just after a's new count
            while await recovered() != {"https://example.com/a": 61}:  # noqa: ASYNC110
                await asyncio.sleep(0.01)
    finally:
        await second.stop()


async def test_a_card_posted_just_before_a_crash_is_found_at_the_next_start(
    tmp_path: Path, fake: FakeSlack
) -> None:
    first = SlackHarness(tmp_path / "bot.sqlite3", fake)
    await first.start()
    await first.reply_to("/suggest", "https://example.com/a", "U0ALICE")
    await first.stop()
    ts = _posted_ts(fake, 0)
    with contextlib.closing(sqlite3.connect(tmp_path / "bot.sqlite3")) as db, db:
        # What a crash between Slack's answer and the bot recording it leaves: the post begun.
        db.execute("INSERT INTO card_posts SELECT suggestion_id, platform, channel_id FROM cards")
        db.execute("DELETE FROM cards")
    fake.react(SUGGESTIONS, ts, "U0BOB")  # a vote while the bot was down

    second = SlackHarness(tmp_path / "bot.sqlite3", fake)
    await second.start()
    try:
        await eventually(lambda: _votes_on_card(fake, ts) == "1 vote")
        assert len(fake.find("chat.postMessage")) == 1  # found by its metadata, not posted again
        assert [call.args["name"] for call in fake.find("reactions.add")] == ["+1", "+1"]
        [entry] = (await second.ballot.shortlist(CURATOR)).ranked
        assert entry.votes == 1
    finally:
        await second.stop()


async def test_announcements_are_block_kit_and_ping_nobody(
    slack: SlackHarness, fake: FakeSlack
) -> None:
    item = Announcement(
        1,
        "feed",
        "ML <Monthly>",
        "Issue #12 <!here>",
        "https://n.example.com/12?a=1&b=2",
        datetime(2026, 11, 1, tzinfo=UTC),
        "Agents & tools",
        2,
    )
    ts = await slack.front.announce(ANNOUNCE, item, "shortlist-issue-7")
    [post] = fake.find("chat.postMessage")
    assert post.args["channel"] == ANNOUNCE
    assert ts == _ts_of(fake, ANNOUNCE)
    header, body, context, invite = post.args["blocks"]
    assert header["text"]["text"] == "New issue: Issue #12 <!here>"  # plain_text never pings
    assert header["text"]["type"] == "plain_text"
    assert (
        body["text"]["text"]
        == "<https://n.example.com/12?a=1&amp;b=2|Issue #12 &lt;!here&gt;>\nAgents &amp; tools"
    )
    assert context["elements"][0]["text"] == "ML &lt;Monthly&gt; · published 1 November 2026"
    assert "/suggest" in invite["text"]["text"]
    assert post.args["text"] == "New issue: Issue #12 &lt;!here&gt;"


def _ts_of(fake: FakeSlack, channel: str) -> str:
    return next(key[1] for key in fake.messages if key[0] == channel)


async def test_socket_mode_connects_to_the_url_slack_hands_out(
    tmp_path: Path, fake: FakeSlack
) -> None:
    harness = SlackHarness(tmp_path / "bot.sqlite3", fake, socket_mode=True)
    await harness.start()
    try:
        await eventually(lambda: fake.socket_connected.is_set())
        opened = fake.find("apps.connections.open")  # the token check, then the connection
        assert [call.token for call in opened] == ["xapp-test-app-token"] * 2

        envelope = await fake.envelope(
            "slash_commands",
            command_payload(fake, "/suggest", "https://example.com/a via socket", "U0ALICE"),
        )
        await eventually(lambda: envelope in fake.acks)
        await eventually(lambda: fake.responses)
        assert fake.responses[-1]["text"].startswith("Suggested #1 for the next issue")
        ts = _posted_ts(fake, 0)

        envelope = await fake.envelope(
            "events_api", event_payload(reaction_event("reaction_added", "U0BOB", SUGGESTIONS, ts))
        )
        await eventually(lambda: envelope in fake.acks)
        await eventually(lambda: _votes_on_card(fake, ts) == "1 vote")
    finally:
        await harness.stop()
    assert not fake.sockets  # closed cleanly on stop


async def test_a_rejected_token_turns_slack_off(tmp_path: Path, fake: FakeSlack) -> None:
    from bot.errors import FrontEndUnavailable

    harness = SlackHarness(tmp_path / "bot.sqlite3", fake, bot_token="xoxb-revoked")
    with pytest.raises(FrontEndUnavailable, match=r"rejected SLACK_BOT_TOKEN \(invalid_auth\)"):
        await harness.start()
    harness = SlackHarness(
        tmp_path / "bot.sqlite3", fake, socket_mode=True, app_token="xapp-revoked"
    )
    with pytest.raises(FrontEndUnavailable, match=r"rejected SLACK_APP_TOKEN \(invalid_auth\)"):
        await harness.start()
    assert not fake.sockets


async def test_the_manifest_grants_exactly_what_the_app_uses(slack: SlackHarness) -> None:
    from cogs.slack_app.listeners import SCOPES
    from cogs.slack_app.manifest import manifest

    checked_in = json.loads((Path(__file__).parents[2] / "slack-manifest.json").read_text())
    assert checked_in == manifest()  # `python -m bot slack-manifest` with the defaults
    generated = manifest(slack.settings)
    commands = [c["command"] for c in generated["features"]["slash_commands"]]
    assert commands == slack.front.registered["commands"]
    assert all(not c["should_escape"] for c in generated["features"]["slash_commands"])
    events = generated["settings"]["event_subscriptions"]["bot_events"]
    assert events == sorted(slack.front.registered["events"])
    assert sorted(generated["oauth_config"]["scopes"]["bot"]) == sorted(SCOPES)
    assert checked_in["settings"]["socket_mode_enabled"] is True
    assert generated["settings"]["socket_mode_enabled"] is False  # the harness runs HTTP mode


async def test_renamed_commands_work_and_curators_find_everything_under_one(
    tmp_path: Path, fake: FakeSlack
) -> None:
    from bot.settings import CommandNames
    from cogs.slack_app.manifest import manifest

    names = CommandNames(suggest="/propose", shortlist="/ballot")
    harness = SlackHarness(
        tmp_path / "bot.sqlite3",
        fake,
        commands=names,
        request_url="https://bot.example.org/slack/events",
    )
    await harness.start()
    try:
        made = await harness.reply_to("/propose", "https://example.com/a", "U0ALICE")
        assert made["text"].startswith("Suggested #1")
        wrong = await harness.reply_to("/propose", "", "U0ALICE")
        assert "Usage: `/propose &lt;link&gt; [note]`" in wrong["text"]
        shown = await harness.reply_to("/ballot", "", CURATOR_ID)
        assert "#1" in shown["blocks"][1]["text"]["text"]
        feed = await harness.reply_to("/ballot", "feed", CURATOR_ID)
        assert feed["text"] == "No newsletter feed is configured: set FEED_URLS."
        generated = manifest(harness.settings)
        assert [c["command"] for c in generated["features"]["slash_commands"]] == [
            "/propose",
            "/ballot",
        ]
        assert generated["features"]["slash_commands"][0]["url"] == (
            "https://bot.example.org/slack/events"
        )
        assert harness.front.registered["commands"] == ["/propose", "/ballot"]
    finally:
        await harness.stop()


async def test_rate_limited_card_edits_are_retried_not_lost(
    slack: SlackHarness, fake: FakeSlack
) -> None:
    for n in range(3):
        await slack.reply_to("/suggest", f"https://example.com/{n}", "U0ALICE")
    fake.rate_limit["chat.update"] = 2  # the next two chat.update calls get 429, Retry-After 1
    await slack.reply_to("/shortlist", "close", CURATOR_ID)
    await eventually(lambda: len(fake.find("chat.update")) >= 5, within=15)
    closed = [c for c in fake.find("chat.update") if "voting closed" in str(c.args.get("blocks"))]
    assert len({c.args["ts"] for c in closed}) == 3  # every card, none lost to the 429s


async def test_deleting_a_card_withdraws_its_suggestion(
    slack: SlackHarness, fake: FakeSlack
) -> None:
    await slack.reply_to("/suggest", "https://example.com/a", "U0ALICE")
    [post] = fake.find("chat.postMessage")
    ts = next(ts for (channel, ts) in fake.messages if channel == SUGGESTIONS)
    chatter = {
        "type": "message",
        "channel": SUGGESTIONS,
        "user": "U0BOB",
        "text": "hi",
        "ts": "9.1",
    }
    assert (await slack.event(chatter))[0] == 200  # other messages: acknowledged, ignored
    deleted = {
        "type": "message",
        "subtype": "message_deleted",
        "channel": SUGGESTIONS,
        "deleted_ts": ts,
        "previous_message": {"type": "message", "ts": ts, "user": "U0SHORTBOT"},
        "hidden": True,
        "ts": "1700009999.000100",
    }
    assert (await slack.event(deleted))[0] == 200
    for _ in range(100):  # Bolt runs the listener after answering
        if (await slack.ballot.shortlist(CURATOR)).total == 0:
            break
        await asyncio.sleep(0.02)
    assert (await slack.ballot.shortlist(CURATOR)).total == 0
    again = await slack.reply_to("/suggest", "https://example.com/a", "U0BOB")
    assert again["text"].startswith("Suggested #2")
    assert post.args["channel"] == SUGGESTIONS


async def test_a_template_and_a_user_group_ping(tmp_path: Path, fake: FakeSlack) -> None:
    from datetime import UTC, datetime

    from bot.app import build
    from bot.models import Announcement
    from bot.settings import Settings
    from tests.cogs.discord_harness import TUNING
    from tests.cogs.slack_harness import slack_settings

    settings = Settings(
        link_previews=False,
        database_path=tmp_path / "bot.sqlite3",
        announcement_template="{mention} {title} <!channel>: {link}",
        slack=slack_settings(fake, announce_usergroup_id="S0READERS"),
    )
    app = await build(settings, tuning=TUNING)
    harness = SlackHarness(tmp_path / "bot.sqlite3", fake, app=app)
    await harness.start()
    try:
        item = Announcement(
            7,
            "f",
            "ML Monthly",
            "Issue <7>",
            "https://n.example/7?a=1&b=<!channel>",
            datetime(2026, 11, 1, tzinfo=UTC),
            "",
        )
        await harness.front.announce(ANNOUNCE, item, "shortlist-issue-7")
        [post] = [c for c in fake.find("chat.postMessage") if c.args["channel"] == ANNOUNCE]
        assert post.args["text"] == (
            "<!subteam^S0READERS> Issue &lt;7&gt; <!channel>: "
            "https://n.example/7?a=1&amp;b=&lt;!channel&gt;"
        )  # the template's own words are the community's; the feed's, link too, are escaped
    finally:
        await app.shut_down()
        await harness.stop()
        await app.close()


async def test_the_weekly_digest_on_slack(slack: SlackHarness, fake: FakeSlack) -> None:
    await slack.reply_to("/suggest", "https://example.com/a", "U0ALICE")
    await slack.front.post_digest(await slack.ballot.standings(5))
    digest = fake.find("chat.postMessage")[-1]
    assert digest.args["channel"] == SUGGESTIONS
    assert digest.args["text"] == "This week's top 1 for the next issue"
    nudge = digest.args["blocks"][-1]["elements"][0]["text"]
    assert nudge == "React with :+1: on the cards to vote · `/suggest &lt;link&gt;` to suggest one"


async def test_announcements_can_ping_a_user_group(tmp_path: Path, fake: FakeSlack) -> None:
    from datetime import UTC, datetime

    from bot.models import Announcement

    harness = SlackHarness(tmp_path / "bot.sqlite3", fake, announce_usergroup_id="S0READERS")
    await harness.start()
    try:
        item = Announcement(
            8,
            "f",
            "ML Monthly",
            "Issue 8",
            "https://n.example/8",
            datetime(2026, 11, 1, tzinfo=UTC),
            "Links",
        )
        await harness.front.announce(ANNOUNCE, item, "shortlist-issue-8")
        [post] = [c for c in fake.find("chat.postMessage") if c.args["channel"] == ANNOUNCE]
        assert post.args["text"] == "<!subteam^S0READERS> New issue: Issue 8"
        assert post.args["blocks"][1]["text"]["text"] == "<!subteam^S0READERS>"
    finally:
        await harness.stop()


async def test_members_withdraw_and_rewrite_their_suggestions_under_suggest(
    slack: SlackHarness, fake: FakeSlack
) -> None:
    await slack.reply_to("/suggest", "https://example.com/a first", "U0ALICE")
    ts = next(ts for (channel, ts) in fake.messages if channel == SUGGESTIONS)
    edited = await slack.reply_to("/suggest", "note 1 Better &lt;!channel&gt; read", "U0ALICE")
    assert edited["text"] == "Updated the note of #1: Better &lt;!channel&gt; read"
    await eventually(  # the card follows (an edit, in the background): shown, pinging nobody
        lambda: "Better &lt;!channel&gt; read" in json.dumps(fake.messages[(SUGGESTIONS, ts)])
    )

    refused = await slack.reply_to("/suggest", "withdraw 1", "U0BOB")
    assert refused["text"] == "Only Alice, who suggested #1, or a curator can withdraw it."
    wrong = await slack.reply_to("/suggest", "withdraw one", "U0ALICE")
    assert "must be a whole number" in wrong["text"]
    assert (SUGGESTIONS, ts) in fake.messages

    done = await slack.reply_to("/suggest", "withdraw #1", "U0ALICE")
    assert done["text"].startswith("Withdrew #1 (https://example.com/a)")
    assert (SUGGESTIONS, ts) not in fake.messages  # the card is gone (chat.delete)
    assert (await slack.ballot.shortlist(CURATOR)).total == 0


async def test_curators_ask_why_under_shortlist(slack: SlackHarness, fake: FakeSlack) -> None:
    await slack.reply_to("/suggest", "https://example.com/a", "U0ALICE")
    why = await slack.reply_to("/shortlist", "why 1", CURATOR_ID)
    assert why["text"].startswith("#1 https://example.com/a: 0 votes\n")
    refused = await slack.reply_to("/shortlist", "why 1", "U0BOB")
    assert refused["text"] == "Only curators can do that."
