"""Exercise mode: an exercise incident's messages reach only exercise (sandbox) accounts and
say so in their first words; a live message never reaches an exercise account.

Enforced when each version is made, again at approval, and by the worker
before every platform call, so an account or incident marked meanwhile can
never carry the other kind of message.
"""
from __future__ import annotations

from typing import Iterable

from workflow.accounts.models import ChannelAccount
from workflow.core.errors import ConflictError, ValidationError
from workflow.messages.models import Message

PREFIX = "EXERCISE EXERCISE EXERCISE"


def is_exercise(message: Message) -> bool:
    return bool(message.incident is not None and message.incident.exercise)


def marked(text: str) -> str:
    """``text`` starting with the exercise words (added once)."""
    stripped = text.lstrip()
    return stripped if stripped.startswith(PREFIX) else f"{PREFIX} {stripped}"


def isolation_problem(message: Message, accounts: Iterable[ChannelAccount]) -> str | None:
    """Why ``message`` may not go to ``accounts``, if it may not."""
    exercise = is_exercise(message)
    wrong = sorted(a.name for a in accounts if bool(a.exercise) != exercise)
    if not wrong:
        return None
    if exercise:
        return f"an exercise can go only to exercise accounts: {', '.join(wrong)} {'is' if len(wrong) == 1 else 'are'} live"
    return f"a live message cannot go to exercise accounts: {', '.join(wrong)}"


def check_targets(message: Message, accounts: Iterable[ChannelAccount]) -> None:
    """Refuse a version whose targets break the isolation (422 naming ``accounts``)."""
    problem = isolation_problem(message, accounts)
    if problem:
        raise ValidationError(problem, field="accounts")


def check_approval(message: Message, accounts: Iterable[ChannelAccount]) -> None:
    """Refuse an approval when an account was marked otherwise since the version was made (409)."""
    problem = isolation_problem(message, accounts)
    if problem:
        raise ConflictError(f"{problem}; edit the message's accounts before approving")
