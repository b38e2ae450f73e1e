"""The operator's commands beside the bot: check, backup, copy-data, sync-commands. Each says
what it did in one line (or one line per problem) and exits non-zero when it could not."""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from bot.errors import FrontEndUnavailable
from bot.settings import Settings
from storage import DatabaseInUse, UnusableDatabase, redacted


def configure_libraries(settings: Settings) -> None:
    """Process-wide tweaks of the platform libraries, made here once, before anything runs."""
    if settings.discord is not None:
        from cogs.discord_bot import configure_library

        configure_library(settings.discord)


def version() -> str:
    try:
        return metadata.version("shortlist")
    except metadata.PackageNotFoundError:
        return "(not installed)"


def check_live(settings: Settings) -> int:
    """Whether a bot is running on this database and well, by the heartbeat it writes there
    (`check --live`: what Docker's, compose's and systemd's health checks run)."""
    from bot.health import HEARTBEAT, judge_heartbeat
    from storage.maintenance import recall, recall_on_server

    try:
        if settings.database_url:
            beat = asyncio.run(recall_on_server(settings.database_url, HEARTBEAT))
        else:
            beat = recall(settings.database_path, HEARTBEAT)
    except UnusableDatabase as error:
        print(f"Live: the database can't be read: {error}")
        return 1
    well, said = judge_heartbeat(beat, datetime.now(UTC))
    print(said)
    return 0 if well else 1


def check(settings: Settings) -> int:
    """What a deploy health check needs to know, without starting anything or writing a byte."""
    from storage.maintenance import inspect

    print(f"Settings: ok (Shortlist {version()})")
    problems = 0
    where = redacted(settings.database_url) if settings.database_url else settings.database_path
    report = None
    if settings.database_url:
        from storage.maintenance import inspect_server

        try:
            report = asyncio.run(inspect_server(settings.database_url))
        except UnusableDatabase as error:
            print(f"Database: {error}")
            return 1
    elif not settings.database_path.exists():
        print(f"Database: {where} does not exist yet; it is created at the first start")
    else:
        try:
            report = inspect(settings.database_path)
        except Exception as error:
            print(f"Database: {where} can't be read: {error}")
            return 1
    if report is not None:
        state = (
            "up to date"
            if report.schema == report.newest
            else (
                f"will be migrated to {report.newest}"
                if report.schema < report.newest
                else f"NEWER than this Shortlist ({report.newest})"
            )
        )
        counts = ", ".join(f"{count} {table}" for table, count in report.counts.items())
        print(f"Database: {where} (schema {report.schema}, {state}; {counts or 'empty'})")
        if settings.database_url:
            print(f"Active bot: {report.active or 'none'}")
        if report.check != "ok":
            print(f"Database: damaged (SQLite's check says: {report.check})")
        if report.missing:
            print(f"Database: damaged (the tables {report.missing} are missing)")
        problems += report.check != "ok" or report.schema > report.newest or bool(report.missing)
    print(f"Feeds: {', '.join(settings.feed_urls) or 'none (FEED_URLS is empty)'}")
    for platform in (settings.discord, settings.slack):
        if platform is not None:
            print(platform.summary())
    if settings.console_mode:
        print("Platforms: none, so the bot runs in console mode")
    return 1 if problems else 0


def backup(settings: Settings, target: Path) -> int:
    from storage.maintenance import BackupFailed, backup

    if settings.database_url:
        print(
            "Backup is for the SQLite file; for PostgreSQL use your host's backups or pg_dump, "
            "or `python -m bot copy-data --from $DATABASE_URL --to backup.sqlite3`.",
            file=sys.stderr,
        )
        return 1
    try:
        size = backup(settings.database_path, target)
    except BackupFailed as error:
        print(f"Backup failed: {error}", file=sys.stderr)
        return 1
    print(f"Backed up {settings.database_path} to {target} ({size:,} bytes).")
    return 0


def copy_data(source: str, target: str) -> int:
    from bot.progress import TableProgress
    from storage.copying import CopyRefused, copy_data

    shown = {place: redacted(place) for place in (source, target)}
    try:
        copied = asyncio.run(copy_data(source, target, TableProgress()))
    except (CopyRefused, DatabaseInUse, UnusableDatabase) as error:
        print(f"Nothing was copied: {error}.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nNothing was copied: interrupted.", file=sys.stderr)
        return 1
    except Exception as error:  # any other failure: rolled back, said in one line
        print(f"Nothing was copied: {type(error).__name__}: {error}.", file=sys.stderr)
        return 1
    counts = ", ".join(f"{count:,} {table}" for table, count in copied.items())
    print(
        f"Copied {shown[source]} to {shown[target]}: {counts}; every count and checksum verified."
    )
    return 0


def sync_commands(settings: Settings, guild_id: int | None, *, everywhere: bool) -> int:
    if settings.discord is None:
        print("sync-commands needs DISCORD_TOKEN (see .env.example).", file=sys.stderr)
        return 2
    scope = None if everywhere else (guild_id or settings.discord.guild_id)
    configure_libraries(settings)
    try:
        said = asyncio.run(_sync_now(settings, scope))
    except FrontEndUnavailable as error:
        print(f"Nothing was synced: {error}.", file=sys.stderr)
        return 1
    except UnusableDatabase as error:
        print(f"Nothing was synced: {error}.", file=sys.stderr)
        return 1
    print(said)
    return 0 if said.startswith("Synced") else 1


async def _sync_now(settings: Settings, guild_id: int | None) -> str:
    from bot.app import built

    async with built(settings, exclusive=False) as app:  # beside a running bot, too
        assert app.discord is not None
        return await app.discord.sync_now(guild_id)
