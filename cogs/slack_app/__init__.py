"""The Slack front end: slash commands, reaction votes and announcements on slack-bolt."""

from cogs.slack_app.frontend import SlackFrontEnd

__all__ = ["SlackFrontEnd"]
