"""The console front end: the whole bot on stdin and stdout."""

from cogs.console.frontend import Console, ConsoleFrontEnd

__all__ = ["Console", "ConsoleFrontEnd"]
