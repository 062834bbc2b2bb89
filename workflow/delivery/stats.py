"""The desk's figures over time, read from the database: how long verification and publication
took, what the delivery engine recorded, what waits in the queues, and messages per incident.

``/metrics`` (:mod:`workflow.delivery.metrics`) and the console's dashboard
(:mod:`workflow.delivery.dashboard`) read these same functions, so a figure means the same
thing wherever it is shown, in every process.
"""
from __future__ import annotations

import datetime as dt
import math
import statistics
from dataclasses import dataclass
from typing import Sequence

from sqlalchemy import JSON, ColumnElement, cast, func, or_, select, type_coerce
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from workflow.accounts.models import ChannelAccount
from workflow.audit.models import AuditEvent
from workflow.delivery.models import Delivery, DeliveryPurpose, DeliveryState
from workflow.messages.models import Decision, Incident, Message, Verdict

#: The audit actions that put a message before a supervisor: a submission, or a correction.
SENT_FOR_VERIFICATION = ("message.submitted", "message.corrected")

#: What the delivery engine records after each platform call (or instead of one), by outcome.
OUTCOME_OF_ACTION = {
    "delivery.sent": "sent", "delivery.corrected": "sent", "delivery.withdrawn": "sent",
    "delivery.retrying": "retrying", "delivery.unknown": "unknown", "delivery.failed": "failed",
    "delivery.held": "held", "delivery.cancelled": "cancelled",
}
OUTCOMES = ("sent", "retrying", "unknown", "failed", "held", "cancelled")

#: Deliveries waiting for a worker: due and not yet sent, or waiting for their next attempt.
WAITING_STATES = (DeliveryState.PENDING, DeliveryState.RETRYING, DeliveryState.UNKNOWN)


def seconds_between(later: dt.datetime, earlier: dt.datetime) -> float:
    """Seconds from ``earlier`` to ``later``, never negative (clocks of two processes may differ slightly)."""
    return max(0.0, (later - earlier).total_seconds())


def median(values: Sequence[float]) -> float | None:
    """The middle value (the mean of the two middle ones for an even count); None for none."""
    return float(statistics.median(values)) if values else None


def percentile_90(values: Sequence[float]) -> float | None:
    """The 90th percentile by nearest rank: the smallest value at least 90% of the values are
    not above; None for none."""
    if not values:
        return None
    ordered = sorted(values)
    return float(ordered[math.ceil(0.9 * len(ordered)) - 1])


@dataclass(frozen=True)
class Wait:
    """One decision on a version, and how long its message had waited for it."""

    message_id: int
    version_number: int
    verdict: str
    decided_at: dt.datetime
    seconds: float


def verification_waits(session: Session, since: dt.datetime | None = None, until: dt.datetime | None = None,
                       verdict: Verdict | None = None) -> list[Wait]:
    """Each decision made in ``[since, until)``, with the time from the message's latest
    submission (or correction) before it to the decision, oldest first."""
    sent = (select(func.max(AuditEvent.created_at)).where(
        AuditEvent.message_id == Decision.message_id, AuditEvent.action.in_(SENT_FOR_VERIFICATION),
        AuditEvent.created_at <= Decision.created_at).correlate(Decision).scalar_subquery())
    stmt = select(Decision.message_id, Decision.version_number, Decision.decision, Decision.created_at, sent)
    if since is not None:
        stmt = stmt.where(Decision.created_at >= since)
    if until is not None:
        stmt = stmt.where(Decision.created_at < until)
    if verdict is not None:
        stmt = stmt.where(Decision.decision == verdict)
    rows = session.execute(stmt.order_by(Decision.created_at, Decision.id)).all()
    return [Wait(message_id, number, str(decision), at, seconds_between(at, submitted))
            for message_id, number, decision, at, submitted in rows if submitted is not None]


@dataclass(frozen=True)
class LiveTime:
    """One post confirmed by its platform, and how long after its version's approval."""

    channel: str
    approved_at: dt.datetime
    sent_at: dt.datetime
    seconds: float


