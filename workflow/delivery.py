"""Delivering one approved version to one channel account.

A worker takes a delivery in three steps, each short:

1. **Claim** it with a lease: one compare-and-set UPDATE that succeeds only if
   the delivery is due, in a sendable state and under no live lease. Two
   workers (or a worker and a redelivered message) never both win.
2. **Call the platform** outside any database transaction. A heartbeat keeps
   the short lease alive while the call runs, so a lease only lapses when its
   worker has died or stalled; the next claim of a lapsed lease reconciles
   first, and posts only once the old attempt can no longer be in flight.
3. **Record the outcome** in a short transaction that first checks the lease
   is still ours: sent, retrying (transient, with backoff), failed
   (permanent, with the reason) or unknown (reconcile with the platform before
   any resend). Each thread part is stored as soon as it is posted, so a thread
   resumes from its last part even after the worker is killed.

Every outcome is audited and rolls the message's status up.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import random
import threading
from typing import Any, Callable, Sequence

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from channels.base import (Channel, OutcomeUnknownError, PermanentError, Post, PublishResult,
                           TransientError, channel_class, make_channel)

from . import accounts, audit
from .config import Settings
from .db import utcnow
from .errors import CrierError, InvalidStateError
from .models import ChannelAccount, Delivery, DeliveryPurpose, DeliveryState, Message
from .ratelimit import Limit, Limiter, NoLimiter, limits_for
from .runtime import Runtime, channel_config, settings_of, wake_after_commit
from .states import MessageState, transition

log = logging.getLogger("crier.delivery")

DS = DeliveryState
#: States a worker may claim (``sending`` only once its lease has lapsed).
CLAIMABLE = (DS.PENDING.value, DS.RETRYING.value, DS.UNKNOWN.value, DS.SENDING.value)
#: States in which a delivery still has work to do.
ACTIVE = frozenset({DS.PENDING.value, DS.SENDING.value, DS.RETRYING.value, DS.UNKNOWN.value})
#: How far before a delivery's due time reconciliation looks for its post
#: (clock differences between Crier and the platform).
RECONCILE_MARGIN = dt.timedelta(minutes=2)
#: Seconds added to the adapters' timeouts when bounding how long a lapsed
#: lease's platform call may still land.
IN_FLIGHT_MARGIN = 2.0
#: How soon a correction or withdrawal looks again while the post it changes is still in flight.
PARENT_WAIT_SECONDS = 3.0
MAX_ERROR_CHARS = 2000


# Time limits and leases ---------------------------------------------------------

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


@dataclasses.dataclass(frozen=True)
class Claim:
    """A delivery this worker holds under a lease."""

    delivery_id: int
    owner: str
    previous_state: str
    attempts: int
    message_id: int | None = None
    #: When the lease taken over here lapsed (a ``sending`` delivery whose worker died or stalled).
    lapsed_at: dt.datetime | None = None


class LeaseLostError(Exception):
    """This worker no longer holds the delivery's lease: it must not call the platform again."""


def _wake_at():
    # The moment a delivery becomes sendable: its retry time, else its due time.
    return func.coalesce(Delivery.next_attempt_at, Delivery.due_at)


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
        session.rollback()
        return None
    lease_free = (Delivery.lease_expires_at < now) if row.state == DS.SENDING.value else or_(
        Delivery.lease_expires_at.is_(None), Delivery.lease_expires_at < now)
    result = session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.state == row.state, _wake_at() <= now, lease_free)
        .values(state=DS.SENDING.value, lease_owner=owner, lease_expires_at=now + lease,
                attempts=Delivery.attempts + 1, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    if result.rowcount != 1:
        return None
    lapsed_at = row.lease_expires_at if row.state == DS.SENDING.value else None
    return Claim(delivery_id, owner, row.state, row.attempts + 1, row.message_id, lapsed_at)


def renew_lease(session: Session, delivery_id: int, owner: str, *, now: dt.datetime | None = None) -> bool:
    """Extend our lease; False if it is no longer ours. Commits."""
    now = now or utcnow()
    lease = dt.timedelta(seconds=settings_of(session).lease_seconds)
    result = session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.lease_owner == owner, Delivery.state == DS.SENDING.value)
        .values(lease_expires_at=now + lease)
        .execution_options(synchronize_session=False)
    )
    session.commit()
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

    def __init__(self, runtime: Runtime, claim: Claim, max_hold: float, logger: "_Log"):
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


