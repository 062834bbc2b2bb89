"""Every "who may" rule of the desk in one place.

Services call :func:`require` (or the message-level rules below) before they
change anything, so the console, the API and the CLI obey the same rules; the
console and the API ask :func:`may` what to show. Roles: an officer drafts and
sends for verification; a supervisor also verifies, pauses routine posts,
decides on late approvals, manages the template library and oversees the desk
(the dashboard, the whole audit trail); an admin may do everything, including
administering people, tokens and channel accounts.
"""
from __future__ import annotations

import enum

from workflow.accounts.models import Role, User
from workflow.core.errors import PermissionDeniedError
from workflow.messages.models import Message
from workflow.messages.states import MessageState


class Action(enum.StrEnum):
    READ = "read"  # see messages, accounts and pauses
    DRAFT = "draft"  # draft, edit one's own messages, submit, correct, withdraw one's own
    VERIFY = "verify"  # approve or reject someone else's version
    EDIT_ANY = "edit_any"  # edit, correct or withdraw anyone's message
    PAUSE = "pause"  # pause and resume routine posts
    DECIDE_LATE = "decide_late"  # publish now or re-time an approval that came too late
    ADMINISTER = "administer"  # people, tokens, channel accounts
    MANAGE_TEMPLATES = "manage_templates"  # create, edit and retire the template library
    OVERSEE = "oversee"  # the desk's dashboard and the whole audit trail
    RECORD_LEGAL = "record_legal"  # record the legal context of an incident or a message


_SUPERVISING = frozenset({Action.READ, Action.DRAFT, Action.VERIFY, Action.EDIT_ANY, Action.PAUSE,
                          Action.DECIDE_LATE, Action.MANAGE_TEMPLATES, Action.OVERSEE, Action.RECORD_LEGAL})
ALLOWED: dict[Role, frozenset[Action]] = {
    Role.OFFICER: frozenset({Action.READ, Action.DRAFT, Action.RECORD_LEGAL}),
    Role.SUPERVISOR: _SUPERVISING,
    Role.ADMIN: frozenset(Action),
}

#: What a refusal says, in the words the desk uses.
REFUSAL: dict[Action, str] = {
    Action.READ: "you cannot see this",
    Action.DRAFT: "this needs the officer or supervisor role",
    Action.VERIFY: "only a supervisor can verify messages",
    Action.EDIT_ANY: "only the author or a supervisor can change this message",
    Action.PAUSE: "only a supervisor or an admin can pause or resume routine posts",
    Action.DECIDE_LATE: "only a supervisor can decide when a held message goes out",
    Action.ADMINISTER: "this needs the admin role",
    Action.MANAGE_TEMPLATES: "only a supervisor or an admin can change the template library",
    Action.OVERSEE: "only a supervisor or an admin can see the dashboard and the whole audit trail",
    Action.RECORD_LEGAL: "only officers and supervisors record the legal context",
}


def role_of(user: User) -> Role | None:
    try:
        return Role(str(user.role))
    except ValueError:
        return None


def may(user: User | None, action: Action | str) -> bool:
    """Whether ``user`` may do ``action`` at all (an inactive user may do nothing)."""
    if user is None or not getattr(user, "active", True):
        return False
    role = role_of(user)
    return role is not None and Action(action) in ALLOWED[role]


def require(user: User, action: Action | str) -> None:
    """Raise :class:`PermissionDeniedError` unless ``user`` may do ``action``."""
    if not may(user, action):
        raise PermissionDeniedError(REFUSAL[Action(action)])


def is_supervisor(user: User) -> bool:
    """Supervisors and admins: they verify, and need a second factor in the console."""
    return may(user, Action.VERIFY)


def can_edit(user: User, message: Message) -> bool:
    """The author and supervisors may change a message; other officers may not."""
    return (user.id == message.author_id and may(user, Action.DRAFT)) or may(user, Action.EDIT_ANY)


def contributors(message: Message, up_to: int | None = None) -> set[int]:
    """Everyone who wrote or edited the message (up to version ``up_to``)."""
    ids = {message.author_id}
    ids.update(v.editor_id for v in message.versions if up_to is None or v.number <= up_to)
    return ids


def approval_blocker(user: User, message: Message) -> str | None:
    """Why ``user`` may not approve the latest version, or None if they may (the two-person rule)."""
    if not may(user, Action.VERIFY):
        return REFUSAL[Action.VERIFY]
    if user.id in contributors(message):
        return "you wrote or edited this message, so someone else must verify it"
    if message.status != MessageState.AWAITING_VERIFICATION:
        return f"the message is {str(message.status).replace('_', ' ')}, not awaiting verification"
    return None


def require_operator(actor: User | None, action: Action | str) -> None:
    """:func:`require`, where ``None`` is the operator at the server's command line, who may do everything."""
    if actor is not None:
        require(actor, action)
