"""The text forms of commands typed as one line (the console, Slack): parsed once, for both."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.errors import UserFacingError


class UsageError(UserFacingError):
    """The arguments don't fit the command; front ends add the command's help."""


@dataclass(frozen=True, slots=True)
class ShortlistRequest:
    action: Literal["show", "close", "export", "poll", "feed", "credits", "why"] = "show"
    limit: int | None = None
    cycle: int | None = None
    csv: bool = False  # export as CSV rather than Markdown
    number: int | None = None  # the suggestion `why` is about


SHORTLIST_FORMS = (
    ("[limit]", "this cycle's suggestions ranked by votes"),
    ("close", "close this cycle's ballot and open the next"),
    ("cycle <n> [limit]", "show an earlier cycle"),
    ("export [n] [csv]", "a cycle's shortlist for the draft: Markdown, or CSV"),
    ("why <n> [cycle]", "how suggestion #n came to its count"),
    ("credits", "who got links into the latest issues"),
    ("poll", "check the newsletter feeds now"),
    ("feed", "how each newsletter feed is doing"),
)


def positive(text: str, what: str) -> int:
    text = text.lstrip("#")
    if not text.isdigit() or int(text) < 1:
        raise UsageError(f"The {what} must be a whole number from 1, not {text!r}.")
    return int(text)


def parse_shortlist(text: str) -> ShortlistRequest:
    """`` | `<limit>` | `close` | `cycle <n> [limit]` | `export [n] [csv]` | `why <n>` |
    `credits` | `poll` | `feed`."""
    args = text.split()
    if len(args) >= 2 and args[0].lower() == "export" and args[-1].lower() == "csv":
        request = parse_shortlist(" ".join(args[:-1]))
        return ShortlistRequest("export", cycle=request.cycle, csv=True)
    match [arg.lower() for arg in args]:
        case []:
            return ShortlistRequest()
        case ["close"]:
            return ShortlistRequest("close")
        case ["poll"]:
            return ShortlistRequest("poll")
        case ["credits"]:
            return ShortlistRequest("credits")
        case ["why", _]:
            return ShortlistRequest("why", number=positive(args[1], "suggestion number"))
        case ["why", _, _]:
            number = positive(args[1], "suggestion number")
            return ShortlistRequest("why", number=number, cycle=positive(args[2], "cycle"))
        case ["feed"] | ["feed", "status"]:
            return ShortlistRequest("feed")
        case ["export"]:
            return ShortlistRequest("export")
        case ["export", _]:
            return ShortlistRequest("export", cycle=positive(args[1], "cycle"))
        case ["cycle", _]:
            return ShortlistRequest(cycle=positive(args[1], "cycle"))
        case ["cycle", _, _]:
            return ShortlistRequest(
                cycle=positive(args[1], "cycle"), limit=positive(args[2], "limit")
            )
        case [_]:
            return ShortlistRequest(limit=positive(args[0], "limit"))
        case _:
            raise UsageError("That isn't a shortlist option.")
