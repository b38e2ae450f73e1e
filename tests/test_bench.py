"""The benchmarks run (a tiny smoke run of each): figures are for `python -m bench`, never for
CI to pass or fail on, but a benchmark that no longer runs is caught here."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import pytest

from tests.process import ROOT


@pytest.mark.timeout(180)
async def test_every_benchmark_runs_and_writes_its_figures(tmp_path: Path) -> None:
    output = tmp_path / "results.json"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench",
        "--quick",
        "--output",
        str(output),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 170)
    assert process.returncode == 0, err.decode()[-3000:]
    report = json.loads(output.read_text())
    names = [figure["name"] for figure in report["figures"]]
    assert len(names) >= 15
    assert any(name.startswith("Discord votes") for name in names)
    assert any(name.startswith("/shortlist full list") for name in names)
    assert "figure" in out.decode()
    assert report["machine"]["cores"]
