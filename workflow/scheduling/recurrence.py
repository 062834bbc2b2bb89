"""Recurring routine posts: each occurrence gets its own deliveries, planned when due.

A series is the current version of a message when it has a recurrence and a
live approval: verified once for its exact text. An edit or a correction voids
the approval, so the series stops until the new version is verified. Approval
plans the first occurrence (:func:`workflow.messages.plan_deliveries`); the
scheduler then calls :func:`plan_due_occurrences` and, once everything of the
current occurrence has finished, plans the next one when it falls due. The
next occurrence is the first after the last post or correction the series
sent: occurrences that fell while a new version waited for verification are
not owed afterwards.

Occurrences are computed on the Europe/London wall clock
(:mod:`workflow.schedule`), so 09:00 stays 09:00 across the clock changes.
Each occurrence is published at most once: its deliveries are unique per
(version, account, purpose, due time) and the message row is locked while
planning. When the scheduler was down past several occurrences, only the
latest is planned; when even that one is more than ``late_grace_seconds`` past,
it waits for a decision (publish now or a new time) instead of going out late.
"""
from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workflow.audit import chain as audit
from workflow.core import london
from workflow.core.errors import CrierError
from workflow.core.runtime import settings_of
from workflow.core.unit_of_work import transaction
from workflow.delivery.models import Delivery, DeliveryPurpose, DeliveryState
from workflow.messages.models import Decision, Message, MessageVersion
from workflow.messages.queries import get_message
from workflow.messages.review import void_approvals
from workflow.messages.states import MessageState, can_transition
from workflow.scheduling.pause import active_pauses, hold_for_decision, hold_if_paused
from workflow.scheduling.rules import RecurrenceError, latest_occurrence, next_occurrence, occurrences_between

log = logging.getLogger(__name__)

FINISHED = (DeliveryState.SENT, DeliveryState.FAILED, DeliveryState.CANCELLED)


def _candidates(session: Session) -> list[tuple[int, int]]:
    """(message id, version id) of every verified series with nothing left on its way."""
    unfinished = exists().where(Delivery.message_id == Message.id, Delivery.state.not_in(FINISHED))
    rows = session.execute(
        select(Message.id, MessageVersion.id)
        .join(MessageVersion, MessageVersion.message_id == Message.id)
        .join(Decision, Decision.version_id == MessageVersion.id)
        .where(Decision.decision == "approved", Decision.voided_at.is_(None),
               MessageVersion.recurrence.is_not(None),
               MessageVersion.number == Message.current_version,
               Message.status != MessageState.WITHDRAWN,
               ~unfinished)
        .order_by(Message.id)
    ).all()
    return [(m, v) for m, v in rows]


