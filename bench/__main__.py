"""`python -m bench`: every figure in one run, as a table and in bench/results.json.

Figures, not pass/fail: CI never fails on them (a smoke run in the test suite only keeps the
benchmarks from rotting). `--quick` runs each at a small size, in seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
from pathlib import Path

from bench import basics, shortlist, slack_votes, suggest, votes
from bench.common import Figure, machine, on_store, stores
from bot.running import tune_runtime

RESULTS = Path(__file__).with_name("results.json")


async def run(quick: bool) -> list[Figure]:
    """Every figure on SQLite, then again on PostgreSQL (when a server answers)."""
    tune_runtime()  # as `python -m bot` runs
    figures: list[Figure] = []
    for store in await stores():
        for part in (
            votes.discord_figures,
            slack_votes.slack_figures,
            shortlist.figures,
            suggest.figures,
            basics.figures,
        ):
            gc.collect()  # what the last part left behind is not this part's cost
            figures += on_store(await part(quick, store), store)
    return figures


def table(figures: list[Figure]) -> str:
    rows = [("figure", "value", "baseline", "ratio", "target", "met")]
    for figure in figures:
        rows.append(
            (
                figure.name,
                f"{figure.value:,.1f} {figure.unit}",
                f"{figure.baseline:,.1f} ({figure.baseline_name})" if figure.baseline else "",
                f"{figure.ratio:.2f}x" if figure.ratio is not None else "",
                figure.target,
                {True: "yes", False: "NO", None: ""}[figure.met],
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [
        " | ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in rows
    ]
    lines.insert(1, "-+-".join("-" * width for width in widths))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run")
    parser.add_argument("--output", type=Path, default=RESULTS, help="where to write the JSON")
    arguments = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    figures = asyncio.run(run(arguments.quick))
    print(table(figures))
    report = {
        "machine": machine(),
        "quick": arguments.quick,
        "figures": [figure.as_json() for figure in figures],
    }
    arguments.output.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(f"\nWritten to {arguments.output}")


if __name__ == "__main__":
    main()
