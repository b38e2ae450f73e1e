from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.settings import Settings, SettingsError


def test_defaults_need_nothing() -> None:
    settings = Settings.from_env({})
    assert settings.database_path == Path("data/bot.sqlite3")
    assert settings.suggestions_per_member == 5
    assert settings.feed_urls == ()
    assert settings.feed_poll_seconds == 900
    assert settings.console_mode
    assert settings.logging_level() == logging.WARNING


def test_values_are_read_and_trimmed() -> None:
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
        ("SUGGESTIONS_PER_MEMBER", "0", ">= 1"),
        ("FEED_POLL_SECONDS", "1", ">= 10"),
        ("LOG_LEVEL", "LOUD", "one of"),
    ],
)
def test_malformed_settings_name_themselves(name: str, value: str, says: str) -> None:
    with pytest.raises(SettingsError) as error:
        Settings.from_env({name: value})
    assert error.value.name == name
    assert str(error.value).startswith(name)
    assert says in str(error.value)
