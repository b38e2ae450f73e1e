"""Fixtures for the front ends' tests."""

from __future__ import annotations

import pytest

from tests.fake_discord import FakeDiscordAPI, capture_at_choke_points


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> FakeDiscordAPI:
    """Discord's REST API, reached through discord.py's own HTTP choke points."""
    fake = FakeDiscordAPI()
    capture_at_choke_points(monkeypatch, fake)
    return fake
