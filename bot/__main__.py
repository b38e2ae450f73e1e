"""`python -m bot`: read the settings, configure logging and the platform libraries, run."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from pathlib import Path

from dotenv import load_dotenv

from bot.app import run
from bot.settings import Settings, SettingsError
from storage import DatabaseInUse


def configure_libraries(settings: Settings) -> None:
    """Process-wide tweaks of the platform libraries, made here once, before anything runs."""
    if settings.discord is not None:
        from cogs.discord_bot import configure_library

        configure_library(settings.discord)


def main() -> int:
    load_dotenv(Path.cwd() / ".env")  # the environment wins over the file
    try:
        settings = Settings.from_env(os.environ)
    except SettingsError as error:
        print(f"Configuration error: {error} (see .env.example).", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=settings.logging_level(),
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    configure_libraries(settings)
    try:
        return asyncio.run(run(settings))
    except KeyboardInterrupt:  # a second Ctrl-C during shutdown
        return 0
    except DatabaseInUse as error:
        print(f"Shortlist did not start: {error}.", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"Shortlist could not start: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
