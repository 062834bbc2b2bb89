"""What an account would carry for a text, and the problems its channel has with it.

The compose page previews these as the officer types; the checks of a saved
version (:mod:`workflow.messages.checks`) start from the same problems.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from channels.base import Problem, channel_class
from channels.x.text import MAX_WEIGHTED_LENGTH, weighted_length
from workflow.accounts.models import ChannelAccount


@dataclass(frozen=True)
class PostPreview:
    text: str
    count: int | None = None  # X's weighted length, the link included
    limit: int | None = None


def channel_problems(account: ChannelAccount, text: str, link: str | None) -> list[Problem]:
    """What ``account``'s channel says about ``text`` (length, characters), and whether it can post at all."""
    problems = channel_class(account.kind).check(text, link) if text.strip() else []
    if account.status == "reconnect":
        problems.append(Problem(f"{account.name} must be reconnected before it can post",
                                level="error", code="reconnect"))
    return problems


def preview_posts(account: ChannelAccount, text: str, link: str | None,
                  stored: Sequence[str] | None = None) -> list[PostPreview]:
    """The posts ``account`` carries: ``stored`` (a saved version's) if given, else rendered now."""
    if stored is not None:
        posts = list(stored)
    else:
        posts = channel_class(account.kind).render(text, link) if text.strip() else []
    if str(account.kind) == "x":
        return [PostPreview(post, weighted_length(post), MAX_WEIGHTED_LENGTH) for post in posts]
    return [PostPreview(post) for post in posts]
