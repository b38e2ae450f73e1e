"""What a note on a suggestion may hold: a short line of visible text."""

from __future__ import annotations

from bot.errors import InvalidNote
from bot.urls import has_control_characters, is_valid_text

MAX_NOTE_LENGTH = 280

# Characters that hide or reorder text: bidirectional overrides and isolates, zero-width
# characters and the Unicode line and paragraph separators.
_HIDDEN = frozenset(
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
    "\u200b\u200c\u2060\ufeff\u180e\u2028\u2029"
)
_ZWJ = "\u200d"


def _hides_text(note: str) -> bool:
    if not _HIDDEN.isdisjoint(note):
        return True
    if _ZWJ not in note:
        return False
    # The zero-width joiner is only welcome inside an emoji sequence (👩‍💻).
    return any(
        char == _ZWJ
        and not (0 < i < len(note) - 1 and not note[i - 1].isascii() and not note[i + 1].isascii())
        for i, char in enumerate(note)
    )


def clean_note(note: str) -> str:
    note = note.strip()
    if not is_valid_text(note):
        raise InvalidNote("Your note contains characters that aren't valid text.")
    if len(note) > MAX_NOTE_LENGTH:
        raise InvalidNote(
            f"Notes can be at most {MAX_NOTE_LENGTH} characters; yours has {len(note)}."
        )
    if has_control_characters(note) or _hides_text(note):
        raise InvalidNote(
            "Notes can't contain control characters, line breaks or invisible formatting."
        )
    return note
