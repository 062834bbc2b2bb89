"""Named placeholders in a template's text: ``{location}``, ``{time}``, ``{name}``.

A placeholder is a lower-case name in braces; any other brace is refused when a
template is saved, so a template can never carry a stray ``{`` into a post.
Filling replaces each placeholder once, left to right, with plain text: a value
is never read as a template itself (no format strings, no attribute access).
"""
from __future__ import annotations

import dataclasses
import re
from typing import Any, Mapping

from workflow.core.errors import ValidationError
from workflow.core.text import clean_text

NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")
PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]{0,39})\}")
MAX_PLACEHOLDERS = 30
MAX_VALUE_CHARS = 1000


def placeholder_problem(body: str) -> str | None:
    """Why ``body`` is not a valid template (unbalanced or misnamed braces), or None."""
    position = 0
    while position < len(body):
        char = body[position]
        if char == "}":
            return f"a closing brace at position {position + 1} has no opening brace"
        if char != "{":
            position += 1
            continue
        end = body.find("}", position + 1)
        nested = body.find("{", position + 1)
        if end == -1 or (nested != -1 and nested < end):
            return f"the brace at position {position + 1} is never closed"
        name = body[position + 1:end]
        if not NAME.fullmatch(name):
            return (f"{{{name}}} at position {position + 1} is not a placeholder name: use lower-case letters, "
                    "digits and _ (starting with a letter), such as {location}")
        position = end + 1
    return None


def placeholders(body: str) -> list[str]:
    """The placeholder names of ``body``, each once, in order of first use."""
    names: list[str] = []
    for match in PLACEHOLDER.finditer(body):
        if match.group(1) not in names:
            names.append(match.group(1))
    return names


def check_template_body(body: str) -> None:
    """Raise :class:`ValidationError` (field ``body``) unless every brace is a well-named placeholder."""
    problem = placeholder_problem(body)
    if problem:
        raise ValidationError(f"the template's text is not valid: {problem}", field="body")
    if len(placeholders(body)) > MAX_PLACEHOLDERS:
        raise ValidationError(f"a template has at most {MAX_PLACEHOLDERS} different placeholders", field="body")


@dataclasses.dataclass(frozen=True)
class Filled:
    """A template's text with the values given; ``missing`` placeholders are left in braces."""

    text: str
    missing: list[str]
    values: dict[str, str]


def clean_values(raw: Any, names: list[str], *, field: str = "values") -> dict[str, str]:
    """Values for the placeholders ``names``: text, without hidden characters; blank ones dropped.

    A value for a placeholder the template does not have is refused, naming it.
    """
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise ValidationError("values must be an object of placeholder name to text", field=field)
    values: dict[str, str] = {}
    for key, value in raw.items():
        if key not in names:
            raise ValidationError(f"the template has no placeholder {{{key}}}"
                                  f"{': it has ' + ', '.join('{' + n + '}' for n in names) if names else ''}",
                                  field=field)
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        text = clean_text(value, f"the value of {{{key}}}", MAX_VALUE_CHARS, field)
        if "\n" in text:
            text = " ".join(text.split())
        values[key] = text
    return values


def fill(body: str, values: Mapping[str, str]) -> Filled:
    """Put ``values`` into ``body``'s placeholders; those without a value stay as ``{name}``."""
    missing: list[str] = []

    def put(match: re.Match) -> str:
        name = match.group(1)
        if name in values:
            return values[name]
        if name not in missing:
            missing.append(name)
        return match.group(0)

    return Filled(PLACEHOLDER.sub(put, body), missing, dict(values))


def unfilled(text: str, names: list[str]) -> list[str]:
    """Which of the placeholders ``names`` still stand in ``text`` as ``{name}``."""
    return [n for n in names if "{" + n + "}" in text]
