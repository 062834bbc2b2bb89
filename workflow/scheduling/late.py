"""Late approvals: an approval that arrives after a post's scheduled time never
publishes silently; the desk chooses publish now or a new time."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workflow.accounts import policy
from workflow.accounts.models import User
from workflow.accounts.policy import Action
from workflow.audit import chain as audit
from workflow.core.database import utcnow
from workflow.core.errors import ConflictError, InvalidStateError, ValidationError
from workflow.core.runtime import wake_after_commit
from workflow.core.unit_of_work import transactional
from workflow.delivery.models import Delivery, DeliveryState
from workflow.messages.models import Message
from workflow.messages.queries import get_message
from workflow.messages.states import MessageState, transition
from workflow.scheduling.pause import hold_if_paused, is_pause_hold
from workflow.scheduling.rules import parse_publish_at


@transactional
def decide_held(session: Session, actor: User, message_id: Any, publish_now: bool = False,
                publish_at: Any = None, *, now: dt.datetime | None = None) -> Message:
    """Release what waits for a decision: publish now, or at a new time (``publish_at``).

    Any supervisor may decide (the approver or another): the text was verified;
    this chooses only when it goes out.
    """
    if not isinstance(publish_now, bool):
        raise ValidationError("publish_now must be true or false", field="publish_now")
    if publish_now == (publish_at is not None and publish_at != ""):
        raise ValidationError("choose either publish_now or a new publish_at", field="publish_at")
    now = now or utcnow()
    new_time = None if publish_now else parse_publish_at(publish_at)
    if new_time is not None and new_time <= now:
        raise ValidationError("that time has passed: choose a later time, or publish now", field="publish_at")
    policy.require(actor, Action.DECIDE_LATE)
    message = get_message(session, message_id, lock=True)
    held = [d for d in session.execute(select(Delivery).where(
        Delivery.message_id == message.id, Delivery.state == DeliveryState.HELD)
        .order_by(Delivery.id).with_for_update().execution_options(populate_existing=True)
    ).scalars() if not is_pause_hold(d)]
    if not held:
        raise InvalidStateError("nothing of this message is waiting for a decision")
    for d in held:
        d.state = DeliveryState.PENDING
        d.last_error = None
        d.next_attempt_at = None
        d.due_at = now if publish_now else new_time
        hold_if_paused(session, d)
    try:
        session.flush()
    except IntegrityError:
        raise ConflictError("this message already has a post planned at that time") from None
    if message.status == MessageState.HELD:
        target = MessageState.APPROVED if publish_now else MessageState.SCHEDULED
        message.status = transition(message.status, target)
    audit.record(session, actor, "message.held_decided", message_id=message.id,
                 version_number=message.current_version, content_hash=message.latest.content_hash,
                 choice="publish_now" if publish_now else "new_time",
                 due_at=(now if publish_now else new_time).isoformat(),
                 deliveries=[d.id for d in held],
                 still_paused=[d.id for d in held if is_pause_hold(d)])
    wake_after_commit(session, [d.id for d in held
                                     if d.state == DeliveryState.PENDING and d.due_at <= now])
    return message
