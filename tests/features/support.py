"""Helpers for the publishing features: fixed instants, a recording dispatcher,
and stand-ins for the delivery engine (marking a delivery sent, the status roll-up)."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from workflow.audit.models import AuditEvent
from workflow.delivery.models import Delivery
from workflow.messages import drafts, review
from workflow.messages.models import Message

UTC = dt.timezone.utc


def at(text: str) -> dt.datetime:
    """A UTC instant from ISO text."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


class RecordingDispatcher:
    """Remembers which deliveries were woken after commit."""

    def __init__(self):
        self.calls: list[list[int]] = []

    def dispatch(self, delivery_ids):
        self.calls.append(list(delivery_ids))

    @property
    def ids(self) -> list[int]:
        return [i for call in self.calls for i in call]


def approved(session, author, reviewer, account_ids: list[int], now: dt.datetime, **fields: Any) -> Message:
    """A message drafted by ``author``, submitted and approved by ``reviewer`` at ``now``."""
    data = {"body": fields.pop("body", "Road closed on the High Street until further notice."),
            "accounts": account_ids, **fields}
    message = drafts.create_draft(session, author, data)
    review.submit(session, author, message.id)
    return review.approve(session, reviewer, message.id, message.current_version, now=now)


def deliveries(session, message_id: int, **where: Any) -> list[Delivery]:
    """The message's deliveries, fresh from the database, oldest first."""
    stmt = select(Delivery).where(Delivery.message_id == message_id).order_by(Delivery.id)
    for name, value in where.items():
        stmt = stmt.where(getattr(Delivery, name) == value)
    return list(session.execute(stmt.execution_options(populate_existing=True)).scalars())


def mark_sent(session, rows: list[Delivery], when: dt.datetime | None = None) -> None:
    """What the engine does when a post goes live."""
    for d in rows:
        d.state = "sent"
        d.remote_id = f"remote-{d.id}"
        d.url = f"https://platform.example/{d.id}"
        d.sent_at = when or d.due_at
        d.attempts += 1
    session.commit()


def set_status(session, message: Message, status: str) -> None:
    """What the engine's status roll-up does once posts are out."""
    message.status = status
    session.commit()


def audit_actions(session, message_id: int | None = None) -> list[AuditEvent]:
    stmt = select(AuditEvent).order_by(AuditEvent.id)
    if message_id is not None:
        stmt = stmt.where(AuditEvent.message_id == message_id)
    return list(session.execute(stmt).scalars())