# Logging -------------------------------------------------------------------------

class _Log(logging.LoggerAdapter):
    """Every line names the task and the delivery (never credentials)."""

    def process(self, msg: Any, kwargs: Any) -> tuple[Any, Any]:
        return f"[task {self.extra['task_id']} delivery {self.extra['delivery_id']}] {msg}", kwargs


# Preparing the platform call --------------------------------------------------------

@dataclasses.dataclass
class Job:
    """Everything the platform call needs, read before the call so that no
    database transaction stays open while the platform answers."""

    claim: Claim
    delivery_id: int
    message_id: int
    version_number: int
    account_id: int
    account_name: str
    kind: str
    purpose: str
    queue: str
    credentials: dict[str, Any]
    post: Post | None
    operation: str  # "publish" | "edit" | "delete"
    reply_to: str | None = None
    target_id: str | None = None
    delete_ids: list[str] = dataclasses.field(default_factory=list)
    posted_parts: list[str] = dataclasses.field(default_factory=list)
    reconcile: bool = False
    reconcile_only: bool = False
    # Set once the platform has been asked whether the post is already there.
    reconciled: bool = False
    since: dt.datetime | None = None
    expected_parts: int = 1
    limits: list[Limit] = dataclasses.field(default_factory=list)
    # A lapsed lease's platform call may land until then: no new post before it.
    in_flight_until: dt.datetime | None = None


@dataclasses.dataclass(frozen=True)
class Outcome:
    """What happened to one delivery in one task run.

    ``wake_in`` says when the delivery wants its next look (a retry or a
    deferral); the sweeper will look then anyway, a task may look sooner.
    """

    status: str
    delivery_id: int
    queue: str = "routine"
    wake_in: float | None = None
    detail: str | None = None


def _root_post(delivery: Delivery) -> Delivery:
    # A correction's or withdrawal's parent may itself be a correction; the
    # live post is the first publication's.
    root = delivery.parent
    seen = set()
    while root is not None and root.purpose != DeliveryPurpose.PUBLISH.value and root.parent_id \
            and root.id not in seen:
        seen.add(root.id)
        root = root.parent
    return root


def _post_ids(post: Delivery) -> list[str]:
    """The ids that make up a live post, last thread part first (so a
    half-finished withdrawal never leaves a thread without its start)."""
    ids: list[str] = []
    for rid in reversed([post.remote_id] + list(post.posted_parts or [])):
        if rid and rid not in ids:
            ids.append(rid)
    return ids


class _Early(Exception):
    """Preparation decided the delivery's fate without a platform call."""

    def __init__(self, kind: str, reason: str, wake_in: float | None = None):
        super().__init__(reason)
        self.kind = kind
        self.reason = reason
        self.wake_in = wake_in


