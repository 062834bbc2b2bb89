"""Loading messages (with their versions and decisions, optionally locked)."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from workflow.core.errors import NotFoundError
from workflow.messages.models import Message


def get_message(session: Session, message_id: Any, *, lock: bool = False) -> Message:
    """Load a message (optionally locking its row for the transaction)."""
    if isinstance(message_id, bool) or not isinstance(message_id, int):
        try:
            message_id = int(message_id)
        except (TypeError, ValueError):
            raise NotFoundError(f"no message {message_id!r}") from None
    if not (0 < message_id < 2**62):
        raise NotFoundError(f"no message {message_id}")
    stmt = select(Message).where(Message.id == message_id).options(
        selectinload(Message.versions), selectinload(Message.decisions))
    if lock:
        stmt = stmt.with_for_update()
    message = session.execute(stmt).scalar_one_or_none()
    if message is None:
        raise NotFoundError(f"no message {message_id}")
    if lock:
        # Another transaction may have changed it while we waited for the lock.
        session.refresh(message)
    return message
