"""Reading settings one at a time from a mapping, collecting every problem instead of stopping
at the first: an operator fixes them all in one go."""

from __future__ import annotations

import os
import re
import string
from collections.abc import Callable, Collection, Mapping
from pathlib import Path
from urllib.parse import urlsplit

from bot.emoji import EMOJI_NAMES, emoji_count

_SLACK_ID = re.compile(r"^[A-Z0-9]{2,20}$")
_SHORTCODE = re.compile(r"^:(?P<name>[a-z0-9_+-]+):$")
_CUSTOM_EMOJI = re.compile(r"^<a?:[A-Za-z0-9_]{2,32}:\d+>$|^[A-Za-z0-9_]{2,32}:\d+$")
_SLACK_KINDS = {  # a setting's name -> the ids' first letters, and an example
    "USERGROUP": (("S",), "S0123456789"),
    "USER": (("U", "W"), "U0123456789"),
    "CHANNEL": (("C", "G", "D"), "C0123456789"),
}
_COMMAND = re.compile(r"^/[a-z0-9_-]{1,32}$")
_SLACK_REACTION = re.compile(r"^[a-z0-9_+'-]+(::skin-tone-[2-6])?$")
# Setting names that look like ours: an unknown one among them is probably a typo.
OUR_PREFIXES = ("DISCORD_", "SLACK_", "FEED_", "DATABASE_", "SUGGESTIONS_", "VOTE_", "LOG_")


class SettingsError(Exception):
    """Settings are missing or malformed; each problem names its setting and says what it
    should be. `name` is the first problem's setting."""

    def __init__(self, name: str, problem: str, *more: tuple[str, str]) -> None:
        self.problems = [(name, problem), *more]
        self.name = name
        super().__init__("\n".join(f"{setting} {text}" for setting, text in self.problems))


