"""Checks for text and ids from users, shared by every service that stores them."""
from __future__ import annotations

import re
import unicodedata
from typing import Any

import regex

from workflow.core.errors import ValidationError

#: The largest id any table can hold (BIGINT on PostgreSQL).
MAX_ID = 2**63 - 1


def is_storable(text: str) -> bool:
    """False for text holding lone surrogates, which no database or hash can take."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


#: Characters that change how text reads without being seen: bidi embeddings,
#: overrides and isolates (which can make a post read backwards), zero-width
#: characters, and C0/C1 controls other than the line break.
_HIDDEN = regex.compile(r"[\u202A-\u202E\u2066-\u2069\u200B-\u200D\u2060-\u2064\uFEFF\u180E"
                        r"\x00-\x09\x0B-\x1F\x7F-\x9F]")


_EMOJI_BEFORE_JOINER = regex.compile(r"[\p{Extended_Pictographic}\p{Emoji_Modifier}\uFE0F]")

_EMOJI_AFTER_JOINER = regex.compile(r"\p{Extended_Pictographic}")

ZWJ = "\u200D"


def hidden_character(text: str) -> tuple[int, str] | None:
    """The first invisible or deceptive character in ``text`` and its position (from 1), or None.

    A zero-width joiner between two emoji is part of one emoji (a family, a
    firefighter) and is allowed there.
    """
    for found in _HIDDEN.finditer(text):
        char, at = found.group(), found.start()
        if char == ZWJ and 0 < at < len(text) - 1 and _EMOJI_BEFORE_JOINER.match(text[at - 1]) \
                and _EMOJI_AFTER_JOINER.match(text[at + 1]):
            continue
        return at + 1, char
    return None


def describe_character(char: str) -> str:
    """``U+202E (RIGHT-TO-LEFT OVERRIDE)``: a character named so that a person can find it."""
    name = unicodedata.name(char, None) or {"\x00": "NULL"}.get(char, "CONTROL CHARACTER")
    return f"U+{ord(char):04X} ({name})"


def clean_text(value: Any, what: str, limit: int, field_name: str) -> str:
    """NFC-normalised, stripped text, or a :class:`ValidationError` naming ``field_name``."""
    if not isinstance(value, str):
        raise ValidationError(f"{what} must be a string", field=field_name)
    # NFC so that the same words always hash and count the same.
    text = unicodedata.normalize("NFC", value).replace("\r\n", "\n").strip()
    hidden = hidden_character(text)
    if hidden is not None:
        position, char = hidden
        raise ValidationError(f"{what} contains an invisible or deceptive character, {describe_character(char)}, "
                              f"at position {position}: remove it", field=field_name)
    if not text:
        raise ValidationError(f"{what} is empty", field=field_name)
    if len(text) > limit:
        raise ValidationError(f"{what} is {len(text)} characters; the most is {limit}", field=field_name)
    if not is_storable(text):
        raise ValidationError(f"{what} contains characters that are not valid Unicode", field=field_name)
    return text


def is_id(value: Any) -> bool:
    """Whether ``value`` is an integer that could be a row id."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID


def slugify(text: str, max_words: int = 8) -> str:
    words = re.findall(r"[a-z0-9]+", unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower())
    return "-".join(words[:max_words])[:80].strip("-") or "update"
