"""Recording what a platform call did: sent, retrying (with backoff that honours
the platform's reset time), failed, or unknown (reconciled before any resend)."""
from __future__ import annotations

import datetime as dt
import logging
import random
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from workflow.accounts import health
from workflow.audit import chain as audit
from workflow.core.config import Settings
from workflow.core.database import utcnow
from workflow.core.runtime import Runtime, wake_after_commit
from workflow.core.unit_of_work import transaction
from workflow.delivery.jobs import (
    MAX_ERROR_CHARS,
    PARENT_WAIT_SECONDS,
    CallResult,
    Claim,
    Early,
    Event,
    Job,
    Outcome,
    TaskLog,
    merge_parts,
)
from workflow.delivery.models import Delivery, DeliveryPurpose, DeliveryState
from workflow.delivery.rollup import roll_up
from workflow.messages import appeals
from workflow.messages.corrections import withdraw_post
from workflow.messages.models import Message
from workflow.messages.states import MessageState
from workflow.notices import events as notices
from workflow.notices.models import NoticeEvent

log = logging.getLogger("crier.delivery")

DS = DeliveryState


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
                               Delivery.state == DS.SENDING)
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


def _finish(session: Session, d: Delivery, events: list[Event], now: dt.datetime, *,
            first_post: bool = False) -> None:
    """Write the outcome, then append its audit events and roll the message up (the caller's unit commits).

    Every audit append in Crier queues for the chain's lock, and roll_up
    decides under it, so everything else (the delivery row, a take-down, an
    account flag) is written before it and the lock is held only for the
    appends, the roll-up and the commit.
    """
    session.flush()
    for action, details in events:
        _audit(session, d, action, **details)
        if action in TROUBLE:
            notices.delivery_trouble(session, d, TROUBLE[action])
    if first_post:
        # Under the chain's lock like every write of an outcome to the message
        # row (see roll_up), and only if no other outcome has set it meanwhile.
        audit.lock_chain(session)
        session.execute(update(Message).where(Message.id == d.message_id, Message.published_at.is_(None))
                        .values(published_at=now).execution_options(synchronize_session=False))
    status = roll_up(session, d.message, now=now)
    if status in (MessageState.PUBLISHED, MessageState.PARTIALLY_PUBLISHED):
        notices.message_published(session, d.message, status)


#: Delivery events the author (and the supervisors on duty) are told of.
TROUBLE = {"delivery.failed": NoticeEvent.FAILED, "delivery.unknown": NoticeEvent.UNKNOWN}


def _moved(session: Session, root_id: int, replacement: Delivery) -> None:
    """The live post was replaced (new images): the first publication now points at the new post,
    so later corrections edit it and a withdrawal deletes it (and its photos)."""
    root = session.get(Delivery, root_id)
    if root is not None:
        root.remote_id = replacement.remote_id
        root.url = replacement.url
        root.posted_parts = list(replacement.posted_parts or [])


def record_outcome(runtime: Runtime, job: Job, res: CallResult, logger: TaskLog) -> Outcome:
    settings = runtime.settings
    now = utcnow()
    with runtime.session() as session, transaction(session):
        d = _lock_owned(session, job.claim, job.message_id)
        if d is None:
            logger.warning("lease lost before the outcome (%s) could be recorded; "
                           "the next claim reconciles", res.kind)
            return Outcome("lease_lost", job.delivery_id, job.queue)
        error = res.error
        if error is not None and getattr(error, "posted_parts", None):
            d.posted_parts = merge_parts(d.posted_parts or [], error.posted_parts)
        outcome: Outcome
        events: list[Event] = []
        first_post = False
        if res.kind == "sent":
            result = res.result
            d.state = DS.SENT
            d.sent_at = now
            health.record_success(d.account, now)
            d.last_error = None
            d.next_attempt_at = None
            if result is not None:
                d.remote_id = result.remote_id
                d.url = result.url
                # The platform's answer gives the thread's order.
                d.posted_parts = merge_parts(list(result.part_ids) or [result.remote_id], d.posted_parts or [])
                if job.operation == "replace" and job.root_id is not None:
                    _moved(session, job.root_id, d)
            action = {"publish": "delivery.sent", "correct": "delivery.corrected",
                      "withdraw": "delivery.withdrawn"}[d.purpose]
            message = d.message
            first_post = d.purpose == DeliveryPurpose.PUBLISH and message.published_at is None
            details: dict[str, Any] = {"remote_id": d.remote_id, "url": d.url}
            if job.operation == "delete":
                details = {"deleted": job.delete_ids}
            if len(d.posted_parts or []) > 1:
                details["parts"] = list(d.posted_parts)
            if res.reconciled:
                details["found_by_reconciliation"] = True
            events.append((action, details))
            if message.status == MessageState.WITHDRAWN and d.purpose != DeliveryPurpose.WITHDRAW:
                _take_down_late_post(session, d, logger)
            logger.info("%s on %s as %s", action.split(".")[1], job.kind, d.remote_id or "-")
            outcome = Outcome("sent", d.id, d.queue)
        elif res.kind == "absent":
            d.state = DS.CANCELLED
            d.last_error = "the message was withdrawn; the platform has no trace of this post"
            events.append(("delivery.cancelled", {"reason": d.last_error}))
            outcome = Outcome("cancelled", d.id, d.queue)
        elif res.kind == "permanent":
            d.state = DS.FAILED
            d.last_error = _error_text(error)
            d.next_attempt_at = None
            health.record_failure(session, d.account, d.last_error, now,
                                  reconnect=bool(getattr(error, "reconnect", False)))
            events.append(("delivery.failed", {"error": d.last_error,
                                               "reconnect": bool(getattr(error, "reconnect", False))}))
            logger.warning("failed permanently: %s", d.last_error)
            outcome = Outcome("failed", d.id, d.queue)
        else:
            outcome = _record_retry(session, settings, d, job, res, now, logger, events)
        _release(d)
        _finish(session, d, events, now, first_post=first_post)
    if first_post:
        close_appeal_of(runtime, job.message_id, logger)
    return outcome


