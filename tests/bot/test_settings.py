from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from bot.reading import unknown_settings
from bot.settings import KNOWN_SETTINGS, Settings, SettingsError


def test_defaults_need_nothing() -> None:
    settings = Settings.from_env({})
    assert settings.database_path == Path("data/console.sqlite3")  # trying it is kept apart
    assert settings.suggestions_per_member == 5
    assert settings.feed_urls == ()
    assert settings.feed_poll_seconds == 900
    assert settings.console_mode
    assert settings.logging_level() == logging.WARNING


def test_a_platform_gets_the_communitys_database_by_default() -> None:
    settings = Settings.from_env({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"})
    assert settings.database_path == Path("data/bot.sqlite3")


def test_values_are_read_and_trimmed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "feeds").mkdir()
    (tmp_path / "feeds" / "local.xml").write_text("<rss/>")
    settings = Settings.from_env(
        {
            "DATABASE_PATH": " /tmp/x.db ",
            "SUGGESTIONS_PER_MEMBER": "2",
            "FEED_URLS": "https://a.example/feed, ,feeds/local.xml",
            "LOG_LEVEL": "debug",
        }
    )
    assert settings.database_path == Path("/tmp/x.db")
    assert settings.suggestions_per_member == 2
    assert settings.feed_urls == ("https://a.example/feed", "feeds/local.xml")
    assert settings.logging_level() == logging.DEBUG


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("SUGGESTIONS_PER_MEMBER", "many", "whole number"),
        ("SUGGESTIONS_PER_MEMBER", "0", "between 1 and 1000"),
        ("SUGGESTIONS_PER_MEMBER", "9" * 31, "between 1 and 1000"),
        ("ANNOUNCEMENT_TEMPLATE", "{date:%B %Y}", "placeholders take no format"),
        ("ANNOUNCEMENT_TEMPLATE", "{title:>99}", "placeholders take no format"),
        ("ANNOUNCEMENT_TEMPLATE", "{title:{date}}", "placeholders take no format"),
        ("ANNOUNCEMENT_TEMPLATE", "{title!r}", "placeholders take no format"),
        ("ANNOUNCEMENT_TEMPLATE", "{title.upper}", "has {title.upper}; the placeholders"),
        ("ANNOUNCEMENT_TEMPLATE", "{title[0]}", "has {title[0]}; the placeholders"),
        ("FEED_POLL_SECONDS", "1", "between 10 and 604800"),
        ("LOG_LEVEL", "LOUD", "one of"),
    ],
)
def test_malformed_settings_name_themselves(name: str, value: str, says: str) -> None:
    with pytest.raises(SettingsError) as error:
        Settings.from_env({name: value})
    assert error.value.name == name
    assert str(error.value).startswith(name)
    assert says in str(error.value)


def test_discord_is_on_when_a_token_is_set() -> None:
    settings = Settings.from_env(
        {
            "DISCORD_TOKEN": "abc.def.ghi",
            "DISCORD_GUILD_ID": "900000000000000001",
            "DISCORD_ANNOUNCE_CHANNEL_IDS": "1, 2,2",
            "DISCORD_CURATOR_ROLE_IDS": "3",
            "DISCORD_API_BASE": "http://127.0.0.1:8080/api/v10/",
        }
    )
    assert settings.discord is not None
    assert not settings.console_mode
    assert settings.logging_level() == logging.INFO
    assert settings.discord.guild_id == 900000000000000001
    assert settings.discord.announce_channel_ids == (1, 2)
    assert settings.discord.curator_role_ids == (3,)
    assert settings.discord.vote_emoji == "👍"
    assert settings.discord.api_base == "http://127.0.0.1:8080/api/v10"
    assert "abc.def.ghi" not in repr(settings)


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("DISCORD_GUILD_ID", "my-server", "must be ids such as 123456789012345678"),
        ("DISCORD_ANNOUNCE_CHANNEL_IDS", "1,general", "has 'general'"),
        ("DISCORD_API_BASE", "discord.example.com", "must be a http or https URL"),
        ("DISCORD_GATEWAY_URL", "http://gateway", "must be a ws or wss URL"),
        ("DISCORD_TOKEN", "Bot abc", "bare bot token"),
    ],
)
def test_malformed_discord_settings_name_themselves(name: str, value: str, says: str) -> None:
    environ = {"DISCORD_TOKEN": "abc.def.ghi", name: value}
    with pytest.raises(SettingsError) as error:
        Settings.from_env(environ)
    assert error.value.name == name
    assert says in str(error.value)
    assert "abc.def.ghi" not in str(error.value)


