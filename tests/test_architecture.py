"""The shape of the code: a platform-neutral core, stores that know only the core's models, front
ends and stores wired in one place, and modules small enough to read as one idea."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PLATFORM_LIBRARIES = {"discord", "slack_bolt", "slack_sdk"}
DATABASE_DRIVERS = {"aiosqlite", "sqlite3", "asyncpg"}
COMPOSITION = {"bot/app.py", "bot/__main__.py", "bot/operating.py"}
MAX_LINES = 300


def imported_modules(path: Path) -> set[str]:
    """Every absolute import, dotted in full (`bot.models`, `discord`)."""
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
    return modules


def sources(*packages: str) -> list[Path]:
    return [path for package in packages for path in sorted((ROOT / package).rglob("*.py"))]


def name(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [("bot", PLATFORM_LIBRARIES | DATABASE_DRIVERS), ("storage", PLATFORM_LIBRARIES)],
)
def test_core_imports_no_platform_library(package: str, forbidden: set[str]) -> None:
    offenders = {
        f"{name(path)} imports {module}"
        for path in sources(package)
        for module in imported_modules(path)
        if module.split(".")[0] in forbidden
    }
    assert not offenders


def test_storage_knows_only_the_cores_models() -> None:
    offenders = {
        f"{name(path)} imports {module}"
        for path in sources("storage")
        for module in imported_modules(path)
        if module.split(".")[0] == "bot" and module != "bot.models"
    }
    assert not offenders


def test_only_the_composition_root_imports_storage_and_front_ends() -> None:
    offenders = {
        f"{name(path)} imports {module}"
        for path in sources("bot", "cogs")
        for module in imported_modules(path)
        if module.split(".")[0] in {"storage", "cogs"}
        and name(path) not in COMPOSITION
        and not name(path).startswith("cogs/")  # a front end's own modules import each other
    }
    offenders |= {
        f"{name(path)} imports {module}"
        for path in sources("cogs")
        for module in imported_modules(path)
        if module.split(".")[0] == "storage"
    }
    assert not offenders


def test_no_module_is_over_300_lines() -> None:
    long = {
        f"{name(path)}: {lines} lines"
        for path in sources("bot", "cogs", "storage", "bench")
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not long


def test_no_package_shadows_a_platform_library() -> None:
    names = {path.name for path in (ROOT / "cogs").iterdir() if path.is_dir()}
    assert not names & {"discord", "slack", "slack_bolt", "slack_sdk"}