def _prepare(session: Session, claim: Claim) -> Job:
    # One round trip for everything the post needs.
    d = session.execute(select(Delivery).where(Delivery.id == claim.delivery_id).options(
        joinedload(Delivery.message).joinedload(Message.incident), joinedload(Delivery.account),
        joinedload(Delivery.version), joinedload(Delivery.parent))).scalar_one()
    message: Message = d.message
    account: ChannelAccount = d.account
    settings = settings_of(session)
    purpose = d.purpose
    needs_reconcile = claim.previous_state in (DS.UNKNOWN.value, DS.SENDING.value)
    withdrawn = message.status == MessageState.WITHDRAWN.value

    if claim.attempts > settings.retry_max_attempts + 2:
        # The worker keeps dying on this one: stop, and have a person look.
        raise _Early("fail", f"stopped after {claim.attempts - 1} interrupted attempts; check "
                             f"{account.name} for the post before sending it again")
    if withdrawn and purpose != DeliveryPurpose.WITHDRAW.value and not needs_reconcile:
        raise _Early("cancel", "the message was withdrawn before this went out")
    if account.status == "disabled":
        raise _Early("fail", f"the account {account.name} is disabled")
    if account.status == "reconnect" and purpose != DeliveryPurpose.WITHDRAW.value:
        raise _Early("fail", f"{account.name} must be reconnected: {account.status_reason or 'the platform refused its credentials'}")
    if not withdrawn and not needs_reconcile:
        from .pause import active_pause_for, pause_mark

        pause = active_pause_for(session, d)
        if pause is not None:
            # Marked as the pause module marks its holds, so lifting releases it.
            raise _Early("hold", pause_mark(pause))

    job = Job(
        claim=claim, delivery_id=d.id, message_id=message.id, version_number=d.version.number,
        account_id=account.id, account_name=account.name, kind=str(account.kind), purpose=purpose,
        queue=d.queue, credentials={}, post=None, operation="publish",
        posted_parts=list(d.posted_parts or []),
        since=max(d.created_at, d.due_at) - RECONCILE_MARGIN,
    )
    adapter = channel_class(job.kind)
    if purpose in (DeliveryPurpose.CORRECT.value, DeliveryPurpose.WITHDRAW.value):
        # A withdrawal takes down exactly its parent (each live post, an X
        # correction reply included, gets its own); a correction changes the
        # first publication.
        root = d.parent if purpose == DeliveryPurpose.WITHDRAW.value else _root_post(d)
        if root is None:
            raise _Early("cancel", "there is no earlier post on this account to change")
        if root.state in ACTIVE:
            # The post being changed may still go out: wait for it to settle.
            raise _Early("defer", "waiting for the original post to settle", PARENT_WAIT_SECONDS)
        if root.state != DS.SENT.value or not root.remote_id:
            raise _Early("cancel", "nothing was published on this account, so there is nothing to change")
        if purpose == DeliveryPurpose.WITHDRAW.value:
            job.operation = "delete"
            job.delete_ids = _post_ids(root)
        elif adapter.supports_edit:
            job.operation = "edit"
            job.target_id = root.remote_id
        else:
            job.reply_to = root.remote_id
    if job.operation != "delete":
        from .messages import post_for

        try:
            job.post = post_for(message, d.version, account)
        except CrierError as exc:
            raise _Early("fail", exc.message) from None
        job.expected_parts = len(job.post.parts)
        job.limits = limits_for(settings, job.kind, account.id)
    job.reconcile = needs_reconcile and job.operation == "publish"
    job.reconcile_only = withdrawn and job.operation == "publish"
    if withdrawn and job.operation == "publish" and not job.reconcile:
        raise _Early("cancel", "the message was withdrawn before this went out")
    job.credentials = accounts.account_credentials(session, account)
    return job


# The platform call ---------------------------------------------------------------------

@dataclasses.dataclass
class _Result:
    kind: str  # sent | transient | permanent | unknown | absent
    result: PublishResult | None = None
    error: Exception | None = None
    reconciled: bool = False


def _merge(parts: Sequence[str], more: Sequence[str]) -> list[str]:
    out = list(parts)
    for p in more:
        if p and p not in out:
            out.append(p)
    return out


