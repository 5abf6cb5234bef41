"""Text people type that must say something: a required reason or note. Pure (no Django)."""

from __future__ import annotations

import unicodedata

# Whitespace, controls and format characters (zero-width spaces and joiners, direction marks,
# the byte-order mark): they draw nothing.
_BLANK_CATEGORIES = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp"})
# Characters of other categories that draw nothing either: Hangul fillers, the blank Braille
# pattern.
_BLANK_CHARACTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
# Marks that only change the character before them, so alone they say nothing.
_MARK_CATEGORIES = frozenset({"Mn", "Me"})


def _blank(char: str) -> bool:
    return char in _BLANK_CHARACTERS or unicodedata.category(char) in _BLANK_CATEGORIES


def visible_text(text: str) -> str:
    """``text`` without the invisible characters around it, or "" when none of it would show:
    a reason of one zero-width space is no reason, though ``str.strip`` keeps it."""
    start, end = 0, len(text)
    while start < end and _blank(text[start]):
        start += 1
    while end > start and _blank(text[end - 1]):
        end -= 1
    kept = text[start:end]
    if all(_blank(c) or unicodedata.category(c) in _MARK_CATEGORIES for c in kept):
        return ""
    return kept
