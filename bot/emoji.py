"""Emoji as settings name them: the shortcodes people write, and how many emoji a text shows."""

from __future__ import annotations

# The shortcodes people write for the usual vote emoji, and the emoji Discord needs instead.
EMOJI_NAMES = {
    "thumbsup": "👍",
    "thumbs_up": "👍",
    "+1": "👍",
    "heart": "❤️",
    "star": "⭐",
    "fire": "🔥",
    "tada": "🎉",
    "rocket": "🚀",
    "white_check_mark": "✅",
    "heavy_check_mark": "✔️",
    "arrow_up": "⬆️",
    "up": "🆙",
    "raised_hands": "🙌",
    "clap": "👏",
    "eyes": "👀",
    "100": "💯",
}


_JOINERS = frozenset("\u200d\ufe0f\ufe0e\u20e3")  # zero-width joiner, variation selectors, keycap


def emoji_count(text: str) -> int:
    """How many emoji `text` shows: a joined family, a flag, a keycap or a skin tone is one."""
    count = 0
    after_joiner = regional_open = False
    for char in text:
        point = ord(char)
        if char in _JOINERS or 0x1F3FB <= point <= 0x1F3FF or 0xE0020 <= point <= 0xE007F:
            after_joiner = char == "\u200d"
            continue
        if 0x1F1E6 <= point <= 0x1F1FF:  # regional indicators pair up into a flag
            if regional_open:
                regional_open = False
                continue
            regional_open = True
        else:
            regional_open = False
        if not after_joiner:
            count += 1
        after_joiner = False
    return count
