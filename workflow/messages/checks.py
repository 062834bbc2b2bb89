"""Pre-publication checks: problems a channel has with a text, and warnings
about wording that may prejudice proceedings or identify people."""
from __future__ import annotations

import re
from typing import Mapping

from sqlalchemy.orm import Session

from channels.base import Problem, channel_class
from workflow.accounts.channel_accounts import accounts_by_id
from workflow.messages.models import Message, MessageVersion
from workflow.messages.previews import channel_problems
from workflow.messages.versions import stored_rendering

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


def checks_for(session: Session, message: Message, version: MessageVersion) -> dict[str, list[dict]]:
    """Problems per target account, plus ``"all"`` for warnings about the wording.

    Each channel's stored posts are checked as they will be sent: a post the
    channel can no longer carry is an error, never silently rendered again.
    """
    rendering = stored_rendering(version)
    link = rendering.link
    accounts = accounts_by_id(session, version.targets)
    out: dict[str, list[dict]] = {"all": [p.as_dict() for p in prejudice_warnings(version.body)]}
    for account_id in version.targets:
        account = accounts[account_id]
        text = version.variants.get(str(account_id), version.body)
        adapter = channel_class(account.kind)
        problems = channel_problems(account, text, link)
        stored = rendering.posts.get(str(account_id))
        if stored is None:
            problems.append(Problem(f"nothing was rendered for {account.name} in this version",
                                    code="not_rendered"))
        else:
            for number, part in enumerate(stored, 1):
                for reason in adapter.part_problems(part):
                    problems.append(Problem(f"{account.name} cannot carry post {number} as stored: {reason}",
                                            code="unsendable"))
        out[str(account_id)] = [p.as_dict() for p in problems]
    return out


def has_errors(checks: Mapping[str, list[dict]]) -> bool:
    return any(p["level"] == "error" for problems in checks.values() for p in problems)