def _call_platform(channel: Channel, job: Job, on_part: Callable[[str], None],
                   confirm_lease: Callable[[], None] = lambda: None) -> _Result:
    try:
        if job.operation == "delete":
            for remote_id in job.delete_ids:
                channel.delete(remote_id)
            return _Result("sent")
        if job.operation == "edit":
            return _Result("sent", channel.edit(job.target_id, job.post))
        if job.reconcile:
            found = channel.find_recent(job.post, since=job.since)
            job.reconciled = True
            if found is not None:
                parts = _merge(job.posted_parts, list(found.part_ids) or [found.remote_id])
                if len(parts) >= job.expected_parts or job.expected_parts <= 1:
                    return _Result("sent", dataclasses.replace(found, part_ids=tuple(parts)), reconciled=True)
                # Part of the thread is live: store what was found, then
                # carry on after its last part.
                for part in parts[len(job.posted_parts):]:
                    on_part(part)
                job.posted_parts = parts
            if job.reconcile_only:
                return _Result("absent") if found is None and not job.posted_parts else _Result(
                    "sent", PublishResult(job.posted_parts[0], None, tuple(job.posted_parts)), reconciled=True)
            waiting = _previous_attempt_in_flight(job)
            if waiting is not None:
                return _Result("unknown", error=waiting)
            # The look-up took time: post only with a full lease ahead (see in_flight_until).
            confirm_lease()
        result = channel.publish(job.post, reply_to=job.reply_to, posted_parts=tuple(job.posted_parts),
                                 on_part=on_part)
        return _Result("sent", result)
    except TransientError as exc:
        return _Result("transient", error=exc)
    except PermanentError as exc:
        return _Result("permanent", error=exc)
    except OutcomeUnknownError as exc:
        # Editing and deleting are safe to repeat; only a new post needs reconciling.
        return _Result("unknown" if job.operation == "publish" else "transient", error=exc)


class _StillInFlightError(OutcomeUnknownError):
    """The worker whose lease lapsed may still be posting: look again after its call's time bound."""

    def __init__(self, message: str, retry_after: float):
        super().__init__(message)
        self.retry_after = retry_after


def _previous_attempt_in_flight(job: Job) -> _StillInFlightError | None:
    # Reconciliation found nothing, but a stalled (not dead) worker's call may
    # still land: posting now could double it. The next attempt reconciles again.
    if job.in_flight_until is None:
        return None
    wait = (job.in_flight_until - utcnow()).total_seconds()
    if wait <= 0:
        return None
    return _StillInFlightError("the previous attempt's platform call may still be in flight", wait)


# Recording ------------------------------------------------------------------------

def _lock_owned(session: Session, claim: Claim, message_id: int) -> Delivery | None:
    # The message row first, in KEY SHARE mode. Outcomes of one message do not
    # exclude each other (a fan-out records hundreds side by side; roll_up
    # orders them where it matters), but withdrawing, correcting, editing,
    # approving and pausing lock the message FOR UPDATE, so they wait for the
    # outcomes being recorded and those wait for them: each sees the other,
    # and a post that lands while its message is withdrawn is taken down.
    message = session.execute(
        select(Message).where(Message.id == message_id).with_for_update(read=True, key_share=True)
    ).scalar_one_or_none()
    if message is None:
        return None
    d = session.execute(
        select(Delivery).where(Delivery.id == claim.delivery_id, Delivery.lease_owner == claim.owner,
                               Delivery.state == DS.SENDING.value)
        .options(joinedload(Delivery.account), joinedload(Delivery.version))
        .with_for_update(of=Delivery)
    ).scalar_one_or_none()
    if d is not None:
        # d.message is the row just locked, not loaded a second time.
        set_committed_value(d, "message", message)
    return d


def _release(d: Delivery) -> None:
    d.lease_owner = None
    d.lease_expires_at = None


def _error_text(exc: Exception | str) -> str:
    text = exc.message if hasattr(exc, "message") else str(exc)
    return (text or type(exc).__name__)[:MAX_ERROR_CHARS]


def retry_delay(settings: Settings, attempts: int, retry_after: float | None = None,
                rng: random.Random | None = None) -> float:
    """Seconds before the next attempt: exponential with jitter, never sooner
    than the platform's ``retry_after``."""
    rng = rng or random
    ceiling = min(settings.retry_max_seconds, settings.retry_base_seconds * (2 ** max(0, attempts - 1)))
    # Half fixed, half random: spreads a burst of failures without ever
    # retrying immediately.
    delay = ceiling / 2 + rng.uniform(0, ceiling / 2)
    if retry_after is not None and retry_after > 0:
        delay = max(delay, retry_after + rng.uniform(0, 1.0))
    return delay


