"""The notices' part of the scheduler's pass: escalate messages that wait too long for
verification, settle the claims of workers that died, and wake notices whose task was lost."""
from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import and_, or_, select, update

from workflow.audit import chain as audit
from workflow.core.database import utcnow
from workflow.core.runtime import Runtime
from workflow.core.unit_of_work import transaction
from workflow.messages.queries import get_message
from workflow.messages.states import MessageState
from workflow.notices import events
from workflow.notices.models import Notice, NoticeState, VerificationWatch, WatchState

log = logging.getLogger("crier.notices")

NS = NoticeState

#: At most this many of each are handled a pass (the next pass takes the rest).
BATCH = 200


def escalate_due(runtime: Runtime, *, now: dt.datetime | None = None) -> int:
    """Escalate every submission that has waited past its time; returns how many were escalated.

    Each watch is taken in its own transaction, the message locked first (as an
    approval or a rejection locks it), so an approval that commits first
    settles the watch and no escalation goes out."""
    now = now or utcnow()
    with runtime.session() as session:
        due = session.execute(select(VerificationWatch.id, VerificationWatch.message_id)
                              .where(VerificationWatch.state == WatchState.WAITING, VerificationWatch.due_at <= now)
                              .order_by(VerificationWatch.due_at).limit(BATCH)).all()
    escalated = 0
    for watch_id, message_id in due:
        with runtime.session() as session, transaction(session):
            message = get_message(session, message_id, lock=True)
            watch = session.get(VerificationWatch, watch_id, with_for_update=True)
            if watch is None or watch.state != WatchState.WAITING:
                continue
            if message.status != MessageState.AWAITING_VERIFICATION:
                watch.state, watch.settled_at = WatchState.SETTLED, now
                continue
            watch.state, watch.escalated_at = WatchState.ESCALATED, now
            events.message_escalated(session, message, watch, now=now)
            audit.record(session, None, "message.escalated", message_id=message.id,
                         version_number=message.current_version,
                         waited_seconds=round((now - watch.submitted_at).total_seconds()))
            escalated += 1
    if escalated:
        log.info("escalated %d message(s) waiting for verification", escalated)
    return escalated


def settle_lapsed(runtime: Runtime, *, now: dt.datetime | None = None) -> int:
    """Claims whose worker died: sent again if nothing was handed over, else ``unknown`` (never resent)."""
    now = now or utcnow()
    settled = 0
    with runtime.session() as session, transaction(session):
        lapsed = session.execute(select(Notice).where(Notice.state == NS.SENDING, Notice.lease_expires_at < now)
                                 .limit(BATCH).with_for_update(skip_locked=True)).scalars().all()
        for notice in lapsed:
            if notice.handed_over_at is None and notice.attempts < runtime.settings.retry_max_attempts:
                notice.state, notice.next_attempt_at = NS.RETRYING, now
                notice.last_error = "the worker stopped before handing the notice over; sending it again"
            elif notice.handed_over_at is None:
                notice.state = NS.FAILED
                notice.last_error = f"gave up after {notice.attempts} attempts: each worker stopped before sending it"
                audit.record(session, None, "notice.failed", message_id=notice.message_id, notice=notice.id,
                             event=str(notice.event), channel=str(notice.channel), recipient=notice.recipient,
                             attempts=notice.attempts, error=notice.last_error)
            else:
                notice.state = NS.UNKNOWN
                notice.last_error = ("the worker stopped after handing the notice over: it may have arrived, "
                                     "so it is not sent again")
                audit.record(session, None, "notice.unknown", message_id=notice.message_id, notice=notice.id,
                             event=str(notice.event), channel=str(notice.channel), recipient=notice.recipient,
                             attempts=notice.attempts, error=notice.last_error)
            notice.updated_at = now
            settled += 1
    return settled


def wake_waiting(runtime: Runtime, dispatcher, *, now: dt.datetime | None = None,
                 quiet: float = 10.0) -> int:
    """Wake the notices that are due and were not woken in the last ``quiet`` seconds."""
    send = getattr(dispatcher, "send_notices", None)
    if send is None:
        return 0
    now = now or utcnow()
    stale = now - dt.timedelta(seconds=quiet)
    condition = and_(Notice.state.in_([NS.PENDING, NS.RETRYING]),
                     or_(Notice.next_attempt_at.is_(None), Notice.next_attempt_at <= now),
                     or_(Notice.updated_at <= stale,
                         and_(Notice.next_attempt_at.is_not(None), Notice.updated_at < Notice.next_attempt_at)))
    with runtime.session() as session, transaction(session):
        ids = session.execute(select(Notice.id).where(condition).order_by(Notice.id).limit(BATCH)).scalars().all()
        if ids:
            session.execute(update(Notice).where(Notice.id.in_(ids), condition).values(updated_at=now)
                            .execution_options(synchronize_session=False))
    if ids:
        send(list(ids))
        log.info("woke %d notice(s)", len(ids))
    return len(ids)


def sweep_notices(runtime: Runtime, dispatcher, *, now: dt.datetime | None = None) -> None:
    """One pass over the notices; a failure in one part does not stop the others."""
    for step in (lambda: escalate_due(runtime, now=now), lambda: settle_lapsed(runtime, now=now),
                 lambda: wake_waiting(runtime, dispatcher, now=now, quiet=max(2.0, 3 * runtime.settings.sweep_interval))):
        try:
            step()
        except Exception:
            log.exception("a notices pass failed")
