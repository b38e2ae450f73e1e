"""The console front end: the whole bot on stdin and stdout."""

from cogs.console.commands import Console
from cogs.console.frontend import ConsoleFrontEnd

__all__ = ["Console", "ConsoleFrontEnd"]
