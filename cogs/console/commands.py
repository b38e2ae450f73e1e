"""The console's commands: one line each, run against the core, answered on `out`.

`/vote` and `/unvote` stand in for reactions on a card.
"""

from __future__ import annotations

import logging
import shlex
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TextIO

from bot import export
from bot.announcing import Announcer
from bot.arguments import SHORTLIST_FORMS, UsageError, parse_shortlist, positive
from bot.ballot import Ballot
from bot.cards import CardService
from bot.errors import UserFacingError
from bot.models import Announcement, Member, VoteChange
from bot.text import (
    GENERIC_APOLOGY,
    closed_reply,
    credits_text,
    poll_text,
    suggested_before,
    why_text,
)
from bot.watcher import FeedWatcher
from cogs.console import render

log = logging.getLogger(__name__)

PLATFORM = "console"


@dataclass(frozen=True, slots=True)
class _Command:
    run: Callable[[str], Awaitable[None]]  # takes the text after the command name
    help: tuple[tuple[str, str], ...]  # (usage, what it does) for each form


class Console:
    """Runs console commands against the core and writes the replies to `out`."""

    def __init__(
        self,
        ballot: Ballot,
        cards: CardService,
        out: TextIO,
        announcer: Announcer,
        *,
        watcher: FeedWatcher | None = None,
        default_name: str = "guest",
    ) -> None:
        self._ballot = ballot
        self._cards = cards
        self._watcher = watcher
        self._announcer = announcer
        self._out = out
        self.member = _member(default_name, curator=False)
        self._commands: dict[str, _Command] = {
            "/as": _Command(
                self._as,
                (("/as <name> [curator]", "act as that member; add 'curator' for a curator"),),
            ),
            "/suggest": _Command(
                self._suggest,
                (
                    ("/suggest <url> [note]", "suggest a link for the next issue"),
                    ("/suggest anyway <url> [note]", "curators: even if an issue featured it"),
                ),
            ),
            "/vote": _Command(self._vote, (("/vote <n>", "vote for suggestion #n"),)),
            "/unvote": _Command(self._unvote, (("/unvote <n>", "take back your vote for #n"),)),
            "/withdraw": _Command(
                self._withdraw, (("/withdraw <n>", "take back your suggestion #n"),)
            ),
            "/note": _Command(
                self._note, (("/note <n> [text]", "rewrite (or remove) the note of your #n"),)
            ),
            "/shortlist": _Command(
                self._shortlist,
                tuple(
                    (f"/shortlist {form}", f"curators: {what}") for form, what in SHORTLIST_FORMS
                ),
            ),
            "/poll": _Command(self._poll, (("/poll", "curators: check the feeds now"),)),
            "/feed": _Command(self._feed, (("/feed status", "curators: how each feed is doing"),)),
            "/help": _Command(self._help, (("/help", "list the commands"),)),
            "/quit": _Command(self._quit, (("/quit", "stop the bot"),)),
        }
        self.finished = False

    def say(self, text: str) -> None:
        self._out.write(text.rstrip("\n") + "\n")
        self._out.flush()

    async def handle(self, line: str) -> None:
        """Run one command line; every outcome, good or bad, is a reply on `out`."""
        line = line.strip()
        if not line or line.startswith("#"):
            return
        name, _, rest = line.partition(" ")
        command = self._commands.get(name.lower())
        if command is None:
            self.say(f"Unknown command {name!r}.")
            await self._help()
            return
        try:
            await command.run(rest.strip())
        except UsageError as error:
            self.say(f"{error}\n{_help_lines(command.help)}")
        except UserFacingError as error:
            self.say(error.message)
        except Exception:
            log.exception("Console command failed: %s", name)
            self.say(GENERIC_APOLOGY)

    def prompt(self) -> None:
        self._out.write(f"{self.member.name}> ")
        self._out.flush()

    async def _as(self, rest: str) -> None:
        args = _split(rest)
        if not args or len(args) > 2 or (len(args) == 2 and args[1].lower() != "curator"):
            raise UsageError("Give a member name, optionally followed by 'curator'.")
        self.member = _member(args[0], curator=len(args) == 2)
        self.say(f"You are now {self.member.name}{' (curator)' if self.member.is_curator else ''}.")

    async def _suggest(self, rest: str) -> None:
        url, _, note = rest.partition(" ")
        anyway = url.lower() == "anyway"
        if anyway:
            url, _, note = note.partition(" ")
        if not url:
            raise UsageError("Give the link to suggest.")
        result = await self._ballot.suggest(self.member, url, note, anyway=anyway)
        suggestion = result.suggestion
        self.say(f"Suggested #{suggestion.number}: {suggestion.url}")
        if suggestion.note:
            self.say(f"    {suggestion.note}")
        if result.before is not None:
            self.say(suggested_before(result).strip())

    async def _vote(self, rest: str) -> None:
        outcome = await self._ballot.vote(self.member, _number(rest))
        if outcome.change is VoteChange.ADDED:
            self.say(f"Voted for #{render.tally_line(outcome.tally)}.")
        else:
            self.say(f"You already voted for #{render.tally_line(outcome.tally)}.")

    async def _unvote(self, rest: str) -> None:
        outcome = await self._ballot.unvote(self.member, _number(rest))
        if outcome.change is VoteChange.REMOVED:
            self.say(f"Removed your vote for #{render.tally_line(outcome.tally)}.")
        else:
            self.say(f"You hadn't voted for #{render.tally_line(outcome.tally)}.")

    async def _withdraw(self, rest: str) -> None:
        self.say(await self._cards.withdraw(self.member, _number(rest)))

    async def _note(self, rest: str) -> None:
        number, _, note = rest.partition(" ")
        self.say(await self._cards.edit_note(self.member, _number(number), note))

    async def _shortlist(self, rest: str) -> None:
        request = parse_shortlist(rest)
        if request.action == "poll":
            await self._poll("")
            return
        if request.action == "feed":
            await self._feed("status")
            return
        if request.action == "why":
            assert request.number is not None
            self.say(why_text(await self._ballot.why(self.member, request.number, request.cycle)))
            return
        if request.action == "credits":
            self._require_watcher()  # credits are for issues a feed announced
            self.say(credits_text(await self._announcer.credits(self.member)))
            return
        if request.action == "close":
            rollover = await self._ballot.close_cycle(self.member)
            self.say(closed_reply(rollover))
            return
        shortlist = await self._ballot.shortlist(
            self.member, limit=request.limit, cycle_id=request.cycle
        )
        if request.action != "export":
            self.say(render.shortlist(shortlist))
        else:
            self.say(export.document(shortlist, csv=request.csv)[1])

    async def _poll(self, rest: str) -> None:
        if rest:
            raise UsageError("/poll takes no arguments.")
        watcher = self._require_watcher()
        self.say(poll_text(await watcher.poll_now(self.member)))

    async def _feed(self, rest: str) -> None:
        if rest.lower() != "status":
            raise UsageError("Did you mean /feed status?")
        watcher = self._require_watcher()
        self.say(
            "\n".join(render.feed_status(status) for status in await watcher.status(self.member))
        )

    def _require_watcher(self) -> FeedWatcher:
        if self._watcher is None:
            raise UserFacingError(
                "No newsletter feed is configured: set FEED_URLS (see .env.example)."
            )
        return self._watcher

    def announce(self, announcement: Announcement) -> None:
        self.say(render.announcement(announcement))

    async def _help(self, rest: str = "") -> None:
        forms = tuple(form for command in self._commands.values() for form in command.help)
        self.say("Commands:\n" + _help_lines(forms))

    async def _quit(self, rest: str) -> None:
        self.finished = True


def _help_lines(forms: tuple[tuple[str, str], ...]) -> str:
    width = max(len(usage) for usage, _ in forms)
    return "\n".join(f"  {usage:<{width}}  {summary}" for usage, summary in forms)


def _member(name: str, *, curator: bool) -> Member:
    return Member(PLATFORM, name.casefold(), name, is_curator=curator)


def _split(text: str) -> list[str]:
    try:
        return shlex.split(text)
    except ValueError:
        return text.split()


def _number(rest: str) -> int:
    args = rest.split()
    if len(args) != 1:
        raise UsageError("Give one suggestion number.")
    return positive(args[0], "suggestion number")
