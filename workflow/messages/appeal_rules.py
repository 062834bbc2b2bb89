"""What makes a message part of an appeal: its kind, and the appeal's first message.

An appeal is its first message and any later appeal messages that name it
(``appeal_of``); a found update (``closes_appeal``) closes them all at once
(workflow.messages.appeals).
"""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from workflow.core.errors import InvalidStateError, NotFoundError, ValidationError
from workflow.messages.models import AppealKind, Message
from workflow.messages.queries import get_message
from workflow.messages.states import MessageState


def parse_appeal(value: Any, field: str = "appeal") -> AppealKind | None:
    """``"missing_person"`` or None; anything else is a 422 naming ``field``."""
    if value is None:
        return None
    try:
        return AppealKind(value)
    except ValueError:
        kinds = ", ".join(k.value for k in AppealKind)
        raise ValidationError(f"appeal must be one of {kinds}, or null", field=field) from None


def appeal_root(session: Session, message: Message) -> Message:
    """The first message of the appeal ``message`` belongs to (itself when it is the first)."""
    if message.appeal_of_id is not None:
        return get_message(session, message.appeal_of_id)
    return message


def earlier_appeal(session: Session, value: Any, field: str = "appeal_of") -> Message:
    """The first message of the open appeal that ``value`` (a message id) belongs to, for a later appeal."""
    try:
        message = get_message(session, value)
    except NotFoundError:
        raise ValidationError(f"there is no message {value!r} to continue the appeal of", field=field) from None
    if message.appeal is None:
        raise ValidationError(f"message {message.id} is not an appeal", field=field)
    root = appeal_root(session, message)
    if root.appeal_closed_at is not None or root.status == MessageState.WITHDRAWN:
        raise InvalidStateError(f"the appeal of message {root.id} is closed: start a new appeal instead")
    return root
