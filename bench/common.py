"""What every benchmark shares: figures, percentiles, the event loop's worst stall, the app."""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import platform
import secrets
import statistics
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import asyncpg

from bot.app import App, Tuning, built
from bot.settings import Settings
from tests.postgres import admin


@dataclass(frozen=True, slots=True)
class Figure:
    """One measured figure; `ratio` is value / baseline when there is a baseline."""

    name: str
    value: float
    unit: str
    target: str = ""
    met: bool | None = None  # None: informational, no target
    baseline: float | None = None
    baseline_name: str = ""

    @property
    def ratio(self) -> float | None:
        return None if not self.baseline else self.value / self.baseline

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "value": round(self.value, 4),
            "unit": self.unit,
            "baseline": None if self.baseline is None else round(self.baseline, 4),
            "baseline_name": self.baseline_name,
            "ratio": None if self.ratio is None else round(self.ratio, 4),
            "target": self.target,
            "met": self.met,
        }


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


class StallMonitor:
    """The longest the event loop went without running a 1 ms ticker, while in use."""

    def __init__(self) -> None:
        self.worst = 0.0
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> StallMonitor:
        self._task = asyncio.create_task(self._tick())
        await asyncio.sleep(0)
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

    async def _tick(self) -> None:
        last = time.perf_counter()
        while True:
            await asyncio.sleep(0.001)
            now = time.perf_counter()
            self.worst = max(self.worst, now - last - 0.001)
            last = now


def machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "when": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
    }


POSTGRES_SERVER = os.environ.get(
    "SHORTLIST_BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432/postgres"
)


async def stores() -> list[str]:
    """The stores to measure: SQLite, and PostgreSQL when its server answers."""
    try:
        await admin("SELECT 1", POSTGRES_SERVER)
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
        print(f"PostgreSQL figures skipped: no server at {POSTGRES_SERVER} ({error})")
        return ["sqlite"]
    return ["sqlite", "postgres"]


@contextlib.asynccontextmanager
async def database_settings(store: str) -> AsyncIterator[dict[str, Any]]:
    """Settings for a fresh, empty database of that kind, removed afterwards."""
    if store == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            yield {"database_path": Path(folder) / "bench.sqlite3"}
        return
    name = f"shortlist_bench_{secrets.token_hex(4)}"
    await admin(f'CREATE DATABASE "{name}"', POSTGRES_SERVER)
    try:
        yield {"database_url": f"{POSTGRES_SERVER.rpartition('/')[0]}/{name}"}
    finally:
        await admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', POSTGRES_SERVER)


@contextlib.asynccontextmanager
async def bench_app(
    store: str, tuning: Tuning | None = None, **settings: Any
) -> AsyncIterator[App]:
    """The bot as `build` wires it, on a fresh database of that kind."""
    async with database_settings(store) as where:
        wired = Settings(**where, link_previews=False, **settings)  # no internet here
        async with built(wired, stdout=io.StringIO(), tuning=tuning or Tuning()) as app:
            yield app


def console_app(
    store: str = "sqlite", **settings: Any
) -> contextlib.AbstractAsyncContextManager[App]:
    """The bot with no front end running, on a fresh database of that kind."""
    return bench_app(store, **settings)


def on_store(figures: list[Figure], store: str) -> list[Figure]:
    """Figures measured on PostgreSQL say so in their names; SQLite's keep theirs."""
    if store == "sqlite":
        return figures
    return [replace(figure, name=f"{figure.name} [PostgreSQL]") for figure in figures]
