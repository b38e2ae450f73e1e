"""Typed settings, read once from the environment (and `.env`) and validated at start-up.

`Settings.from_env` takes any mapping, so tests hand it a plain dict.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path


class SettingsError(Exception):
    """A setting is missing or malformed; the message names it and says what it should be."""

    def __init__(self, name: str, problem: str) -> None:
        super().__init__(f"{name} {problem}")
        self.name = name


_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


_SLACK_ID = re.compile(r"^[A-Z0-9]{2,20}$")


def _is_snowflake(item: str) -> bool:
    return item.isdigit() and int(item) > 0


class _Reader:
    """Reads one setting at a time from a mapping; blank values count as unset."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ

    def text(self, name: str, default: str = "") -> str:
        return self._environ.get(name, "").strip() or default

    def integer(self, name: str, default: int, *, minimum: int, maximum: int | None = None) -> int:
        raw = self.text(name)
        if not raw:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise SettingsError(name, f"must be a whole number, not {raw!r}") from None
        if value < minimum or (maximum is not None and value > maximum):
            bound = f"between {minimum} and {maximum}" if maximum is not None else f">= {minimum}"
            raise SettingsError(name, f"must be {bound}, not {value}")
        return value

    def items(self, name: str) -> tuple[str, ...]:
        return tuple(item.strip() for item in self.text(name).split(",") if item.strip())

    def ids(self, name: str, *, valid: Callable[[str], bool], example: str) -> tuple[str, ...]:
        """Comma-separated ids; a name not ending in _IDS takes one at most."""
        ids = self.items(name)
        for item in ids:
            if not valid(item):
                raise SettingsError(name, f"must be ids such as {example}, but has {item!r}")
        if len(ids) > 1 and not name.endswith("_IDS"):
            raise SettingsError(name, "takes one id")
        return tuple(dict.fromkeys(ids))

    def snowflakes(self, name: str) -> tuple[int, ...]:
        """Discord ids: positive numbers."""
        ids = self.ids(name, valid=_is_snowflake, example="123456789012345678")
        return tuple(int(item) for item in ids)

    def snowflake(self, name: str) -> int | None:
        return next(iter(self.snowflakes(name)), None)

    def slack_ids(self, name: str) -> tuple[str, ...]:
        return self.ids(name, valid=lambda item: bool(_SLACK_ID.match(item)), example="C0123456789")

    def slack_id(self, name: str) -> str | None:
        return next(iter(self.slack_ids(name)), None)

    def url(self, name: str, schemes: tuple[str, ...]) -> str | None:
        raw = self.text(name)
        if not raw:
            return None
        if not raw.lower().startswith(tuple(f"{scheme}://" for scheme in schemes)):
            raise SettingsError(name, f"must be a {' or '.join(schemes)} URL, not {raw!r}")
        return raw.rstrip("/")

    def choice(self, name: str, choices: tuple[str, ...]) -> str:
        value = self.text(name).upper()
        if value not in choices:
            raise SettingsError(name, f"must be one of {', '.join(choices)}, not {value!r}")
        return value


@dataclass(frozen=True, slots=True)
class DiscordSettings:
    """Present when DISCORD_TOKEN is set."""

    token: str
    guild_id: int | None = None
    announce_channel_ids: tuple[int, ...] = ()
    suggestions_channel_id: int | None = None
    curator_role_ids: tuple[int, ...] = ()
    curator_channel_id: int | None = None
    announce_role_id: int | None = None
    vote_emoji: str = "👍"
    api_base: str | None = None
    gateway_url: str | None = None

    def __repr__(self) -> str:  # never let the token reach a log line or a traceback
        return f"DiscordSettings(guild_id={self.guild_id}, token=<hidden>)"

    @classmethod
    def from_reader(cls, read: _Reader) -> DiscordSettings | None:
        token = read.text("DISCORD_TOKEN")
        if not token:
            return None
        if any(char.isspace() for char in token) or token.lower().startswith("bot "):
            raise SettingsError(
                "DISCORD_TOKEN", "must be the bare bot token (no 'Bot ' prefix or spaces)"
            )
        return cls(
            token=token,
            guild_id=read.snowflake("DISCORD_GUILD_ID"),
            announce_channel_ids=read.snowflakes("DISCORD_ANNOUNCE_CHANNEL_IDS"),
            suggestions_channel_id=read.snowflake("DISCORD_SUGGESTIONS_CHANNEL_ID"),
            curator_role_ids=read.snowflakes("DISCORD_CURATOR_ROLE_IDS"),
            curator_channel_id=read.snowflake("DISCORD_CURATOR_CHANNEL_ID"),
            announce_role_id=read.snowflake("DISCORD_ANNOUNCE_ROLE_ID"),
            vote_emoji=read.text("VOTE_EMOJI", "👍"),
            api_base=read.url("DISCORD_API_BASE", ("http", "https")),
            gateway_url=read.url("DISCORD_GATEWAY_URL", ("ws", "wss")),
        )


