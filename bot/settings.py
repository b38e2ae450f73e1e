"""Typed settings, read once from the environment (and `.env`) and validated at start-up.

`Settings.from_env` takes any mapping, so tests hand it a plain dict.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bot.reading import Reader, SettingsError
from bot.text import PLACEHOLDERS

__all__ = ["CommandNames", "DiscordSettings", "Settings", "SettingsError", "SlackSettings"]


_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
# Every setting read below (a test keeps this, the code and .env.example in step).
KNOWN_SETTINGS = (
    "DATABASE_URL",
    "DATABASE_PATH",
    "LOG_LEVEL",
    "SUGGESTIONS_PER_MEMBER",
    "LINK_PREVIEWS",
    "FEED_URLS",
    "FEED_POLL_SECONDS",
    "FEED_FAILURE_ALERT_AFTER",
    "DISCORD_TOKEN",
    "DISCORD_GUILD_ID",
    "DISCORD_ANNOUNCE_CHANNEL_IDS",
    "DISCORD_SUGGESTIONS_CHANNEL_ID",
    "DISCORD_CURATOR_ROLE_IDS",
    "DISCORD_CURATOR_CHANNEL_ID",
    "DISCORD_ANNOUNCE_ROLE_ID",
    "VOTE_EMOJI",
    "DISCORD_API_BASE",
    "DISCORD_GATEWAY_URL",
    "SLACK_BOT_TOKEN",
    "SLACK_APP_TOKEN",
    "SLACK_SIGNING_SECRET",
    "PORT",
    "SLACK_ANNOUNCE_CHANNEL_IDS",
    "SLACK_SUGGESTIONS_CHANNEL_ID",
    "SLACK_CURATOR_USER_IDS",
    "SLACK_CURATOR_USERGROUP_ID",
    "SLACK_CURATOR_CHANNEL_ID",
    "SLACK_VOTE_REACTION",
    "SLACK_API_URL",
    "SLACK_SUGGEST_COMMAND",
    "SLACK_SHORTLIST_COMMAND",
    "SLACK_REQUEST_URL",
    "SLACK_ANNOUNCE_USERGROUP_ID",
    "ANNOUNCEMENT_TEMPLATE",
    "DISCORD_PUBLISH_ANNOUNCEMENTS",
    "DIGEST_DAY",
    "DIGEST_HOUR",
    "ALLOW_EPHEMERAL_DISK",
)
# Hosts whose disk is wiped at every restart or deploy, by a variable each sets in its containers.
EPHEMERAL_HOSTS = {
    "DYNO": "Heroku",
    "RENDER": "Render",
    "RAILWAY_ENVIRONMENT": "Railway",
    "FLY_APP_NAME": "Fly.io",
    "K_SERVICE": "Cloud Run",
}
MAX_SUGGESTIONS_PER_MEMBER = 1000
MIN_POLL_SECONDS = 10
MAX_POLL_SECONDS = 7 * 24 * 3600


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
    publish_announcements: bool = False  # in announcement channels, followers get each issue

    def __repr__(self) -> str:  # never let the token reach a log line or a traceback
        return f"DiscordSettings(guild_id={self.guild_id}, token=<hidden>)"

    def summary(self) -> str:
        """One line for `python -m bot check`; no secret in it."""
        where = f"guild {self.guild_id}" if self.guild_id else "global commands"
        return (
            f"Discord: on ({where}; {len(self.announce_channel_ids)} announce channel(s), "
            f"suggestions in {self.suggestions_channel_id or 'the channel used'})"
        )

    @classmethod
    def from_reader(cls, read: Reader) -> DiscordSettings | None:
        token = read.text("DISCORD_TOKEN")
        if not token:
            return None
        if any(char.isspace() for char in token) or token.lower().startswith("bot "):
            read.problem("DISCORD_TOKEN", "must be the bare bot token (no 'Bot ' prefix or spaces)")
        return cls(
            token=token,
            guild_id=read.snowflake("DISCORD_GUILD_ID"),
            announce_channel_ids=read.snowflakes("DISCORD_ANNOUNCE_CHANNEL_IDS"),
            suggestions_channel_id=read.snowflake("DISCORD_SUGGESTIONS_CHANNEL_ID"),
            curator_role_ids=read.snowflakes("DISCORD_CURATOR_ROLE_IDS"),
            curator_channel_id=read.snowflake("DISCORD_CURATOR_CHANNEL_ID"),
            announce_role_id=read.snowflake("DISCORD_ANNOUNCE_ROLE_ID"),
            vote_emoji=read.emoji("VOTE_EMOJI", "👍"),
            api_base=read.url("DISCORD_API_BASE", ("http", "https")),
            gateway_url=read.url("DISCORD_GATEWAY_URL", ("ws", "wss")),
            publish_announcements=read.flag("DISCORD_PUBLISH_ANNOUNCEMENTS"),
        )


@dataclass(frozen=True, slots=True)
class CommandNames:
    """Slack's slash commands: members get `suggest`, curators everything under `shortlist`."""

    suggest: str = "/suggest"
    shortlist: str = "/shortlist"


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
    commands: CommandNames = CommandNames()
    request_url: str | None = None  # the public address of /slack/events, for HTTP mode
    announce_usergroup_id: str | None = None

    def __repr__(self) -> str:  # tokens and the signing secret never reach a log line
        mode = "socket" if self.socket_mode else f"http:{self.port}"
        return f"SlackSettings(mode={mode}, tokens=<hidden>)"

    @property
    def socket_mode(self) -> bool:
        return self.app_token is not None

    def summary(self) -> str:
        """One line for `python -m bot check`; no secret in it."""
        mode = "Socket Mode" if self.socket_mode else f"HTTP mode on port {self.port}"
        return (
            f"Slack: on ({mode}; {len(self.announce_channel_ids)} announce channel(s), "
            f"suggestions in {self.suggestions_channel_id or 'the channel used'})"
        )

    @classmethod
    def from_reader(cls, read: Reader) -> SlackSettings | None:
        bot_token = read.text("SLACK_BOT_TOKEN")
        if not bot_token:
            return None
        if not bot_token.startswith("xoxb-"):
            read.problem("SLACK_BOT_TOKEN", "must be a bot token starting with xoxb-")
        app_token = read.text("SLACK_APP_TOKEN") or None
        if app_token is not None and not app_token.startswith("xapp-"):
            read.problem("SLACK_APP_TOKEN", "must be an app-level token starting with xapp-")
        signing_secret = read.text("SLACK_SIGNING_SECRET") or None
        if app_token is None and signing_secret is None:
            read.problem(
                "SLACK_SIGNING_SECRET",
                "is needed in HTTP mode (or set SLACK_APP_TOKEN for Socket Mode)",
            )
        reaction = read.slack_reaction("SLACK_VOTE_REACTION", "+1")
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
            commands=CommandNames(
                suggest=read.command("SLACK_SUGGEST_COMMAND", "/suggest"),
                shortlist=read.command("SLACK_SHORTLIST_COMMAND", "/shortlist"),
            ),
            request_url=read.url("SLACK_REQUEST_URL", ("https",)),
            announce_usergroup_id=read.slack_id("SLACK_ANNOUNCE_USERGROUP_ID"),
        )


