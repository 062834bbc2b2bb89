"""Runs every rule over a text and returns its findings, in reading order."""
from __future__ import annotations

from typing import Callable

from workflow.messages.checks import (
    arrest,
    deceased,
    learned,
    personal_data,
    prejudice,
    sexual_offence,
    suicide,
    witness,
    youth,
)
from workflow.messages.checks.findings import SERIOUS, Contacts, Context, Finding
from workflow.messages.checks.text import Post

Rule = Callable[[Post, Context, Contacts], list[Finding]]

#: Every rule, by the code it reports. Each is a plain function with its own tests.
RULES: dict[str, Rule] = {
    arrest.CODE: arrest.check,
    prejudice.CODE: prejudice.check,
    sexual_offence.CODE: sexual_offence.check,
    youth.CODE: youth.check,
    deceased.CODE: deceased.check,
    witness.RESTRICTION: witness.check_restriction,
    witness.WITNESS: witness.check_witness,
    personal_data.CODE: personal_data.check,
    suicide.CODE: suicide.check,
}
CODES = tuple(RULES)
#: Checks on a text longer than this read only its start: every input is bounded.
MAX_CHARS = 20000


def run(text: str, context: Context | None = None, contacts: Contacts | None = None,
        reader: learned.Reader | bool = True) -> list[Finding]:
    """The findings on ``text``, one per code and span, sorted by where they start.

    ``reader`` is the learnt second reading: ``True`` for the one fitted on the shipped posts,
    ``False`` for the rules alone, or a :class:`learned.Reader` fitted on other posts (to measure).
    """
    post = Post((text or "")[:MAX_CHARS])
    context, contacts = context or Context(), contacts or Contacts()
    seen: dict[tuple[str, int, int], Finding] = {}
    for rule in RULES.values():
        for item in rule(post, context, contacts):
            key = (item.code, item.start, item.end)
            if key not in seen or (item.severity == SERIOUS and seen[key].severity != SERIOUS):
                seen[key] = item
    if reader is not False:
        reader = learned.shipped() if reader is True else reader
        for item in reader.findings(post, context, {key[0] for key in seen}):
            seen[(item.code, item.start, item.end)] = item
    return sorted(_outermost(seen.values()), key=lambda f: (f.start, f.end, f.code))


def _outermost(findings) -> list[Finding]:
    """Drops a finding that lies inside a longer one of the same code ("previous" inside "has previous
    convictions for"), unless it is serious and the longer one is not: one mark per stretch of text is
    what the verifier reads and acknowledges."""
    kept: list[Finding] = []
    reach: dict[tuple[str, bool], int] = {}
    for item in sorted(findings, key=lambda f: (f.start, -f.end)):
        serious = item.severity == SERIOUS
        covered = max(reach.get((item.code, True), -1), -1 if serious else reach.get((item.code, False), -1))
        if item.end <= covered:
            continue
        kept.append(item)
        reach[(item.code, serious)] = max(reach.get((item.code, serious), -1), item.end)
    return kept


def codes_in(text: str, context: Context | None = None, contacts: Contacts | None = None,
             reader: learned.Reader | bool = True) -> set[str]:
    """Just the codes found in ``text`` (for measuring the engine)."""
    return {f.code for f in run(text, context, contacts, reader)}
