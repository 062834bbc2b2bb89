"""Leases on deliveries: the atomic claim, its renewal by a heartbeat while the
platform call runs, and how long a lapsed lease's call may still land."""
from __future__ import annotations

import datetime as dt
import logging
import threading
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from workflow.core.config import Settings
from workflow.core.database import utcnow
from workflow.core.runtime import Runtime, settings_of
from workflow.core.unit_of_work import transactional
from workflow.delivery.jobs import IN_FLIGHT_MARGIN, Claim, LeaseLostError, TaskLog
from workflow.delivery.models import Delivery, DeliveryState

log = logging.getLogger("crier.delivery")

DS = DeliveryState

#: States a worker may claim (``sending`` only once its lease has lapsed).
CLAIMABLE = (DS.PENDING, DS.RETRYING, DS.UNKNOWN, DS.SENDING)


def time_limits(settings: Settings) -> tuple[float, float]:
    """Celery's (soft, hard) time limits for one delivery task.

    Above the adapters' own timeouts: a delivery may make a few calls (a
    reconciliation, then the parts of a thread), each bounded by connect +
    read timeout.
    """
    per_call = settings.connect_timeout + settings.read_timeout
    soft = max(30.0, 4 * per_call)
    return soft, soft + 30.0


def lease_owner(worker: str, task_id: str | None) -> str:
    """The lease owner of a task: its worker and its task id."""
    return f"{worker}/{task_id or 'direct'}"[:200]


def _wake_at():
    # The moment a delivery becomes sendable: its retry time, else its due time.
    return func.coalesce(Delivery.next_attempt_at, Delivery.due_at)


@transactional
def claim_delivery(session: Session, delivery_id: int, owner: str, *,
                   now: dt.datetime | None = None) -> Claim | None:
    """Take ``delivery_id`` under a lease if it is due and nobody holds it; commit.

    Returns None when it is not claimable (already sent, held, not yet due,
    leased by another worker, or gone). The UPDATE compares the state read just
    before, so of two racing workers exactly one changes the row.
    """
    now = now or utcnow()
    lease = dt.timedelta(seconds=settings_of(session).lease_seconds)
    row = session.execute(
        select(Delivery.state, Delivery.attempts, Delivery.message_id, Delivery.lease_expires_at)
        .where(Delivery.id == delivery_id)
    ).one_or_none()
    if row is None or row.state not in CLAIMABLE:
        return None
    lease_free = (Delivery.lease_expires_at < now) if row.state == DS.SENDING else or_(
        Delivery.lease_expires_at.is_(None), Delivery.lease_expires_at < now)
    result = session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.state == row.state, _wake_at() <= now, lease_free)
        .values(state=DS.SENDING, lease_owner=owner, lease_expires_at=now + lease,
                attempts=Delivery.attempts + 1, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return None
    lapsed_at = row.lease_expires_at if row.state == DS.SENDING else None
    return Claim(delivery_id, owner, row.state, row.attempts + 1, row.message_id, lapsed_at)


@transactional
def renew_lease(session: Session, delivery_id: int, owner: str, *, now: dt.datetime | None = None) -> bool:
    """Extend our lease; False if it is no longer ours. Commits."""
    now = now or utcnow()
    lease = dt.timedelta(seconds=settings_of(session).lease_seconds)
    result = session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.lease_owner == owner, Delivery.state == DS.SENDING)
        .values(lease_expires_at=now + lease)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def heartbeat_interval(settings: Settings) -> float:
    """Seconds between lease renewals: the setting, but never more than a third
    of the lease, so that one late beat does not lose it."""
    return max(0.2, min(settings.heartbeat_seconds, settings.lease_seconds / 3))


def in_flight_until(settings: Settings, lapsed_at: dt.datetime) -> dt.datetime:
    """Until when a post by a worker whose lease lapsed at ``lapsed_at`` may still land.

    Every posting call (a post, each part of a thread) starts just after its
    worker renewed the lease for a full ``lease_seconds``, so it started at
    least that long before the lapse; and it ends within the adapters'
    timeouts (plus a margin for clocks and scheduling).
    """
    bound = settings.connect_timeout + settings.read_timeout + IN_FLIGHT_MARGIN - settings.lease_seconds
    return lapsed_at + dt.timedelta(seconds=bound)


class _Heartbeat:
    """Keeps a lease alive while the platform call runs, for at most ``max_hold`` seconds.

    Entering renews the lease at once (raising :class:`LeaseLostError` if it is
    no longer ours), so a platform call never starts under a lapsed lease; the
    renewals then run in a thread with its own database session.
    """

    def __init__(self, runtime: Runtime, claim: Claim, max_hold: float, logger: "TaskLog"):
        self.runtime = runtime
        self.claim = claim
        self.interval = heartbeat_interval(runtime.settings)
        self.deadline = utcnow() + dt.timedelta(seconds=max_hold)
        self.log = logger
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, name=f"lease-{claim.delivery_id}", daemon=True)

    def __enter__(self) -> "_Heartbeat":
        self.confirm()
        self.thread.start()
        return self

    def confirm(self) -> None:
        """Renew the lease now, or raise :class:`LeaseLostError`: called before every post."""
        with self.runtime.session() as session:
            if not renew_lease(session, self.claim.delivery_id, self.claim.owner):
                raise LeaseLostError("the lease lapsed before the platform call")

    def __exit__(self, *exc: Any) -> None:
        self.stop_event.set()
        self.thread.join(timeout=5)

    def _run(self) -> None:
        while not self.stop_event.wait(self.interval):
            if utcnow() >= self.deadline:
                # A call this long is stuck; let the lease lapse so another
                # worker reconciles rather than waiting for ever.
                self.log.warning("stopped renewing the lease after the time limit")
                return
            try:
                with self.runtime.session() as session:
                    if not renew_lease(session, self.claim.delivery_id, self.claim.owner):
                        self.log.warning("lease lost while the platform call was running")
                        return
            except Exception:  # a database blip: the next beat tries again
                self.log.exception("could not renew the lease")