def test_slack_socket_mode_and_http_mode() -> None:
    socket = Settings.from_env(
        {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1", "SLACK_API_URL": "http://x/api"}
    )
    assert socket.slack is not None
    assert socket.slack.socket_mode
    assert not socket.console_mode
    assert "xoxb-1" not in repr(socket)
    assert "xapp-1" not in repr(socket)

    http = Settings.from_env(
        {
            "SLACK_BOT_TOKEN": "xoxb-1",
            "SLACK_SIGNING_SECRET": "s3cret",
            "PORT": "8080",
            "SLACK_ANNOUNCE_CHANNEL_IDS": "C1,C2",
            "SLACK_CURATOR_USER_IDS": "U1",
            "SLACK_VOTE_REACTION": ":thumbsup:",
        }
    )
    assert http.slack is not None
    assert not http.slack.socket_mode
    assert (http.slack.port, http.slack.announce_channel_ids) == (8080, ("C1", "C2"))
    assert http.slack.vote_reaction == "thumbsup"
    assert "s3cret" not in repr(http)


@pytest.mark.parametrize(
    ("environ", "name", "says"),
    [
        ({"SLACK_BOT_TOKEN": "xoxp-user"}, "SLACK_BOT_TOKEN", "starting with xoxb-"),
        ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xoxb-2"}, "SLACK_APP_TOKEN", "xapp-"),
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET", "needed in HTTP mode"),
        (
            {
                "SLACK_BOT_TOKEN": "xoxb-1",
                "SLACK_APP_TOKEN": "xapp-1",
                "SLACK_ANNOUNCE_CHANNEL_IDS": "#general",
            },
            "SLACK_ANNOUNCE_CHANNEL_IDS",
            "must be ids such as C0123456789",
        ),
        (
            {
                "SLACK_BOT_TOKEN": "xoxb-1",
                "SLACK_APP_TOKEN": "xapp-1",
                "SLACK_SUGGESTIONS_CHANNEL_ID": "C1,C2",
            },
            "SLACK_SUGGESTIONS_CHANNEL_ID",
            "takes one id",
        ),
        (
            {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "PORT": "70000"},
            "PORT",
            "between 0 and 65535",
        ),
    ],
)
def test_malformed_slack_settings_name_themselves(
    environ: dict[str, str], name: str, says: str
) -> None:
    with pytest.raises(SettingsError) as error:
        Settings.from_env(environ)
    assert error.value.name == name
    assert says in str(error.value)


ROOT = Path(__file__).resolve().parents[2]


def test_env_example_documents_exactly_the_settings_read() -> None:
    source = (ROOT / "bot" / "settings.py").read_text()
    read = set(re.findall(r'read\.\w+\(\s*"([A-Z][A-Z0-9_]+)"', source))
    example = (ROOT / ".env.example").read_text()
    documented = set(re.findall(r"^([A-Z][A-Z0-9_]+)=", example, flags=re.MULTILINE))
    assert read == documented == set(KNOWN_SETTINGS)
    assert len(read) > 25


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(SettingsError) as error:
        Settings.from_env(
            {"SUGGESTIONS_PER_MEMBER": "lots", "FEED_POLL_SECONDS": "5", "LOG_LEVEL": "LOUD"}
        )
    assert [name for name, _ in error.value.problems] == [
        "LOG_LEVEL",
        "SUGGESTIONS_PER_MEMBER",
        "FEED_POLL_SECONDS",
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (":thumbsup:", "👍"),
        (":+1:", "👍"),
        (":tada:", "🎉"),
        ("🔥", "🔥"),
        ("<:up:123>", "<:up:123>"),
    ],
)
def test_vote_emoji_understands_the_usual_shortcodes(value: str, expected: str) -> None:
    settings = Settings.from_env({"DISCORD_TOKEN": "abc.def", "VOTE_EMOJI": value})
    assert settings.discord is not None
    assert settings.discord.vote_emoji == expected


