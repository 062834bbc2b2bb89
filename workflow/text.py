"""Checks for text and ids from users, shared by every service that stores them."""
from __future__ import annotations

import unicodedata
from typing import Any

from .errors import ValidationError

#: The largest id any table can hold (BIGINT on PostgreSQL).
MAX_ID = 2**63 - 1


def is_storable(text: str) -> bool:
    """False for text holding lone surrogates, which no database or hash can take."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def clean_text(value: Any, what: str, limit: int, field_name: str) -> str:
    """NFC-normalised, stripped text, or a :class:`ValidationError` naming ``field_name``."""
    if not isinstance(value, str):
        raise ValidationError(f"{what} must be a string", field=field_name)
    # NFC so that the same words always hash and count the same.
    text = unicodedata.normalize("NFC", value).replace("\r\n", "\n").strip()
    if not text:
        raise ValidationError(f"{what} is empty", field=field_name)
    if len(text) > limit:
        raise ValidationError(f"{what} is {len(text)} characters; the most is {limit}", field=field_name)
    if "\x00" in text:
        raise ValidationError(f"{what} contains a NUL character", field=field_name)
    if not is_storable(text):
        raise ValidationError(f"{what} contains characters that are not valid Unicode", field=field_name)
    return text


def is_id(value: Any) -> bool:
    """Whether ``value`` is an integer that could be a row id."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID
