"""`python -m bot`: the bot, and the operator's commands around it.

python -m bot              run (console mode when no platform is configured)
python -m bot check        validate settings and database; exit non-zero on a problem
python -m bot backup PATH  a consistent copy of the SQLite database, while the bot runs
python -m bot copy-data --from A --to B   a whole database into an empty one (SQLite/PostgreSQL)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from pathlib import Path

from dotenv import dotenv_values, load_dotenv

from bot.reading import OUR_PREFIXES, unknown_settings
from bot.running import run
from bot.settings import KNOWN_SETTINGS, Settings, SettingsError
from storage import DatabaseInUse, UnusableDatabase, redacted

PROJECT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    arguments = _parser().parse_args(argv)
    settings = _settings()
    if settings is None:
        return 2
    if arguments.command == "check":
        return check(settings)
    if arguments.command == "backup":
        return _backup(settings, Path(arguments.path))
    if arguments.command == "copy-data":
        return _copy_data(arguments.source, arguments.target)
    if arguments.command == "slack-manifest":
        from cogs.slack_app.manifest import manifest

        print(json.dumps(manifest(settings.slack), indent=2, ensure_ascii=False))
        return 0
    return _run(settings)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="Shortlist: announces newsletter issues and runs the community's link ballot "
        "on Discord, Slack or the console. Settings come from the environment and .env "
        "(see .env.example).",
    )
    parser.add_argument("--version", action="version", version=f"Shortlist {_version()}")
    commands = parser.add_subparsers(dest="command", metavar="command")
    commands.add_parser("run", help="run the bot (the default)")
    commands.add_parser(
        "check", help="validate settings and the database (read-only); exit 1 on a problem"
    )
    backup_command = commands.add_parser(
        "backup", help="write a consistent copy of the database, even while the bot runs"
    )
    backup_command.add_argument("path", help="the new file to write")
    copy_command = commands.add_parser(
        "copy-data",
        help="copy a whole database (a SQLite path or a postgres:// URL) into an empty one",
    )
    copy_command.add_argument("--from", dest="source", required=True, help="path or URL")
    copy_command.add_argument("--to", dest="target", required=True, help="path or URL")
    commands.add_parser(
        "slack-manifest",
        help="print the Slack app manifest for these settings (commands, mode, request URL)",
    )
    return parser


def _version() -> str:
    from importlib import metadata  # only for --version and check

    try:
        return metadata.version("shortlist")
    except metadata.PackageNotFoundError:
        return "(not installed)"


def _settings() -> Settings | None:
    """Settings from the environment and .env (the working folder's, else the project's);
    problems are printed one line each, unknown names warned about."""
    env_file = next((p for p in (Path.cwd() / ".env", PROJECT / ".env") if p.is_file()), None)
    names = {name for name in os.environ if name.startswith(OUR_PREFIXES)}
    if env_file is not None:
        try:
            names |= set(dotenv_values(env_file))
        except UnicodeDecodeError as error:
            byte = error.object[error.start]
            print(
                f"Configuration error: {env_file} is not UTF-8 text (byte {byte:#x} at "
                f"position {error.start}); save it as UTF-8 (see .env.example).",
                file=sys.stderr,
            )
            return None
        load_dotenv(env_file)  # the environment wins over the file
    for warning in unknown_settings(names, KNOWN_SETTINGS):
        print(f"Warning: {warning}", file=sys.stderr)
    try:
        return Settings.from_env(os.environ)
    except SettingsError as error:
        for name, problem in error.problems:
            print(f"Configuration error: {name} {problem} (see .env.example).", file=sys.stderr)
        return None


def _run(settings: Settings) -> int:
    logging.basicConfig(
        level=settings.logging_level(),
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # DEBUG is for Shortlist's own detail, not every statement and frame of the libraries.
    for noisy in ("aiosqlite", "asyncio", "discord", "slack_bolt", "slack_sdk", "aiohttp"):
        logging.getLogger(noisy).setLevel(max(settings.logging_level(), logging.INFO))
    configure_libraries(settings)
    try:
        return asyncio.run(run(settings))
    except KeyboardInterrupt:  # a second Ctrl-C during shutdown
        return 0
    except DatabaseInUse as error:
        print(f"Shortlist did not start: {error}.", file=sys.stderr)
        return 2
    except UnusableDatabase as error:
        name = "DATABASE_URL" if settings.database_url else "DATABASE_PATH"
        print(f"Configuration error: {name} {error}.", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"Shortlist could not start: {error}", file=sys.stderr)
        return 1


def configure_libraries(settings: Settings) -> None:
    """Process-wide tweaks of the platform libraries, made here once, before anything runs."""
    if settings.discord is not None:
        from cogs.discord_bot import configure_library

        configure_library(settings.discord)


def check(settings: Settings) -> int:
    """What a deploy health check needs to know, without starting anything or writing a byte."""
    from storage.maintenance import inspect

    print(f"Settings: ok (Shortlist {_version()})")
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


def _backup(settings: Settings, target: Path) -> int:
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


def _copy_data(source: str, target: str) -> int:
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


if __name__ == "__main__":
    sys.exit(main())