def _audit(session: Session, d: Delivery, action: str, **details: Any) -> None:
    audit.record(session, None, action, message_id=d.message_id,
                 version_number=d.version.number if d.version else None,
                 delivery=d.id, account=d.account_id, account_name=d.account.name,
                 channel=d.account.kind, purpose=d.purpose, **details)


#: An audit event still to be appended: its action and details.
_Event = tuple[str, dict[str, Any]]


def _finish(session: Session, d: Delivery, events: list[_Event], now: dt.datetime, *,
            first_post: bool = False) -> None:
    """Write the outcome, then append its audit events, roll the message up and commit.

    Every audit append in Crier queues for the chain's lock, and roll_up
    decides under it, so everything else (the delivery row, a take-down, an
    account flag) is written before it and the lock is held only for the
    appends, the roll-up and the commit.
    """
    session.flush()
    for action, details in events:
        _audit(session, d, action, **details)
    if first_post:
        # Under the chain's lock like every write of an outcome to the message
        # row (see roll_up), and only if no other outcome has set it meanwhile.
        audit.lock_chain(session)
        session.execute(update(Message).where(Message.id == d.message_id, Message.published_at.is_(None))
                        .values(published_at=now).execution_options(synchronize_session=False))
    roll_up(session, d.message, now=now)
    session.commit()


def _record(runtime: Runtime, job: Job, res: _Result, logger: _Log) -> Outcome:
    settings = runtime.settings
    now = utcnow()
    with runtime.session() as session:
        d = _lock_owned(session, job.claim, job.message_id)
        if d is None:
            session.rollback()
            logger.warning("lease lost before the outcome (%s) could be recorded; "
                           "the next claim reconciles", res.kind)
            return Outcome("lease_lost", job.delivery_id, job.queue)
        error = res.error
        if error is not None and getattr(error, "posted_parts", None):
            d.posted_parts = _merge(d.posted_parts or [], error.posted_parts)
        outcome: Outcome
        events: list[_Event] = []
        first_post = False
        if res.kind == "sent":
            result = res.result
            d.state = DS.SENT.value
            d.sent_at = now
            d.last_error = None
            d.next_attempt_at = None
            if result is not None:
                d.remote_id = result.remote_id
                d.url = result.url
                # The platform's answer gives the thread's order.
                d.posted_parts = _merge(list(result.part_ids) or [result.remote_id], d.posted_parts or [])
            action = {"publish": "delivery.sent", "correct": "delivery.corrected",
                      "withdraw": "delivery.withdrawn"}[d.purpose]
            message = d.message
            first_post = d.purpose == DeliveryPurpose.PUBLISH.value and message.published_at is None
            details: dict[str, Any] = {"remote_id": d.remote_id, "url": d.url}
            if job.operation == "delete":
                details = {"deleted": job.delete_ids}
            if len(d.posted_parts or []) > 1:
                details["parts"] = list(d.posted_parts)
            if res.reconciled:
                details["found_by_reconciliation"] = True
            events.append((action, details))
            if message.status == MessageState.WITHDRAWN.value and d.purpose != DeliveryPurpose.WITHDRAW.value:
                _take_down_late_post(session, d, logger)
            logger.info("%s on %s as %s", action.split(".")[1], job.kind, d.remote_id or "-")
            outcome = Outcome("sent", d.id, d.queue)
        elif res.kind == "absent":
            d.state = DS.CANCELLED.value
            d.last_error = "the message was withdrawn; the platform has no trace of this post"
            events.append(("delivery.cancelled", {"reason": d.last_error}))
            outcome = Outcome("cancelled", d.id, d.queue)
        elif res.kind == "permanent":
            d.state = DS.FAILED.value
            d.last_error = _error_text(error)
            d.next_attempt_at = None
            if getattr(error, "reconnect", False):
                accounts.mark_reconnect(session, d.account, d.last_error)
            events.append(("delivery.failed", {"error": d.last_error,
                                               "reconnect": bool(getattr(error, "reconnect", False))}))
            logger.warning("failed permanently: %s", d.last_error)
            outcome = Outcome("failed", d.id, d.queue)
        else:
            outcome = _record_retry(session, settings, d, job, res, now, logger, events)
        _release(d)
        _finish(session, d, events, now, first_post=first_post)
        return outcome