@dataclass(frozen=True, slots=True)
class Settings:
    database_path: Path = Path("data/bot.sqlite3")
    database_url: str | None = None  # PostgreSQL; when set, database_path is not used
    log_level: str | None = None  # None: INFO, or WARNING when the console shares the terminal
    suggestions_per_member: int = 5
    feed_urls: tuple[str, ...] = ()
    feed_poll_seconds: float = 900
    feed_failure_alert_after: int = 10
    discord: DiscordSettings | None = None
    slack: SlackSettings | None = None
    announcement_template: str | None = None  # plain placeholders, see bot.text.PLACEHOLDERS
    digest_day: int | None = None  # 0 = Monday; None: no weekly digest
    digest_hour: int = 9  # UTC
    link_previews: bool = True  # fetch each suggested page's title (bot/pages.py)

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        """Every setting, or a `SettingsError` listing every problem at once."""
        read = Reader(environ)
        discord = DiscordSettings.from_reader(read)
        slack = SlackSettings.from_reader(read)
        # Trying the bot in the console never puts test suggestions on the community's ballot.
        default_path = "data/bot.sqlite3" if discord or slack else "data/console.sqlite3"
        database_url = read.database_url("DATABASE_URL")
        if database_url and read.text("DATABASE_PATH"):
            read.problem("DATABASE_PATH", "is set as well as DATABASE_URL: keep only one of them")
        settings = cls(
            database_path=(
                Path(default_path)
                if database_url
                else read.database_path("DATABASE_PATH", default_path)
            ),
            database_url=database_url,
            log_level=read.choice("LOG_LEVEL", _LOG_LEVELS, {"WARN": "WARNING"}),
            suggestions_per_member=read.integer(
                "SUGGESTIONS_PER_MEMBER", 5, minimum=1, maximum=MAX_SUGGESTIONS_PER_MEMBER
            ),
            feed_urls=read.feeds("FEED_URLS"),
            feed_poll_seconds=read.integer(
                "FEED_POLL_SECONDS", 900, minimum=MIN_POLL_SECONDS, maximum=MAX_POLL_SECONDS
            ),
            feed_failure_alert_after=read.integer("FEED_FAILURE_ALERT_AFTER", 10, minimum=1),
            discord=discord,
            slack=slack,
            announcement_template=read.template("ANNOUNCEMENT_TEMPLATE", PLACEHOLDERS),
            digest_day=read.weekday("DIGEST_DAY"),
            digest_hour=read.integer("DIGEST_HOUR", 9, minimum=0, maximum=23),
            link_previews=read.flag("LINK_PREVIEWS", default=True),
        )
        if not database_url and not read.flag("ALLOW_EPHEMERAL_DISK"):
            _refuse_ephemeral_disk(read, environ)
        read.raise_problems()
        return settings

    @property
    def database(self) -> str | Path:
        """Where the data is: the PostgreSQL URL, or the SQLite file."""
        return self.database_url or self.database_path

    @property
    def console_mode(self) -> bool:
        """No platform is configured, so the console is the front end."""
        return self.discord is None and self.slack is None

    def logging_level(self) -> int:
        if self.log_level is None:
            return logging.WARNING if self.console_mode else logging.INFO
        return int(getattr(logging, self.log_level))


def _refuse_ephemeral_disk(read: Reader, environ: Mapping[str, str]) -> None:
    """SQLite on a host that wipes its disk loses the ballot at the next restart."""
    for variable, host in EPHEMERAL_HOSTS.items():
        if environ.get(variable):
            read.problem(
                "DATABASE_URL",
                f"is needed on {host} ({variable} is set): its disk is wiped at every restart, "
                "and the SQLite file with it. Set DATABASE_URL to a PostgreSQL database, or "
                "ALLOW_EPHEMERAL_DISK=true if this disk is kept (a mounted volume)",
            )
            return