class Reader:
    """Reads one setting at a time; blank values count as unset; problems are collected."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ
        self.problems: list[tuple[str, str]] = []

    def problem(self, name: str, text: str) -> None:
        self.problems.append((name, text))

    def raise_problems(self) -> None:
        if self.problems:
            raise SettingsError(*self.problems[0], *self.problems[1:])

    def text(self, name: str, default: str = "") -> str:
        return self._environ.get(name, "").strip() or default

    def integer(self, name: str, default: int, *, minimum: int, maximum: int | None = None) -> int:
        raw = self.text(name)
        if not raw:
            return default
        try:
            value = int(raw)
        except ValueError:
            self.problem(name, f"must be a whole number, not {raw!r}")
            return default
        if value < minimum or (maximum is not None and value > maximum):
            bound = f"between {minimum} and {maximum}" if maximum is not None else f">= {minimum}"
            self.problem(name, f"must be {bound}, not {value}")
            return default
        return value

    def items(self, name: str) -> tuple[str, ...]:
        return tuple(item.strip() for item in self.text(name).split(",") if item.strip())

    def ids(self, name: str, *, valid: Callable[[str], bool], example: str) -> tuple[str, ...]:
        """Comma-separated ids; a name not ending in _IDS takes one at most."""
        ids = self.items(name)
        bad = [item for item in ids if not valid(item)]
        if bad:
            self.problem(name, f"must be ids such as {example}, but has {bad[0]!r}")
            return ()
        if len(ids) > 1 and not name.endswith("_IDS"):
            self.problem(name, "takes one id")
            return ()
        return tuple(dict.fromkeys(ids))

    def snowflakes(self, name: str) -> tuple[int, ...]:
        """Discord ids: positive numbers."""
        valid = lambda item: item.isdigit() and int(item) > 0  # noqa: E731
        ids = self.ids(name, valid=valid, example="123456789012345678")
        return tuple(int(item) for item in ids)

    def snowflake(self, name: str) -> int | None:
        return next(iter(self.snowflakes(name)), None)

    def slack_ids(self, name: str) -> tuple[str, ...]:
        """Slack ids of the kind the name says: user groups start with S, users with U or W,
        channels with C, G or D."""
        kind = next((k for k in _SLACK_KINDS if k in name), "CHANNEL")
        prefixes, example = _SLACK_KINDS[kind]
        return self.ids(
            name,
            valid=lambda item: bool(_SLACK_ID.match(item)) and item.startswith(prefixes),
            example=example,
        )

    def slack_id(self, name: str) -> str | None:
        return next(iter(self.slack_ids(name)), None)

    def url(self, name: str, schemes: tuple[str, ...]) -> str | None:
        raw = self.text(name)
        if not raw:
            return None
        if not raw.lower().startswith(tuple(f"{scheme}://" for scheme in schemes)):
            self.problem(name, f"must be a {' or '.join(schemes)} URL, not {raw!r}")
            return None
        return raw.rstrip("/")

    def choice(
        self, name: str, choices: tuple[str, ...], aliases: Mapping[str, str] | None = None
    ) -> str | None:
        """One of `choices`, in any case; `aliases` maps other accepted spellings to them."""
        value = self.text(name).upper()
        if not value:
            return None
        value = (aliases or {}).get(value, value)
        if value not in choices:
            self.problem(name, f"must be one of {', '.join(choices)}, not {value!r}")
            return None
        return value

    def feeds(self, name: str) -> tuple[str, ...]:
        """Comma-separated http(s) URLs or paths of existing files."""
        feeds = self.items(name)
        if any(re.search(r"[;\s]", feed) for feed in feeds):
            self.problem(name, "separates feeds with commas, not spaces or semicolons")
            return ()
        for feed in feeds:
            parts = urlsplit(feed)
            if parts.scheme.lower() in ("http", "https") and parts.netloc:
                continue
            if "://" not in feed and Path(feed).is_file():
                continue
            self.problem(name, f"has {feed!r}: neither an http(s) URL nor an existing file")
            return ()
        return feeds

    def database_path(self, name: str, default: str) -> Path:
        path = Path(self.text(name, default))
        folder = next((p for p in [path.parent, *path.parent.parents] if p.exists()), Path("."))
        if path.is_dir():
            self.problem(name, f"is the folder {str(path)!r}; give a file path in it instead")
        elif path.exists() and not os.access(path, os.R_OK | os.W_OK):
            self.problem(name, f"{str(path)!r} can't be read and written by this user")
        elif not path.exists() and not (folder.is_dir() and os.access(folder, os.W_OK)):
            self.problem(name, f"{str(path)!r} can't be created: {str(folder)!r} is not writable")
        return path

    def database_url(self, name: str) -> str | None:
        """A PostgreSQL URL, as hosts hand them out; problems never echo the password."""
        raw = self.text(name)
        if not raw:
            return None
        try:
            parts = urlsplit(raw)
            parts.port  # noqa: B018 - raises on a port that is not a number
        except ValueError:
            self.problem(name, "is not a URL: give postgres://user:password@host:5432/database")
            return None
        if parts.scheme not in ("postgres", "postgresql"):
            self.problem(
                name,
                f"must be a postgres:// or postgresql:// URL, not {parts.scheme or 'no'} scheme",
            )
        elif not parts.hostname or parts.path in ("", "/"):
            self.problem(name, "needs a host and a database: postgres://user@host:5432/database")
        return raw

    def emoji(self, name: str, default: str) -> str:
        """A Unicode emoji or a custom one; the usual `:shortcodes:` are understood."""
        raw = self.text(name, default)
        shortcode = _SHORTCODE.match(raw)
        if shortcode:
            if shortcode["name"] in EMOJI_NAMES:
                return EMOJI_NAMES[shortcode["name"]]
            self.problem(
                name,
                f"must be the emoji itself (such as 👍) or a custom emoji as <:name:id>; "
                f"{raw!r} is not a shortcode I know",
            )
            return default
        if _CUSTOM_EMOJI.match(raw):
            return raw
        if not raw.isascii() and not any(c.isspace() for c in raw):
            if emoji_count(raw) == 1:
                return raw
            self.problem(name, f"must be one emoji, not {emoji_count(raw)} ({raw!r})")
            return default
        self.problem(name, f"must be an emoji (such as 👍) or <:name:id>, not {raw!r}")
        return default

    def weekday(self, name: str) -> int | None:
        """A day of the week by name (monday, Mon, …): 0 for Monday; None if unset."""
        raw = self.text(name).lower()
        if not raw:
            return None
        days = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        for number, day in enumerate(days):
            if len(raw) >= 3 and day.startswith(raw):
                return number
        self.problem(name, f"must be a day of the week such as monday, not {raw!r}")
        return None

    def flag(self, name: str, default: bool = False) -> bool:
        raw = self.text(name).lower()
        if not raw:
            return default
        if raw in ("0", "false", "no", "off"):
            return False
        if raw in ("1", "true", "yes", "on"):
            return True
        self.problem(name, f"must be true or false, not {raw!r}")
        return False

    def template(self, name: str, placeholders: Collection[str]) -> str | None:
        """Text with `{placeholders}`; `\\n` in it is a line break."""
        raw = self.text(name).replace("\\n", "\n")
        if not raw:
            return None
        try:
            fields = [
                (field, spec, conversion)
                for _, field, spec, conversion in string.Formatter().parse(raw)
                if field is not None
            ]
        except ValueError as error:
            self.problem(name, f"has a stray brace ({error}); write {{{{ and }}}} for braces")
            return None
        known = ", ".join("{" + p + "}" for p in placeholders)
        for field, spec, conversion in fields:
            if field not in placeholders:
                self.problem(name, f"has {{{field}}}; the placeholders are {known}")
                return None
            if spec or conversion:
                written = "{" + field + (f"!{conversion}" if conversion else "") + f":{spec}}}"
                self.problem(
                    name, f"has {written.replace(':}', '}')}; placeholders take no format: {known}"
                )
                return None
        try:  # a sample announcement: what passes here fills in at every announcement
            raw.format_map(dict.fromkeys(placeholders, "sample"))
        except (ValueError, KeyError, IndexError, AttributeError) as error:
            self.problem(name, f"can't be filled in ({error})")
            return None
        return raw

    def command(self, name: str, default: str) -> str:
        """A Slack slash command name: `/` and up to 32 lower-case letters, digits, - or _."""
        raw = self.text(name, default)
        if not _COMMAND.match(raw):
            self.problem(name, f"must be a command name such as {default}, not {raw!r}")
            return default
        return raw

    def slack_reaction(self, name: str, default: str) -> str:
        """A reaction name, with or without its colons: `+1`, `:thumbsup:`."""
        raw = self.text(name, default)
        reaction = raw[1:-1] if len(raw) > 2 and raw[0] == raw[-1] == ":" else raw
        if not _SLACK_REACTION.match(reaction):
            self.problem(name, f"must be a reaction name such as +1 or thumbsup, not {raw!r}")
            return default
        return reaction


def unknown_settings(names: Collection[str], known: Collection[str]) -> list[str]:
    """A warning for each name that looks like a setting but isn't one, with the closest match."""
    unknown = sorted(set(names) - set(known))
    if not unknown:
        return []
    import difflib  # only when there is something to suggest

    warnings = []
    for name in unknown:
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]}?" if close else " (see .env.example)"
        warnings.append(f"{name} is not a setting Shortlist reads{hint}")
    return warnings