def _take_down_late_post(session: Session, d: Delivery, logger: _Log) -> None:
    # The message was withdrawn while this post was in a worker's hands: it
    # must come down like the others.
    from .corrections import withdraw_post

    withdrawal = withdraw_post(session, d)
    if withdrawal is None:
        return
    wake_after_commit(session, [withdrawal.id])
    logger.info("the message was withdrawn meanwhile: withdrawal %s takes this post down", withdrawal.id)


def _record_retry(session: Session, settings: Settings, d: Delivery, job: Job, res: _Result,
                  now: dt.datetime, logger: _Log, events: list[_Event]) -> Outcome:
    error = res.error
    reason = _error_text(error)
    # If the platform could not even be asked whether an earlier attempt
    # posted, the delivery stays unknown: the next attempt asks again first.
    unknown = res.kind == "unknown" or (job.reconcile and not job.reconciled)
    retry_after = getattr(error, "retry_after", None)
    delay = retry_delay(settings, d.attempts, retry_after)
    deadline = d.due_at + dt.timedelta(seconds=settings.retry_window_seconds)
    if d.attempts >= settings.retry_max_attempts or now + dt.timedelta(seconds=delay) > deadline:
        d.state = DS.FAILED.value
        d.next_attempt_at = None
        if unknown:
            d.last_error = (f"could not confirm whether the post went out after {d.attempts} attempts; "
                            f"check {d.account.name} before posting again ({reason})")
        else:
            d.last_error = f"gave up after {d.attempts} attempts: {reason}"
        events.append(("delivery.failed", {"error": d.last_error, "attempts": d.attempts}))
        logger.warning("%s", d.last_error)
        return Outcome("failed", d.id, d.queue)
    d.state = (DS.UNKNOWN if unknown else DS.RETRYING).value
    d.next_attempt_at = now + dt.timedelta(seconds=delay)
    d.last_error = reason[:MAX_ERROR_CHARS]
    events.append(("delivery.unknown" if unknown else "delivery.retrying",
                   {"error": reason, "attempts": d.attempts, "next_attempt_at": d.next_attempt_at.isoformat(),
                    "parts_posted": len(d.posted_parts or [])}))
    logger.info("%s (attempt %d), next attempt in %.1fs: %s",
                "outcome unknown" if unknown else "will retry", d.attempts, delay, reason)
    return Outcome(d.state, d.id, d.queue, wake_in=delay)


def _settle_early(runtime: Runtime, claim: Claim, message_id: int, early: _Early, logger: _Log) -> Outcome:
    now = utcnow()
    with runtime.session() as session:
        d = _lock_owned(session, claim, message_id)
        if d is None:
            session.rollback()
            return Outcome("lease_lost", claim.delivery_id)
        queue = d.queue
        events: list[_Event] = []
        # No platform call was made: this was not an attempt.
        d.attempts = max(0, d.attempts - 1)
        if early.kind == "defer":
            d.state = _unclaimed_state(claim)
            d.next_attempt_at = now + dt.timedelta(seconds=early.wake_in or PARENT_WAIT_SECONDS)
            d.last_error = early.reason
            outcome = Outcome("deferred", d.id, queue, wake_in=early.wake_in, detail=early.reason)
        elif early.kind == "hold":
            d.state = DS.HELD.value
            d.last_error = early.reason
            events.append(("delivery.held", {"reason": early.reason}))
            outcome = Outcome("held", d.id, queue, detail=early.reason)
        elif early.kind == "cancel":
            d.state = DS.CANCELLED.value
            d.last_error = early.reason
            events.append(("delivery.cancelled", {"reason": early.reason}))
            outcome = Outcome("cancelled", d.id, queue, detail=early.reason)
        else:
            d.state = DS.FAILED.value
            d.last_error = early.reason[:MAX_ERROR_CHARS]
            events.append(("delivery.failed", {"error": d.last_error}))
            outcome = Outcome("failed", d.id, queue, detail=early.reason)
        _release(d)
        _finish(session, d, events, now)
    logger.info("%s: %s", outcome.status, early.reason)
    return outcome


