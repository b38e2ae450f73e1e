"""The Slack app manifest, made from the code: the commands as configured, exactly the scopes
and events the app uses, Socket Mode or the HTTP request URL. `python -m bot slack-manifest`
prints it; the checked-in slack-manifest.json is its output for the default settings."""

from __future__ import annotations

from typing import Any

from bot.arguments import SHORTLIST_FORMS
from bot.settings import CommandNames, SlackSettings
from cogs.slack_app.frontend import EVENTS_PATH
from cogs.slack_app.listeners import EVENTS, SCOPES

PLACEHOLDER_URL = "https://your-host.example.com" + EVENTS_PATH


def manifest(settings: SlackSettings | None = None) -> dict[str, Any]:
    names = settings.commands if settings is not None else CommandNames()
    socket_mode = settings is None or settings.socket_mode
    url = (settings.request_url if settings is not None else None) or PLACEHOLDER_URL
    shortlist_hint = " | ".join(form for form, _ in SHORTLIST_FORMS)
    commands = [
        (
            names.suggest,
            "Suggest a link for the next issue; withdraw it or rewrite its note",
            "<link> [note] | withdraw <n> | note <n> [text]",
        ),
        (
            names.shortlist,
            "Curators: the ballot, its export, and the newsletter feeds",
            shortlist_hint,
        ),
    ]
    events: dict[str, Any] = {"bot_events": sorted(EVENTS)}
    if not socket_mode:
        events = {"request_url": url, **events}
    return {
        "_metadata": {"major_version": 1, "minor_version": 1},
        "display_information": {
            "name": "Shortlist",
            "description": "Announces each newsletter issue and runs the community's ballot "
            "for the next one.",
            "background_color": "#2c2d30",
        },
        "features": {
            "bot_user": {"display_name": "Shortlist", "always_online": True},
            "slash_commands": [
                {
                    "command": command,
                    **({} if socket_mode else {"url": url}),
                    "description": description,
                    "usage_hint": hint,
                    "should_escape": False,
                }
                for command, description, hint in commands
            ],
        },
        "oauth_config": {"scopes": {"bot": sorted(SCOPES)}},
        "settings": {
            "event_subscriptions": events,
            "org_deploy_enabled": False,
            "socket_mode_enabled": socket_mode,
            "token_rotation_enabled": False,
        },
    }
