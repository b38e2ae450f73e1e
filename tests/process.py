"""Run the real `python -m bot` as a subprocess, the way a user or a Procfile host does."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Settings a developer's shell might carry that would change what the bot connects to.
_CLEARED_PREFIXES = ("DISCORD_", "SLACK_", "FEED_", "DATABASE_", "LOG_LEVEL", "SUGGESTIONS_")


def bot_environment(workdir: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(_CLEARED_PREFIXES)}
    environ["PYTHONPATH"] = str(ROOT)
    environ["PYTHONUNBUFFERED"] = "1"
    environ["LINK_PREVIEWS"] = "false"  # no test reaches the internet; tests/test_pages.py opts in
    environ.update(extra or {})
    if "DATABASE_URL" not in environ:
        environ.setdefault("DATABASE_PATH", str(workdir / "bot.sqlite3"))
    return environ


@dataclass
class Finished:
    returncode: int
    stdout: str
    stderr: str


async def run_bot(
    workdir: Path,
    stdin: str | bytes,
    extra: Mapping[str, str] | None = None,
    within: float = 30,
    *,
    args: Sequence[str] = (),
) -> Finished:
    """Pipe `stdin` into the bot and wait for it to exit at end of input."""
    process = await start_bot(workdir, extra, args=args)
    data = stdin if isinstance(stdin, bytes) else stdin.encode()
    out, err = await asyncio.wait_for(process.communicate(data), within)
    assert process.returncode is not None
    return Finished(process.returncode, out.decode(), err.decode())


async def start_bot(
    workdir: Path, extra: Mapping[str, str] | None = None, *, args: Sequence[str] = ()
) -> asyncio.subprocess.Process:
    """Start the bot with stdin left open, as an interactive session or a hosted worker."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=workdir,
        env=bot_environment(workdir, extra),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def read_until(stream: asyncio.StreamReader, text: str, within: float = 20) -> str:
    """Read lines until one contains `text`; returns everything read."""
    seen: list[str] = []

    async def scan() -> None:
        while True:
            line = await stream.readline()
            if not line:
                raise AssertionError(f"stream ended before {text!r}; got {''.join(seen)!r}")
            seen.append(line.decode())
            if text in seen[-1]:
                return

    await asyncio.wait_for(scan(), within)
    return "".join(seen)