def _unclaimed_state(claim: Claim) -> str:
    # Hand the delivery back in the state it was claimed from; a lapsed
    # ``sending`` lease means an earlier attempt may have posted: unknown.
    if claim.previous_state == DS.SENDING.value:
        return DS.UNKNOWN.value
    return claim.previous_state


def _defer(runtime: Runtime, job: Job, wait: float, reason: str, logger: _Log) -> Outcome:
    now = utcnow()
    with runtime.session() as session:
        d = _lock_owned(session, job.claim, job.message_id)
        if d is None:
            session.rollback()
            return Outcome("lease_lost", job.delivery_id, job.queue)
        d.attempts = max(0, d.attempts - 1)
        d.state = _unclaimed_state(job.claim)
        d.next_attempt_at = now + dt.timedelta(seconds=wait)
        d.last_error = reason
        _release(d)
        session.commit()
    logger.info("deferred %.1fs: %s", wait, reason)
    return Outcome("deferred", job.delivery_id, job.queue, wake_in=wait, detail=reason)


def _store_part(runtime: Runtime, claim: Claim, part_id: str, logger: _Log) -> bool:
    """Persist one posted thread part at once, so a killed worker's successor resumes after it.

    False if the lease is no longer ours (then no further part may be posted)."""
    now = utcnow()
    with runtime.session() as session:
        d = session.execute(select(Delivery).where(
            Delivery.id == claim.delivery_id, Delivery.lease_owner == claim.owner,
            Delivery.state == DS.SENDING.value).with_for_update()).scalar_one_or_none()
        if d is None:
            session.rollback()
            logger.warning("lease lost while posting the thread; part %s not recorded here", part_id)
            return False
        d.posted_parts = _merge(d.posted_parts or [], [part_id])
        d.lease_expires_at = now + dt.timedelta(seconds=runtime.settings.lease_seconds)
        session.commit()
        return True


# The whole delivery -------------------------------------------------------------------

def deliver(runtime: Runtime, delivery_id: int, *, owner: str, limiter: Limiter | None = None,
            channel_factory: Callable[..., Channel] = make_channel, task_id: str | None = None) -> Outcome:
    """Claim, send and record one delivery. Safe to call any number of times
    for the same id: only a claim that wins does anything."""
    logger = _Log(log, {"task_id": task_id or "-", "delivery_id": delivery_id})
    limiter = limiter or NoLimiter()
    with runtime.session() as session:
        claim = claim_delivery(session, delivery_id, owner)
        if claim is None:
            logger.debug("not claimable now (sent, held, not due, or leased elsewhere)")
            return Outcome("skipped", delivery_id)
        message_id = claim.message_id
        try:
            job = _prepare(session, claim)
        except _Early as early:
            session.rollback()
            return _settle_early(runtime, claim, message_id, early, logger)
        except DBAPIError:
            raise  # the database itself: the task retries, the lease protects
        except Exception as exc:
            # Nothing was sent; retrying would fail the same way (credentials
            # that no key decrypts, an adapter that cannot be loaded).
            session.rollback()
            logger.exception("could not prepare the post")
            return _settle_early(runtime, claim, message_id,
                                 _Early("fail", f"could not prepare the post ({type(exc).__name__}); "
                                                "an administrator must check this account"), logger)
        finally:
            # Nothing stays open while the platform answers.
            session.rollback()
    if claim.lapsed_at is not None:
        job.in_flight_until = in_flight_until(runtime.settings, claim.lapsed_at)
    config = channel_config(runtime.settings)
    return _send(runtime, job, limiter, channel_factory, config, logger)