def test_unknown_names_get_the_closest_setting() -> None:
    warnings = unknown_settings({"FEED_URL", "DISCORD_TOKN", "SLACK_WHATEVER_XYZ"}, KNOWN_SETTINGS)
    assert warnings == [
        "DISCORD_TOKN is not a setting Shortlist reads; did you mean DISCORD_TOKEN?",
        "FEED_URL is not a setting Shortlist reads; did you mean FEED_URLS?",
        "SLACK_WHATEVER_XYZ is not a setting Shortlist reads (see .env.example)",
    ]


def test_env_example_as_is_starts_console_mode() -> None:
    from dotenv import dotenv_values

    values = {k: v or "" for k, v in dotenv_values(ROOT / ".env.example").items()}
    settings = Settings.from_env(values)
    assert settings.console_mode
    assert settings.feed_poll_seconds == 900


def test_an_announcement_template_names_only_known_placeholders() -> None:
    settings = Settings.from_env({"ANNOUNCEMENT_TEMPLATE": "{mention} New: {title}\\n{link}"})
    assert settings.announcement_template == "{mention} New: {title}\n{link}"
    with pytest.raises(SettingsError) as error:
        Settings.from_env({"ANNOUNCEMENT_TEMPLATE": "New: {tittle}"})
    assert "has {tittle}; the placeholders are {title}" in str(error.value)
    with pytest.raises(SettingsError, match="stray brace"):
        Settings.from_env({"ANNOUNCEMENT_TEMPLATE": "New: {title"})
    with pytest.raises(SettingsError, match="true or false"):
        Settings.from_env({"DISCORD_TOKEN": "a.b", "DISCORD_PUBLISH_ANNOUNCEMENTS": "maybe"})


@pytest.mark.parametrize("spelling", ["warn", "WARN", "Warning", "warning"])
def test_log_level_takes_warn_in_any_case(spelling: str) -> None:
    assert Settings.from_env({"LOG_LEVEL": spelling}).logging_level() == logging.WARNING


@pytest.mark.parametrize(
    "emoji", ["👍", "👍🏽", "❤️", "👨‍👩‍👧", "🇩🇪", "1️⃣", "<:vote:123456789012345678>"]
)
def test_one_emoji_of_any_build_is_one_vote_emoji(emoji: str) -> None:
    settings = Settings.from_env({"DISCORD_TOKEN": "abc.def.ghi", "VOTE_EMOJI": emoji})
    assert settings.discord is not None
    assert settings.discord.vote_emoji == emoji


@pytest.mark.parametrize(
    "host", ["DYNO", "RENDER", "RAILWAY_ENVIRONMENT", "FLY_APP_NAME", "K_SERVICE"]
)
def test_sqlite_on_a_host_that_wipes_its_disk_is_refused(host: str) -> None:
    with pytest.raises(SettingsError) as error:
        Settings.from_env({host: "web.1"})
    assert error.value.name == "DATABASE_URL"
    assert "its disk is wiped at every restart" in str(error.value)
    assert Settings.from_env({host: "web.1", "ALLOW_EPHEMERAL_DISK": "true"})
    kept = Settings.from_env({host: "web.1", "DATABASE_URL": "postgres://u@db.example.com/x"})
    assert kept.database_url is not None


def test_platform_settings_of_the_wrong_kind_are_refused() -> None:
    with pytest.raises(SettingsError, match="VOTE_EMOJI must be one emoji, not 2"):
        Settings.from_env({"DISCORD_TOKEN": "abc.def.ghi", "VOTE_EMOJI": "👍👍"})
    slack = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"}
    with pytest.raises(SettingsError, match="ids such as S0123456789, but has 'C0123456789'"):
        Settings.from_env({**slack, "SLACK_CURATOR_USERGROUP_ID": "C0123456789"})
    with pytest.raises(SettingsError, match="ids such as U0123456789"):
        Settings.from_env({**slack, "SLACK_CURATOR_USER_IDS": "S0123456789"})
