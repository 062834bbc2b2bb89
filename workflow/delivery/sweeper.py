"""The sweeper: the periodic pass that makes lost wake-ups harmless.

Scheduled posts live in the database, not in the broker. Every
``sweep_interval`` seconds the sweeper

* plans the due occurrences of recurring series,
* closes the appeals whose found update is out (workflow.messages.appeals),
* escalates messages waiting too long for verification and wakes notices
  (:mod:`workflow.notices.sweeper`),
* sends an insights pass to the routine queue when one is due
  (:mod:`workflow.insights.passes`),
* wakes every delivery that is due and under no live lease and that nobody
  has woken recently: scheduled posts that came due, retries whose time has
  come, deliveries whose broker message was lost, and deliveries whose worker
  died (a lapsed lease; the next claim reconciles before any resend).

"Woken recently" is kept in ``updated_at``: waking a delivery stamps it, and a
delivery is woken again only if it became due after its last stamp or was
stamped more than ``redispatch_after`` ago. The stamp is set by one
UPDATE ... RETURNING, so two schedulers running at once never wake the same
delivery twice in that window (and if they did, the claim is atomic anyway).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import threading
import time
from typing import Callable

from sqlalchemy import and_, func, or_, select, update

from workflow.audit.checkpoints import write_checkpoint
from workflow.core.database import utcnow
from workflow.core.runtime import Dispatcher, Runtime, audit_key
from workflow.core.unit_of_work import transaction
from workflow.delivery.models import Delivery, DeliveryState
from workflow.insights.passes import wake_if_due
from workflow.media.service import purge_expired
from workflow.messages import appeals
from workflow.notices.sweeper import sweep_notices
from workflow.scheduling.recurrence import plan_due_occurrences

log = logging.getLogger("crier.sweeper")

DS = DeliveryState

#: At most this many deliveries are woken per pass (the next pass takes the rest).
BATCH = 2000
#: Seconds between looks for images past their retention period.
PURGE_EVERY = 60.0
_last_purge: dict[int, float] = {}


def redispatch_after(sweep_interval: float) -> float:
    """Seconds after a wake-up before the same delivery may be woken again."""
    return max(2.0, 3 * sweep_interval)


@dataclasses.dataclass(frozen=True)
class SweepReport:
    """What one pass did."""

    planned: int
    woken: int


def _due_condition(now: dt.datetime, stale_before: dt.datetime):
    wake_at = func.coalesce(Delivery.next_attempt_at, Delivery.due_at)
    waiting = and_(
        Delivery.state.in_([DS.PENDING, DS.RETRYING, DS.UNKNOWN]),
        wake_at <= now,
        or_(Delivery.lease_expires_at.is_(None), Delivery.lease_expires_at < now),
        or_(Delivery.updated_at < wake_at, Delivery.updated_at <= stale_before),
    )
    lapsed = and_(
        Delivery.state == DS.SENDING,
        Delivery.lease_expires_at < now,
        or_(Delivery.updated_at < Delivery.lease_expires_at, Delivery.updated_at <= stale_before),
    )
    return or_(waiting, lapsed)


def wake_due(runtime: Runtime, dispatcher: Dispatcher, *, now: dt.datetime | None = None,
             batch: int = BATCH) -> int:
    """Stamp and wake every due delivery that is not in flight; returns how many."""
    now = now or utcnow()
    stale_before = now - dt.timedelta(seconds=redispatch_after(runtime.settings.sweep_interval))
    condition = _due_condition(now, stale_before)
    with runtime.session() as session, transaction(session):
        candidates = (select(Delivery.id).where(condition)
                      .order_by((Delivery.queue != "incident"), Delivery.id).limit(batch))
        rows = session.execute(
            update(Delivery)
            .where(Delivery.id.in_(candidates.scalar_subquery()), condition)
            .values(updated_at=now)
            .returning(Delivery.id, Delivery.queue)
            .execution_options(synchronize_session=False)
        ).all()
    if not rows:
        return 0
    routed = [(row.id, row.queue) for row in rows]
    send = getattr(dispatcher, "send", None)
    if send is not None:
        send(routed)
    else:
        dispatcher.dispatch([delivery_id for delivery_id, _ in routed])
    log.info("woke %d due deliveries", len(routed))
    return len(routed)


def plan_occurrences(runtime: Runtime, dispatcher: Dispatcher, *, now: dt.datetime | None = None) -> int:
    """Create the due occurrences of recurring series and wake those due now."""
    now = now or utcnow()
    with runtime.session() as session:
        ids = plan_due_occurrences(session, now)
    if ids:
        dispatcher.dispatch(ids)
    return len(ids)


def close_found_appeals(runtime: Runtime) -> int:
    """Close every appeal whose found update is out (if the engine's own attempt was lost); returns how many."""
    with runtime.session() as session:
        found = appeals.found_updates_out(session)
    closed = 0
    for message_id in found:
        with runtime.session() as session:
            if appeals.close_if_found(session, message_id):
                closed += 1
    if closed:
        log.info("closed %d appeals whose found update is out", closed)
    return closed


def sweep(runtime: Runtime, dispatcher: Dispatcher | None = None, *, now: dt.datetime | None = None) -> SweepReport:
    """One pass: plan recurring occurrences, then wake every due delivery."""
    dispatcher = dispatcher or runtime.dispatcher
    planned = 0
    try:
        planned = plan_occurrences(runtime, dispatcher, now=now)
    except Exception:
        # A broken series must not stop the wake-ups of everything else.
        log.exception("planning recurring occurrences failed")
    woken = wake_due(runtime, dispatcher, now=now)
    try:
        close_found_appeals(runtime)
    except Exception:
        log.exception("closing found appeals failed")
    # Escalations, dead workers' notices and lost wake-ups of notices.
    sweep_notices(runtime, dispatcher, now=now)
    try:
        wake_if_due(runtime, dispatcher)
    except Exception:
        log.exception("checking whether an insights pass is due failed")
    if runtime.settings.audit_checkpoints:
        try:
            with runtime.session() as session:
                write_checkpoint(session, audit_key(runtime.settings), runtime.settings.audit_checkpoints)
        except Exception:
            log.exception("writing the audit checkpoint failed")
    purge_images(runtime, now=now)
    return SweepReport(planned, woken)


def purge_images(runtime: Runtime, *, now: dt.datetime | None = None, force: bool = False) -> list[int]:
    """Remove from storage, about once a minute, the images no live message needs past their retention."""
    clock = time.monotonic()
    if not force and clock - _last_purge.get(id(runtime), -PURGE_EVERY) < PURGE_EVERY:
        return []
    _last_purge[id(runtime)] = clock
    try:
        with runtime.session() as session, transaction(session):
            return purge_expired(session, now)
    except Exception:
        log.exception("removing expired images failed; trying again later")
        return []


def run_scheduler(runtime: Runtime, dispatcher: Dispatcher | None = None, *,
                  stop: threading.Event | None = None, interval: float | None = None,
                  on_pass: Callable[[SweepReport], None] | None = None) -> None:
    """Sweep every ``interval`` seconds (default ``sweep_interval``) until ``stop`` is set.

    A failing pass (database or broker down) is logged and the loop goes on:
    the scheduler is what recovers from such failures.
    """
    stop = stop or threading.Event()
    interval = interval if interval is not None else runtime.settings.sweep_interval
    log.info("scheduler running: a pass every %.1fs", interval)
    while not stop.is_set():
        try:
            report = sweep(runtime, dispatcher)
            if on_pass is not None:
                on_pass(report)
        except Exception:
            log.exception("sweep failed; trying again in %.1fs", interval)
        stop.wait(interval)
    log.info("scheduler stopped")