def _send(runtime: Runtime, job: Job, limiter: Limiter, channel_factory: Callable[..., Channel],
          config: Any, logger: _Log) -> Outcome:
    if job.limits and not job.reconcile_only:
        cost = max(1, job.expected_parts - len(job.posted_parts))
        try:
            wait = limiter.acquire(job.limits, cost)
        except Exception:
            # The limiter's store is down: the platform's own 429 still
            # protects the account, so go on rather than stall an incident.
            logger.exception("posting limit could not be checked; sending anyway")
            wait = 0.0
        if wait > 0:
            return _defer(runtime, job, wait, f"waiting for the {job.kind} posting limit", logger)
    soft, hard = time_limits(runtime.settings)
    try:
        channel = channel_factory(job.kind, job.credentials, config)
    except PermanentError as exc:
        return _record(runtime, job, _Result("permanent", error=exc), logger)
    posted: list[str] = list(job.posted_parts)

    def on_part(part_id: str) -> None:
        posted.append(part_id)
        # Only a thread has parts to resume from; a single post is settled by
        # its outcome (or, if the worker dies first, by reconciliation).
        if (job.expected_parts > 1 or job.posted_parts) and not _store_part(runtime, job.claim, part_id, logger):
            # Another worker holds the delivery now: it resumes after the parts it finds.
            raise LeaseLostError("the lease was lost while posting the thread")

    try:
        with _Heartbeat(runtime, job.claim, hard, logger) as heartbeat:
            res = _call_platform(channel, job, on_part, heartbeat.confirm)
    except LeaseLostError as exc:
        logger.warning("%s; the worker that took it over reconciles", exc)
        return Outcome("lease_lost", job.delivery_id, job.queue)
    except Exception as exc:
        # A fault outside the adapter's classification (a bug, a library
        # surprise): a post may or may not have been made, so reconcile.
        logger.exception("unexpected error from the %s adapter", job.kind)
        res = _Result("unknown" if job.operation == "publish" else "transient",
                      error=OutcomeUnknownError(f"unexpected error: {type(exc).__name__}", posted_parts=posted))
    finally:
        try:
            channel.close()
        except Exception:
            logger.debug("closing the channel failed", exc_info=True)
    return _record(runtime, job, res, logger)


# Message status -------------------------------------------------------------------------

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
               Delivery.purpose.in_([DeliveryPurpose.PUBLISH.value, DeliveryPurpose.CORRECT.value]),
               Delivery.state != DS.CANCELLED.value)
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
    states = [r.state for r in current.values()]
    if not states:
        return None
    sent = states.count(DS.SENT.value)
    failed = states.count(DS.FAILED.value)
    held = states.count(DS.HELD.value)
    if any(s in ACTIVE for s in states):
        target = MessageState.PUBLISHING
    elif sent and not failed and not held:
        target = MessageState.PUBLISHED
    elif sent:
        target = MessageState.PARTIALLY_PUBLISHED
    elif failed and not held:
        target = MessageState.FAILED
    else:
        return None
    if target == status:
        return None
    # The status was read before the lock: another outcome of the message may
    # have moved it since (only outcomes can, and only under this lock).
    session.refresh(message, ["status"])
    status = MessageState(message.status)
    if target == status or status not in ROLLED_UP:
        return None
    try:
        message.status = transition(status, target).value
    except InvalidStateError:
        log.warning("message %s: not moving from %s to %s", message.id, status.value, target.value)
        return None
    if target != MessageState.PUBLISHING:
        audit.record(session, None, f"message.{target.value}", message_id=message.id,
                     version_number=message.current_version, sent=sent, failed=failed, held=held)
    return target


#: The statuses roll_up maintains; any other belongs to a person's decision.
ROLLED_UP = frozenset({MessageState.APPROVED, MessageState.SCHEDULED, MessageState.PUBLISHING,
                       MessageState.PUBLISHED, MessageState.PARTIALLY_PUBLISHED, MessageState.FAILED})
