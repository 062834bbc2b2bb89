"""Every "who may" rule of the desk in one place: services call these, and the
console and the API ask them what to show."""
from __future__ import annotations

from workflow.accounts.models import Role, User
from workflow.core.errors import (
    PermissionDeniedError,
)
from workflow.messages.models import Message
from workflow.messages.states import MessageState


def require_role(user: User, *roles: Role) -> None:
    """Raise unless ``user`` has one of ``roles`` (admin may do everything)."""
    if user.role == Role.ADMIN or user.role in roles:
        return
    wanted = " or ".join(r.value for r in roles)
    raise PermissionDeniedError(f"this needs the {wanted} role")


def ensure_supervisor(user: User) -> None:
    if not user.is_supervisor:
        raise PermissionDeniedError("only a supervisor can verify messages")


def can_edit(user: User, message: Message) -> bool:
    """The author and supervisors may change a message; other officers may not."""
    return user.id == message.author_id or user.role in (Role.SUPERVISOR, Role.ADMIN, "supervisor", "admin")


def contributors(message: Message, up_to: int | None = None) -> set[int]:
    """Everyone who wrote or edited the message (up to version ``up_to``)."""
    ids = {message.author_id}
    ids.update(v.editor_id for v in message.versions if up_to is None or v.number <= up_to)
    return ids


def approval_blocker(user: User, message: Message) -> str | None:
    """Why ``user`` may not approve the latest version, or None if they may."""
    if not user.is_supervisor:
        return "only a supervisor can verify messages"
    if user.id in contributors(message):
        return "you wrote or edited this message, so someone else must verify it"
    if message.status != MessageState.AWAITING_VERIFICATION.value:
        return f"the message is {str(message.status).replace('_', ' ')}, not awaiting verification"
    return None