def close_appeal_of(runtime: Runtime, message_id: int, logger: TaskLog | logging.Logger) -> None:
    """A message's first post went live: if it is a found update, close its appeal now.

    In a unit of its own, after the outcome is committed; if this fails the
    sweeper closes the appeal on its next pass.
    """
    try:
        with runtime.session() as session:
            withdrawn = appeals.close_if_found(session, message_id)
    except Exception:
        logger.exception("closing the appeal of found update %s failed; the sweeper tries again", message_id)
        return
    if withdrawn:
        logger.info("found update %s is out: appeal messages %s withdrawn", message_id, withdrawn)


def _take_down_late_post(session: Session, d: Delivery, logger: TaskLog) -> None:
    # The message was withdrawn while this post was in a worker's hands: it
    # must come down like the others.
    withdrawal = withdraw_post(session, d)
    if withdrawal is None:
        return
    wake_after_commit(session, [withdrawal.id])
    logger.info("the message was withdrawn meanwhile: withdrawal %s takes this post down", withdrawal.id)


def _record_retry(session: Session, settings: Settings, d: Delivery, job: Job, res: CallResult,
                  now: dt.datetime, logger: TaskLog, events: list[Event]) -> Outcome:
    error = res.error
    reason = _error_text(error)
    # If the platform could not even be asked whether an earlier attempt
    # posted, the delivery stays unknown: the next attempt asks again first.
    unknown = res.kind == "unknown" or (job.reconcile and not job.reconciled)
    retry_after = getattr(error, "retry_after", None)
    delay = retry_delay(settings, d.attempts, retry_after)
    deadline = d.due_at + dt.timedelta(seconds=settings.retry_window_seconds)
    if d.attempts >= settings.retry_max_attempts or now + dt.timedelta(seconds=delay) > deadline:
        d.state = DS.FAILED
        d.next_attempt_at = None
        if unknown:
            d.last_error = (f"could not confirm whether the post went out after {d.attempts} attempts; "
                            f"check {d.account.name} before posting again ({reason})")
        else:
            d.last_error = f"gave up after {d.attempts} attempts: {reason}"
        health.record_failure(session, d.account, d.last_error, now)
        events.append(("delivery.failed", {"error": d.last_error, "attempts": d.attempts}))
        logger.warning("%s", d.last_error)
        return Outcome("failed", d.id, d.queue)
    d.state = (DS.UNKNOWN if unknown else DS.RETRYING)
    d.next_attempt_at = now + dt.timedelta(seconds=delay)
    d.last_error = reason[:MAX_ERROR_CHARS]
    events.append(("delivery.unknown" if unknown else "delivery.retrying",
                   {"error": reason, "attempts": d.attempts, "next_attempt_at": d.next_attempt_at.isoformat(),
                    "parts_posted": len(d.posted_parts or [])}))
    logger.info("%s (attempt %d), next attempt in %.1fs: %s",
                "outcome unknown" if unknown else "will retry", d.attempts, delay, reason)
    return Outcome(d.state, d.id, d.queue, wake_in=delay)


def settle_early(runtime: Runtime, claim: Claim, message_id: int, early: Early, logger: TaskLog) -> Outcome:
    now = utcnow()
    with runtime.session() as session, transaction(session):
        d = _lock_owned(session, claim, message_id)
        if d is None:
            return Outcome("lease_lost", claim.delivery_id)
        queue = d.queue
        events: list[Event] = []
        # No platform call was made: this was not an attempt.
        d.attempts = max(0, d.attempts - 1)
        if early.kind == "defer":
            d.state = _unclaimed_state(claim)
            d.next_attempt_at = now + dt.timedelta(seconds=early.wake_in or PARENT_WAIT_SECONDS)
            d.last_error = early.reason
            outcome = Outcome("deferred", d.id, queue, wake_in=early.wake_in, detail=early.reason)
        elif early.kind == "hold":
            d.state = DS.HELD
            d.last_error = early.reason
            events.append(("delivery.held", {"reason": early.reason}))
            outcome = Outcome("held", d.id, queue, detail=early.reason)
        elif early.kind == "cancel":
            d.state = DS.CANCELLED
            d.last_error = early.reason
            events.append(("delivery.cancelled", {"reason": early.reason}))
            outcome = Outcome("cancelled", d.id, queue, detail=early.reason)
        else:
            d.state = DS.FAILED
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
    if claim.previous_state == DS.SENDING:
        return DS.UNKNOWN
    return claim.previous_state


def defer(runtime: Runtime, job: Job, wait: float, reason: str, logger: TaskLog) -> Outcome:
    now = utcnow()
    with runtime.session() as session, transaction(session):
        d = _lock_owned(session, job.claim, job.message_id)
        if d is None:
            return Outcome("lease_lost", job.delivery_id, job.queue)
        d.attempts = max(0, d.attempts - 1)
        d.state = _unclaimed_state(job.claim)
        d.next_attempt_at = now + dt.timedelta(seconds=wait)
        d.last_error = reason
        _release(d)
    logger.info("deferred %.1fs: %s", wait, reason)
    return Outcome("deferred", job.delivery_id, job.queue, wake_in=wait, detail=reason)
