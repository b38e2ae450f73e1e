"""`python -m bot`: the bot, and the operator's commands around it.

python -m bot              run (console mode when no platform is configured)
python -m bot check        validate settings and database; exit non-zero on a problem
python -m bot backup PATH  a consistent copy of the SQLite database, while the bot runs
python -m bot copy-data --from A --to B   a whole database into an empty one (SQLite/PostgreSQL)
python -m bot sync-commands [--guild ID | --global]   Discord's slash commands, synced now
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

from bot import operating
from bot.reading import OUR_PREFIXES, unknown_settings
from bot.running import run
from bot.settings import KNOWN_SETTINGS, Settings, SettingsError
from storage import DatabaseInUse, UnusableDatabase

PROJECT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    arguments = _parser().parse_args(argv)
    settings = _settings()
    if settings is None:
        return 2
    if arguments.command == "check":
        return operating.check_live(settings) if arguments.live else operating.check(settings)
    if arguments.command == "backup":
        return operating.backup(settings, Path(arguments.path))
    if arguments.command == "copy-data":
        return operating.copy_data(arguments.source, arguments.target)
    if arguments.command == "sync-commands":
        return operating.sync_commands(settings, arguments.guild, everywhere=arguments.everywhere)
    if arguments.command == "slack-manifest":
        from cogs.slack_app.manifest import manifest

        print(json.dumps(manifest(settings.slack), indent=2, ensure_ascii=False))
        return 0
    if settings.console_mode and getattr(arguments, "no_console", False):
        print(
            "Configuration error: DISCORD_TOKEN or SLACK_BOT_TOKEN is needed here: no platform "
            "is configured, and the console is only for a terminal (see .env.example).",
            file=sys.stderr,
        )
        return 2
    return _run(settings)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="Shortlist: announces newsletter issues and runs the community's link ballot "
        "on Discord, Slack or the console. Settings come from the environment and .env "
        "(see .env.example).",
    )
    parser.add_argument("--version", action="version", version=f"Shortlist {operating.version()}")
    commands = parser.add_subparsers(dest="command", metavar="command")
    run_command = commands.add_parser("run", help="run the bot (the default)")
    run_command.add_argument(
        "--no-console",
        action="store_true",
        help="refuse to start without a platform (containers, services: there is no terminal)",
    )
    check_command = commands.add_parser(
        "check", help="validate settings and the database (read-only); exit 1 on a problem"
    )
    check_command.add_argument(
        "--live",
        action="store_true",
        help="only whether a bot runs on the database and is connected (a health check)",
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
    sync_command = commands.add_parser(
        "sync-commands",
        help="sync Discord's slash commands now, changed or not (default: DISCORD_GUILD_ID's "
        "server, else globally)",
    )
    where = sync_command.add_mutually_exclusive_group()
    where.add_argument("--guild", type=_snowflake, metavar="ID", help="to this server only")
    where.add_argument(
        "--global", dest="everywhere", action="store_true", help="to every server (up to an hour)"
    )
    commands.add_parser(
        "slack-manifest",
        help="print the Slack app manifest for these settings (commands, mode, request URL)",
    )
    return parser


def _snowflake(text: str) -> int:
    if not text.isdigit() or int(text) == 0:
        raise argparse.ArgumentTypeError(
            f"a server id is a number such as 123456789012345678, not {text!r}"
        )
    return int(text)


def _settings() -> Settings | None:
    """Settings from the environment and .env (the working folder's, else the project's);
    problems are printed one line each, unknown names warned about."""
    names = {name for name in os.environ if name.startswith(OUR_PREFIXES)}
    env_file = None
    try:
        env_file = next((p for p in (Path.cwd() / ".env", PROJECT / ".env") if p.is_file()), None)
        if env_file is not None:
            names |= set(dotenv_values(env_file))
    except OSError as error:
        why = f"{error.filename} can't be read ({error.strerror})"
        print(f"Configuration error: {why}.", file=sys.stderr)
        return None
    except UnicodeDecodeError as error:
        byte = error.object[error.start]
        print(
            f"Configuration error: {env_file} is not UTF-8 text (byte {byte:#x} at "
            f"position {error.start}); save it as UTF-8 (see .env.example).",
            file=sys.stderr,
        )
        return None
    if env_file is not None:
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
    operating.configure_libraries(settings)
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


if __name__ == "__main__":
    sys.exit(main())
