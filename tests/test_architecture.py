"""The core stays platform-neutral: bot/ and storage/ import no platform library."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PLATFORM_LIBRARIES = {"discord", "slack_bolt", "slack_sdk"}


def imported_modules(path: Path) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module.split(".")[0])
    return modules


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [("bot", PLATFORM_LIBRARIES | {"aiosqlite", "sqlite3"}), ("storage", PLATFORM_LIBRARIES)],
)
def test_core_imports_no_platform_library(package: str, forbidden: set[str]) -> None:
    offenders = {
        f"{path.relative_to(ROOT)} imports {module}"
        for path in (ROOT / package).rglob("*.py")
        for module in imported_modules(path) & forbidden
    }
    assert not offenders


def test_no_package_shadows_a_platform_library() -> None:
    names = {path.name for path in (ROOT / "cogs").iterdir() if path.is_dir()}
    assert not names & {"discord", "slack", "slack_bolt", "slack_sdk"}
