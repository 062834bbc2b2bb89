"""Pre-publication checks: problems a channel has with a text, and warnings
about wording that may prejudice proceedings or identify people."""
from __future__ import annotations

import re

from channels.base import Problem

# Wording that presumes guilt or may prejudice a trial. Warnings, not errors:
# the supervisor decides, but must see them.
_PREJUDICE = [
    (re.compile(r"\b(guilty|murderer|rapist|killer|confess(ed|ion)?)\b", re.I),
     "presumes guilt or reports a confession: this may prejudice proceedings"),
    (re.compile(r"\b(charged|remanded|appear(s|ed)? (at|before) .* court)\b", re.I),
     "mentions a charge or court: once proceedings are active, publish only the facts of the charge"),
    (re.compile(r"\b(victim|deceased)\b[^.]{0,40}\b(named|is|was) [A-Z][a-z]+", re.I),
     "may identify a victim: check the family has agreed and been told first"),
    (re.compile(r"\b(aged|age) (1[0-7]|[1-9])\b|\b(1[0-7]|[1-9])[- ]year[- ]old\b", re.I),
     "mentions a child's age: check nothing else here could identify them"),
]


def prejudice_warnings(text: str) -> list[Problem]:
    """Warnings about wording a supervisor must look at before verifying."""
    problems = []
    for pattern, advice in _PREJUDICE:
        if pattern.search(text or ""):
            problems.append(Problem(advice, level="warning", code="legal"))
    return problems
