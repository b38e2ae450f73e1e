"""`copy-data` at the size the bench designs for (100,000 suggestions, 2,000,000 votes), SQLite to
PostgreSQL and back, as the operator runs it: the real `python -m bot copy-data` process, its
wall time and its peak resident memory (from the kernel's account of the finished child).

Run alone with `python -m bench.copying` (it merges its figures into bench/results.json).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import Figure, bench_app, database_settings
from bench.shortlist import populate
from tests.process import ROOT, bot_environment

TARGET_SECONDS = 60.0
TARGET_MEGABYTES = 200.0


# Starts copy-data and reports its peak memory. The kernel's account of a child starts from its
# parent's peak at the fork (here the bench's, holding millions of generated rows), so the
# child to measure is forked from this small process instead.
_MEASURED = """
import resource, subprocess, sys
finished = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(finished.returncode, peak)
"""


def _copy(source: str, target: str, folder: Path) -> tuple[float, float]:
    """Seconds and peak megabytes of one `copy-data` run."""
    started = time.perf_counter()
    command = [sys.executable, "-m", "bot", "copy-data", "--from", source, "--to", target]
    finished = subprocess.run(
        [sys.executable, "-c", _MEASURED, *command],
        cwd=folder,
        env=bot_environment(folder, {"LOG_LEVEL": "INFO"}),
        capture_output=True,
        text=True,
        check=True,
    )
    seconds = time.perf_counter() - started
    status, peak = finished.stdout.split()
    if status != "0":
        raise RuntimeError(f"copy-data {source} -> {target} failed")
    return seconds, int(peak) / 1024


async def figures(quick: bool = False) -> list[Figure]:
    suggestions, votes = (2_000, 40_000) if quick else (100_000, 2_000_000)
    size = f"{suggestions // 1000}k/{votes / 1e6:g}M"
    found: list[Figure] = []
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        source = folder / "source.sqlite3"
        async with bench_app("sqlite") as app:
            await populate(app, suggestions, votes)
            os.link(app.database.where, source)
        async with database_settings("postgres") as where:
            url = str(where["database_url"])
            there = await asyncio.to_thread(_copy, str(source), url, folder)
            back = await asyncio.to_thread(_copy, url, str(folder / "back.sqlite3"), folder)
        for (seconds, megabytes), direction in (
            (there, "SQLite -> PostgreSQL"),
            (back, "PostgreSQL -> SQLite"),
        ):
            found += [
                Figure(
                    f"copy-data {direction} {size}, time",
                    seconds,
                    "s",
                    f"<= {TARGET_SECONDS:.0f} s",
                    seconds <= TARGET_SECONDS,
                ),
                Figure(
                    f"copy-data {direction} {size}, peak memory",
                    megabytes,
                    "MB",
                    f"<= {TARGET_MEGABYTES:.0f} MB",
                    megabytes <= TARGET_MEGABYTES,
                ),
            ]
    return found


def main() -> None:
    measured = asyncio.run(figures("--quick" in sys.argv))
    results = ROOT / "bench" / "results.json"
    report = json.loads(results.read_text()) if results.exists() else {"figures": []}
    names = {figure.name for figure in measured}
    report["figures"] = [f for f in report["figures"] if f["name"] not in names]
    report["figures"] += [figure.as_json() for figure in measured]
    results.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    for figure in measured:
        print(f"{figure.name}: {figure.value:,.2f} {figure.unit} ({figure.target})")


if __name__ == "__main__":
    main()