@dataclass(frozen=True, slots=True)
class SlackSettings:
    """Present when SLACK_BOT_TOKEN is set. Socket Mode with SLACK_APP_TOKEN, else HTTP mode."""

    bot_token: str
    app_token: str | None = None
    signing_secret: str | None = None
    port: int = 3000
    announce_channel_ids: tuple[str, ...] = ()
    suggestions_channel_id: str | None = None
    curator_user_ids: tuple[str, ...] = ()
    curator_usergroup_id: str | None = None
    curator_channel_id: str | None = None
    vote_reaction: str = "+1"
    api_url: str | None = None

    def __repr__(self) -> str:  # tokens and the signing secret never reach a log line
        mode = "socket" if self.socket_mode else f"http:{self.port}"
        return f"SlackSettings(mode={mode}, tokens=<hidden>)"

    @property
    def socket_mode(self) -> bool:
        return self.app_token is not None

    @classmethod
    def from_reader(cls, read: _Reader) -> SlackSettings | None:
        bot_token = read.text("SLACK_BOT_TOKEN")
        if not bot_token:
            return None
        if not bot_token.startswith("xoxb-"):
            raise SettingsError("SLACK_BOT_TOKEN", "must be a bot token starting with xoxb-")
        app_token = read.text("SLACK_APP_TOKEN") or None
        if app_token is not None and not app_token.startswith("xapp-"):
            raise SettingsError("SLACK_APP_TOKEN", "must be an app-level token starting with xapp-")
        signing_secret = read.text("SLACK_SIGNING_SECRET") or None
        if app_token is None and signing_secret is None:
            raise SettingsError(
                "SLACK_SIGNING_SECRET",
                "is needed in HTTP mode (or set SLACK_APP_TOKEN for Socket Mode)",
            )
        reaction = read.text("SLACK_VOTE_REACTION", "+1").strip(":")
        return cls(
            bot_token=bot_token,
            app_token=app_token,
            signing_secret=signing_secret,
            port=read.integer("PORT", 3000, minimum=0, maximum=65535),
            announce_channel_ids=read.slack_ids("SLACK_ANNOUNCE_CHANNEL_IDS"),
            suggestions_channel_id=read.slack_id("SLACK_SUGGESTIONS_CHANNEL_ID"),
            curator_user_ids=read.slack_ids("SLACK_CURATOR_USER_IDS"),
            curator_usergroup_id=read.slack_id("SLACK_CURATOR_USERGROUP_ID"),
            curator_channel_id=read.slack_id("SLACK_CURATOR_CHANNEL_ID"),
            vote_reaction=reaction,
            api_url=read.url("SLACK_API_URL", ("http", "https")),
        )


@dataclass(frozen=True, slots=True)
class Settings:
    database_path: Path = Path("data/bot.sqlite3")
    log_level: str | None = None  # None: INFO, or WARNING when the console shares the terminal
    suggestions_per_member: int = 5
    feed_urls: tuple[str, ...] = ()
    feed_poll_seconds: float = 900
    feed_failure_alert_after: int = 10
    discord: DiscordSettings | None = None
    slack: SlackSettings | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        read = _Reader(environ)
        discord = DiscordSettings.from_reader(read)
        slack = SlackSettings.from_reader(read)
        # Trying the bot in the console never puts test suggestions on the community's ballot.
        default_path = "data/bot.sqlite3" if discord or slack else "data/console.sqlite3"
        return cls(
            database_path=Path(read.text("DATABASE_PATH", default_path)),
            log_level=read.choice("LOG_LEVEL", _LOG_LEVELS) if read.text("LOG_LEVEL") else None,
            suggestions_per_member=read.integer("SUGGESTIONS_PER_MEMBER", 5, minimum=1),
            feed_urls=read.items("FEED_URLS"),
            feed_poll_seconds=read.integer("FEED_POLL_SECONDS", 900, minimum=10),
            feed_failure_alert_after=read.integer("FEED_FAILURE_ALERT_AFTER", 10, minimum=1),
            discord=discord,
            slack=slack,
        )

    @property
    def console_mode(self) -> bool:
        """No platform is configured, so the console is the front end."""
        return self.discord is None and self.slack is None

    def logging_level(self) -> int:
        if self.log_level is None:
            return logging.WARNING if self.console_mode else logging.INFO
        return int(getattr(logging, self.log_level))
