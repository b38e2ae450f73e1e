"""The real `python -m bot` process in Slack's HTTP mode, against a local fake Slack API."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import aiohttp

from tests.fake_slack import (
    BOT_TOKEN,
    SIGNING_SECRET,
    SUGGESTIONS,
    command_payload,
    fake_slack,
    form,
    signed,
)
from tests.process import read_until, start_bot
from tests.waiting import eventually


async def test_slack_http_mode_process_verifies_and_answers(tmp_path: Path) -> None:
    async with fake_slack() as slack:
        slack.add_user("U0SAM", "Sam")
        environ = {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": slack.api_url,
            "SLACK_SUGGESTIONS_CHANNEL_ID": SUGGESTIONS,
            "PORT": "0",
            "LOG_LEVEL": "INFO",
        }
        process = await start_bot(tmp_path, environ)
        assert process.stderr is not None
        served = await read_until(process.stderr, "Serving Slack requests on port")
        port = int(served.rsplit("on port ", 1)[1].split()[0])
        url = f"http://127.0.0.1:{port}/slack/events"
        try:
            body = form(command_payload(slack, "/suggest", "https://example.com/http", "U0SAM"))
            async with aiohttp.ClientSession() as session:
                headers = {"Content-Type": "application/x-www-form-urlencoded"}
                async with session.post(url, data=body, headers=headers) as forged:
                    assert forged.status == 401
                async with session.post(url, data=body, headers={**headers, **signed(body)}) as ok:
                    assert (ok.status, await ok.text()) == (200, "")
            await eventually(lambda: slack.responses)
            assert slack.responses[-1]["text"].startswith("Suggested #1 for the next issue")
        finally:
            process.send_signal(signal.SIGTERM)
            _, err = await asyncio.wait_for(process.communicate(), 15)
    assert process.returncode == 0
    assert SIGNING_SECRET not in err.decode()
    assert BOT_TOKEN not in err.decode()