def live_times(session: Session, since: dt.datetime | None = None,
               until: dt.datetime | None = None) -> list[LiveTime]:
    """Each post or correction confirmed live in ``[since, until)`` that was due when its
    version was approved (a post scheduled for later is not kept waiting by the desk), with
    the time from the approval to the platform's confirmation, oldest first."""
    stmt = (select(ChannelAccount.kind, Decision.created_at, Delivery.sent_at)
            .join(ChannelAccount, ChannelAccount.id == Delivery.account_id)
            .join(Decision, (Decision.version_id == Delivery.version_id) & (Decision.decision == Verdict.APPROVED))
            .where(Delivery.state == DeliveryState.SENT, Delivery.sent_at.is_not(None),
                   Delivery.purpose.in_([DeliveryPurpose.PUBLISH, DeliveryPurpose.CORRECT]),
                   Delivery.due_at <= Decision.created_at))
    if since is not None:
        stmt = stmt.where(Delivery.sent_at >= since)
    if until is not None:
        stmt = stmt.where(Delivery.sent_at < until)
    rows = session.execute(stmt.order_by(Delivery.sent_at, Delivery.id)).all()
    return [LiveTime(str(kind), approved, sent, seconds_between(sent, approved)) for kind, approved, sent in rows]


def _detail(session: Session, key: str) -> ColumnElement[str]:
    """One field of an audit event's details (canonical JSON text), read by the database."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(AuditEvent.details, JSONB)[key].astext
    return type_coerce(AuditEvent.details, JSON)[key].as_string()


def outcome_counts(session: Session, since: dt.datetime | None = None,
                   until: dt.datetime | None = None) -> dict[tuple[str, str], int]:
    """How many times the delivery engine recorded each outcome, by ``(channel, outcome)``,
    from the audit trail (append-only, so the counts only grow)."""
    channel = _detail(session, "channel")
    stmt = (select(channel, AuditEvent.action, func.count())
            .where(AuditEvent.action.in_(list(OUTCOME_OF_ACTION))).group_by(channel, AuditEvent.action))
    if since is not None:
        stmt = stmt.where(AuditEvent.created_at >= since)
    if until is not None:
        stmt = stmt.where(AuditEvent.created_at < until)
    counts: dict[tuple[str, str], int] = {}
    for kind, action, count in session.execute(stmt):
        key = (str(kind or "unknown"), OUTCOME_OF_ACTION[action])
        counts[key] = counts.get(key, 0) + int(count)
    return counts


@dataclass(frozen=True)
class QueueDepth:
    queue: str
    channel: str
    waiting: int
    oldest_due: dt.datetime | None


def queue_depths(session: Session, now: dt.datetime) -> list[QueueDepth]:
    """Deliveries waiting for a worker, by queue and channel: due and pending, retrying or of
    unknown outcome (a post scheduled for later, held or being sent is not waiting)."""
    waiting = or_(Delivery.state.in_([DeliveryState.RETRYING, DeliveryState.UNKNOWN]),
                  (Delivery.state == DeliveryState.PENDING) & (Delivery.due_at <= now))
    rows = session.execute(
        select(Delivery.queue, ChannelAccount.kind, func.count(), func.min(Delivery.due_at))
        .join(ChannelAccount, ChannelAccount.id == Delivery.account_id)
        .where(waiting).group_by(Delivery.queue, ChannelAccount.kind)).all()
    return [QueueDepth(str(queue), str(kind), int(count), oldest) for queue, kind, count, oldest in rows]


@dataclass(frozen=True)
class IncidentCount:
    incident_id: int
    title: str
    status: str
    exercise: bool
    messages: int


def messages_per_incident(session: Session, since: dt.datetime | None = None, until: dt.datetime | None = None,
                          limit: int = 15) -> list[IncidentCount]:
    """The incidents with the most messages begun in ``[since, until)``, most first (the newer
    incident first on a tie), at most ``limit``."""
    count = func.count(Message.id)
    stmt = (select(Incident.id, Incident.title, Incident.status, Incident.exercise, count)
            .join(Message, Message.incident_id == Incident.id)
            .group_by(Incident.id, Incident.title, Incident.status, Incident.exercise, Incident.created_at))
    if since is not None:
        stmt = stmt.where(Message.created_at >= since)
    if until is not None:
        stmt = stmt.where(Message.created_at < until)
    rows = session.execute(stmt.order_by(count.desc(), Incident.created_at.desc(), Incident.id.desc())
                           .limit(limit)).all()
    return [IncidentCount(i, title, str(status), bool(exercise), int(n)) for i, title, status, exercise, n in rows]