def _plan_series(session: Session, message_id: int, version_id: int, now: dt.datetime) -> list[int]:
    message = get_message(session, message_id, lock=True)
    version = session.get(MessageVersion, version_id, populate_existing=True)
    approval = session.execute(select(Decision).where(
        Decision.version_id == version_id, Decision.decision == "approved",
        Decision.voided_at.is_(None)).execution_options(populate_existing=True)).scalar_one_or_none()
    # Checked again under the lock: an edit, a withdrawal or another planner may have won.
    if (version is None or approval is None or message.status == MessageState.WITHDRAWN
            or version.number != message.current_version or not version.recurrence
            or version.publish_at is None):
        return []
    deliveries = session.execute(select(Delivery).where(Delivery.message_id == message.id)
                                 .execution_options(populate_existing=True)).scalars().all()
    if any(d.state not in FINISHED for d in deliveries):
        return []
    # The series resumes after the last thing it sent out: occurrences that fell
    # while a correction waited for verification are not owed afterwards.
    planned = [d.due_at for d in deliveries
               if d.purpose in (DeliveryPurpose.PUBLISH, DeliveryPurpose.CORRECT)
               and d.state != DeliveryState.CANCELLED]
    if planned:
        occurrence = next_occurrence(version.publish_at, version.recurrence, max(planned), inclusive=False)
    else:
        occurrence = next_occurrence(version.publish_at, version.recurrence, approval.created_at)
    if occurrence is None or occurrence > now:
        return []
    # After a long stop, publish at most the latest occurrence, never a backlog.
    latest = latest_occurrence(version.publish_at, version.recurrence, occurrence, now) or occurrence
    skipped = occurrences_between(version.publish_at, version.recurrence, occurrence, latest)
    occurrence = max(occurrence, latest)
    late = now - occurrence > dt.timedelta(seconds=settings_of(session).late_grace_seconds)
    queue = "incident" if message.kind == "incident" else "routine"
    rows = [Delivery(message_id=message.id, version_id=version.id, account_id=account_id,
                     purpose=DeliveryPurpose.PUBLISH, queue=queue,
                     state=DeliveryState.PENDING, due_at=occurrence)
            for account_id in version.targets]
    session.add_all(rows)
    session.flush()
    local = london.local(occurrence).strftime("%a %d %b %Y %H:%M %Z")
    if late:
        hold_for_decision(session, rows, f"the occurrence of {local} was missed")
    else:
        pauses = active_pauses(session)
        for d in rows:
            hold_if_paused(session, d, pauses)
        if any(d.state == DeliveryState.PENDING for d in rows) and can_transition(
                message.status, MessageState.PUBLISHING):
            message.status = MessageState.PUBLISHING
    audit.record(session, None, "series.occurrence_planned", message_id=message.id,
                 version_number=version.number, content_hash=version.content_hash,
                 occurrence=occurrence.isoformat(), local_time=local, late=late,
                 deliveries=[d.id for d in rows], skipped=[t.isoformat() for t in skipped])
    return [d.id for d in rows if d.state == DeliveryState.PENDING]


def _park(session: Session, message_id: int, version_id: int, reason: str) -> None:
    """Stop a series whose rule cannot be worked out, with the reason on the message.

    A rule written before today's checks, or straight into the database, must
    not hang the scheduler: its approval is voided (nothing more goes out),
    the message is held, and the desk sees why and edits the repeat.
    """
    message = get_message(session, message_id, lock=True)
    version = session.get(MessageVersion, version_id)
    if version is None or version.number != message.current_version:
        return
    voided = void_approvals(message)
    if can_transition(message.status, MessageState.HELD):
        message.status = MessageState.HELD
    message.rejection_reason = (f"The repeat rule of version {version.number} cannot be used: {reason}. "
                                "Nothing more will go out: edit the repeat and send it for verification again.")
    audit.record(session, None, "series.parked", message_id=message.id, version_number=version.number,
                 content_hash=version.content_hash, recurrence=version.recurrence, reason=reason,
                 voided_approvals=voided)


def plan_due_occurrences(session: Session, now: dt.datetime) -> list[int]:
    """Plan the next occurrence of every verified series that is due at ``now``.

    A series moves on only when all of its current occurrence's deliveries have
    finished (sent, failed or cancelled). Each planned occurrence gets one
    delivery per target account of the verified version, due at the
    occurrence; those held by a pause or waiting for a decision are created
    held. Returns the ids of the deliveries to send now. Safe to run twice or
    concurrently: each occurrence is created once.
    """
    due: list[int] = []
    # Each series is planned in a unit of its own; on SQLite an open read would hold the write lock.
    with transaction(session):
        candidates = _candidates(session)
    for message_id, version_id in candidates:
        try:
            with transaction(session):
                ids = _plan_series(session, message_id, version_id, now)
        except IntegrityError:
            continue  # a racing scheduler created this occurrence first
        except RecurrenceError as exc:
            log.warning("parking the series of message %s: %s", message_id, exc.message)
            with transaction(session):
                _park(session, message_id, version_id, exc.message)
            continue
        except CrierError:
            continue  # the message went away meanwhile
        except Exception:
            log.exception("planning the next occurrence of message %s failed", message_id)
            continue
        due.extend(ids)
    return due
