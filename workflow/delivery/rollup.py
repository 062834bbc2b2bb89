"""The one roll-up of a message's status from its deliveries (published,
partially published, failed, scheduled...), used by the engine and the console."""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from typing import Any, Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workflow.audit import chain as audit
from workflow.core.database import utcnow
from workflow.core.errors import InvalidStateError
from workflow.delivery.models import ACTIVE, Delivery, DeliveryPurpose, DeliveryState
from workflow.messages.models import Message
from workflow.messages.states import MessageState, transition

log = logging.getLogger("crier.delivery")

DS = DeliveryState


@dataclasses.dataclass(frozen=True)
class Tally:
    """Where each channel of a message stands, counted (cancelled deliveries do not count)."""

    sent: int = 0
    failed: int = 0
    held: int = 0
    active: int = 0  # pending, sending, retrying or of unknown outcome

    @classmethod
    def of(cls, states: Iterable[str]) -> "Tally":
        counts = {"sent": 0, "failed": 0, "held": 0, "active": 0}
        for state in states:
            state = str(state)
            if state in ACTIVE:
                counts["active"] += 1
            elif state in counts:
                counts[state] += 1
        return cls(**counts)

    @property
    def outcome(self) -> str:
        """What the desk is told now: published, partially_published, failed, held, in_progress or none.

        A channel that failed while others are still going out already makes
        it partial: a partial publication is never hidden behind "in progress".
        """
        if not (self.sent or self.failed or self.held or self.active):
            return "none"
        if self.active:
            return "partially_published" if self.sent and self.failed else "in_progress"
        if self.sent:
            return "published" if not (self.failed or self.held) else "partially_published"
        return "held" if not self.failed else "failed"

    def status(self) -> MessageState | None:
        """The message status these outcomes call for, or None while a person must decide (held)."""
        if self.active:
            return MessageState.PUBLISHING
        if self.sent:
            return MessageState.PUBLISHED if not (self.failed or self.held) else MessageState.PARTIALLY_PUBLISHED
        if self.failed and not self.held:
            return MessageState.FAILED
        return None


def roll_up(session: Session, message: Message, *, now: dt.datetime | None = None) -> MessageState | None:
    """Set the message's status from its deliveries: publishing while any is
    in flight, then published, partially published or failed.

    Looks at the latest approved version's publications and corrections that
    are due, taking each account's latest occurrence (a recurring series has
    one per occurrence). Returns the new status if it changed.

    Outcomes of one message are recorded side by side, each in its own
    transaction, so two finishing together could each see the other still in
    flight and neither finish the message. The decision is therefore taken
    under the audit chain's lock, which every outcome holds from its audit
    append to its commit: whichever takes it last sees all the others
    committed. The caller commits.
    """
    now = now or utcnow()
    status = MessageState(message.status)
    if status not in ROLLED_UP:
        return None
    audit.lock_chain(session)
    counted = (Delivery.message_id == message.id,
               Delivery.purpose.in_([DeliveryPurpose.PUBLISH, DeliveryPurpose.CORRECT]),
               Delivery.state != DS.CANCELLED)
    latest = select(func.max(Delivery.version_id)).where(*counted).scalar_subquery()
    if status == MessageState.PUBLISHING and session.execute(select(Delivery.id).where(
            *counted, Delivery.version_id == latest, Delivery.state.in_(ACTIVE),
            Delivery.due_at <= now).limit(1)).first() is not None:
        # Still going out: nothing to change, and no need to read a large fan-out
        # in full after every single outcome.
        return None
    rows = session.execute(select(Delivery.account_id, Delivery.state, Delivery.due_at, Delivery.id)
                           .where(*counted, Delivery.version_id == latest, Delivery.due_at <= now)).all()
    current: dict[int, Any] = {}
    for r in sorted(rows, key=lambda r: (r.due_at, r.id)):
        current[r.account_id] = r
    tally = Tally.of(r.state for r in current.values())
    target = tally.status()
    if target is None or target == status:
        return None
    # The status was read before the lock: another outcome of the message may
    # have moved it since (only outcomes can, and only under this lock).
    session.refresh(message, ["status"])
    status = MessageState(message.status)
    if target == status or status not in ROLLED_UP:
        return None
    try:
        message.status = transition(status, target)
    except InvalidStateError:
        log.warning("message %s: not moving from %s to %s", message.id, status, target)
        return None
    if target != MessageState.PUBLISHING:
        audit.record(session, None, f"message.{target}", message_id=message.id,
                     version_number=message.current_version, sent=tally.sent, failed=tally.failed,
                     held=tally.held)
    return target


#: The statuses roll_up maintains; any other belongs to a person's decision.
ROLLED_UP = frozenset({MessageState.APPROVED, MessageState.SCHEDULED, MessageState.PUBLISHING,
                       MessageState.PUBLISHED, MessageState.PARTIALLY_PUBLISHED, MessageState.FAILED})
