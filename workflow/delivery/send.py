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
from typing import Any, Callable

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, joinedload

from channels.base import (
    Channel,
    OutcomeUnknownError,
    PermanentError,
    PublishResult,
    TransientError,
    channel_class,
    make_channel,
)
from workflow.accounts import channel_accounts as accounts
from workflow.accounts.models import ChannelAccount
from workflow.core.database import utcnow
from workflow.core.errors import CrierError
from workflow.core.runtime import Runtime, channel_config, settings_of
from workflow.core.unit_of_work import transaction
from workflow.delivery.jobs import (
    PARENT_WAIT_SECONDS,
    RECONCILE_MARGIN,
    CallResult,
    Claim,
    Early,
    Job,
    LeaseLostError,
    Outcome,
    TaskLog,
    merge_parts,
)
from workflow.delivery.leases import _Heartbeat, claim_delivery, in_flight_until, time_limits
from workflow.delivery.models import ACTIVE, Delivery, DeliveryPurpose, DeliveryState
from workflow.delivery.outcomes import defer, record_outcome, settle_early
from workflow.delivery.ratelimit import Limiter, NoLimiter, limits_for
from workflow.media.service import load_images
from workflow.media.storage import StorageError
from workflow.messages import exercise
from workflow.messages.models import Message
from workflow.messages.states import MessageState
from workflow.messages.versions import image_digests, post_for, stored_images
from workflow.scheduling.pause import active_pause_for, pause_mark

log = logging.getLogger("crier.delivery")

DS = DeliveryState


def _root_post(delivery: Delivery) -> Delivery:
    # A correction's or withdrawal's parent may itself be a correction; the
    # live post is the first publication's.
    root = delivery.parent
    seen = set()
    while root is not None and root.purpose != DeliveryPurpose.PUBLISH and root.parent_id \
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


def _images_changed(session: Session, d: Delivery) -> bool:
    """Whether ``d``'s version carries other images (or alt texts) than the live post on its account."""
    live = session.execute(select(Delivery).where(
        Delivery.message_id == d.message_id, Delivery.account_id == d.account_id, Delivery.id != d.id,
        Delivery.state == DS.SENT, Delivery.purpose.in_((DeliveryPurpose.PUBLISH, DeliveryPurpose.CORRECT)))
        .order_by(Delivery.sent_at.desc(), Delivery.id.desc()).limit(1)).scalars().first()
    if live is None:
        return False
    return image_digests(stored_images(live.version)) != image_digests(stored_images(d.version))


def _prepare(session: Session, claim: Claim) -> Job:
    # One round trip for everything the post needs.
    d = session.execute(select(Delivery).where(Delivery.id == claim.delivery_id).options(
        joinedload(Delivery.message).joinedload(Message.incident), joinedload(Delivery.account),
        joinedload(Delivery.version), joinedload(Delivery.parent))).scalar_one()
    message: Message = d.message
    account: ChannelAccount = d.account
    settings = settings_of(session)
    purpose = d.purpose
    needs_reconcile = claim.previous_state in (DS.UNKNOWN, DS.SENDING)
    withdrawn = message.status == MessageState.WITHDRAWN

    if claim.attempts > settings.retry_max_attempts + 2:
        # The worker keeps dying on this one: stop, and have a person look.
        raise Early("fail", f"stopped after {claim.attempts - 1} interrupted attempts; check "
                             f"{account.name} for the post before sending it again")
    if withdrawn and purpose != DeliveryPurpose.WITHDRAW and not needs_reconcile:
        raise Early("cancel", "the message was withdrawn before this went out")
    if account.status == "disabled":
        raise Early("fail", f"the account {account.name} is disabled")
    isolation = exercise.isolation_problem(d.message, [account])
    if isolation and purpose != DeliveryPurpose.WITHDRAW:
        raise Early("fail", f"not sent: {isolation}")
    if account.status == "reconnect" and purpose != DeliveryPurpose.WITHDRAW:
        raise Early("fail", f"{account.name} must be reconnected: {account.status_reason or 'the platform refused its credentials'}")
    if not withdrawn and not needs_reconcile:
        pause = active_pause_for(session, d)
        if pause is not None:
            # Marked as the pause module marks its holds, so lifting releases it.
            raise Early("hold", pause_mark(pause))

    job = Job(
        claim=claim, delivery_id=d.id, message_id=message.id, version_number=d.version.number,
        account_id=account.id, account_name=account.name, kind=str(account.kind), purpose=purpose,
        queue=d.queue, credentials={}, post=None, operation="publish",
        posted_parts=list(d.posted_parts or []),
        since=max(d.created_at, d.due_at) - RECONCILE_MARGIN,
    )
    adapter = channel_class(job.kind)
    if purpose in (DeliveryPurpose.CORRECT, DeliveryPurpose.WITHDRAW):
        # A withdrawal takes down exactly its parent (each live post, an X
        # correction reply included, gets its own); a correction changes the
        # first publication.
        root = d.parent if purpose == DeliveryPurpose.WITHDRAW else _root_post(d)
        if root is None:
            raise Early("cancel", "there is no earlier post on this account to change")
        if root.state in ACTIVE:
            # The post being changed may still go out: wait for it to settle.
            raise Early("defer", "waiting for the original post to settle", PARENT_WAIT_SECONDS)
        if root.state != DS.SENT or not root.remote_id:
            raise Early("cancel", "nothing was published on this account, so there is nothing to change")
        if purpose == DeliveryPurpose.WITHDRAW:
            job.operation = "delete"
            job.delete_ids = _post_ids(root)
        elif adapter.replaces_on_image_change and _images_changed(session, d):
            # The platform cannot swap a post's images: publish the corrected post, then delete the old one.
            job.operation = "replace"
            job.delete_ids = _post_ids(root)
            job.root_id = root.id
        elif adapter.supports_edit:
            job.operation = "edit"
            job.target_id = root.remote_id
        else:
            job.reply_to = root.remote_id
    if job.operation != "delete":
        try:
            job.post = post_for(message, d.version, account)
        except CrierError as exc:
            raise Early("fail", exc.message) from None
        job.expected_parts = len(job.post.parts)
        job.images = stored_images(d.version)
        job.limits = limits_for(settings, job.kind, account.id)
    job.reconcile = needs_reconcile and job.operation == "publish"
    job.reconcile_only = withdrawn and job.operation == "publish"
    if withdrawn and job.operation == "publish" and not job.reconcile:
        raise Early("cancel", "the message was withdrawn before this went out")
    job.credentials = accounts.account_credentials(session, account)
    return job


def _call_platform(channel: Channel, job: Job, on_part: Callable[[str], None],
                   confirm_lease: Callable[[], None] = lambda: None) -> CallResult:
    try:
        if job.operation == "delete":
            for remote_id in job.delete_ids:
                channel.delete(remote_id)
            return CallResult("sent")
        if job.operation == "edit":
            return CallResult("sent", channel.edit(job.target_id, job.post))
        if job.operation == "replace":
            # The old post first (the platform refuses a duplicate of a live post), then the new
            # one; deleting twice is harmless, and a repeat finds the new post instead of posting again.
            for remote_id in job.delete_ids:
                channel.delete(remote_id)
            found = channel.find_recent(job.post, since=job.since)
            if found is None or found.remote_id in job.delete_ids:
                found = channel.publish(job.post)
            return CallResult("sent", found)
        if job.reconcile:
            found = channel.find_recent(job.post, since=job.since)
            job.reconciled = True
            if found is not None:
                parts = merge_parts(job.posted_parts, list(found.part_ids) or [found.remote_id])
                if len(parts) >= job.expected_parts or job.expected_parts <= 1:
                    return CallResult("sent", dataclasses.replace(found, part_ids=tuple(parts)), reconciled=True)
                # Part of the thread is live: store what was found, then
                # carry on after its last part.
                for part in parts[len(job.posted_parts):]:
                    on_part(part)
                job.posted_parts = parts
            if job.reconcile_only:
                return CallResult("absent") if found is None and not job.posted_parts else CallResult(
                    "sent", PublishResult(job.posted_parts[0], None, tuple(job.posted_parts)), reconciled=True)
            waiting = _previous_attempt_in_flight(job)
            if waiting is not None:
                return CallResult("unknown", error=waiting)
            # The look-up took time: post only with a full lease ahead (see in_flight_until).
            confirm_lease()
        result = channel.publish(job.post, reply_to=job.reply_to, posted_parts=tuple(job.posted_parts),
                                 on_part=on_part)
        return CallResult("sent", result)
    except TransientError as exc:
        return CallResult("transient", error=exc)
    except PermanentError as exc:
        return CallResult("permanent", error=exc)
    except OutcomeUnknownError as exc:
        # Editing and deleting are safe to repeat; only a new post needs reconciling.
        return CallResult("unknown" if job.operation in ("publish", "replace") else "transient", error=exc)


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


def _store_part(runtime: Runtime, claim: Claim, part_id: str, logger: TaskLog) -> bool:
    """Persist one posted thread part at once, so a killed worker's successor resumes after it.

    False if the lease is no longer ours (then no further part may be posted)."""
    now = utcnow()
    with runtime.session() as session, transaction(session):
        d = session.execute(select(Delivery).where(
            Delivery.id == claim.delivery_id, Delivery.lease_owner == claim.owner,
            Delivery.state == DS.SENDING).with_for_update()).scalar_one_or_none()
        if d is None:
            logger.warning("lease lost while posting the thread; part %s not recorded here", part_id)
            return False
        d.posted_parts = merge_parts(d.posted_parts or [], [part_id])
        d.lease_expires_at = now + dt.timedelta(seconds=runtime.settings.lease_seconds)
        return True


def deliver(runtime: Runtime, delivery_id: int, *, owner: str, limiter: Limiter | None = None,
            channel_factory: Callable[..., Channel] = make_channel, task_id: str | None = None) -> Outcome:
    """Claim, send and record one delivery. Safe to call any number of times
    for the same id: only a claim that wins does anything."""
    logger = TaskLog(log, {"task_id": task_id or "-", "delivery_id": delivery_id})
    limiter = limiter or NoLimiter()
    with runtime.session() as session:
        claim = claim_delivery(session, delivery_id, owner)
        if claim is None:
            logger.debug("not claimable now (sent, held, not due, or leased elsewhere)")
            return Outcome("skipped", delivery_id)
        message_id = claim.message_id
        try:
            # A read of its own: nothing stays open while the platform answers.
            with transaction(session):
                job = _prepare(session, claim)
        except Early as early:
            return settle_early(runtime, claim, message_id, early, logger)
        except DBAPIError:
            raise  # the database itself: the task retries, the lease protects
        except Exception as exc:
            # Nothing was sent; retrying would fail the same way (credentials
            # that no key decrypts, an adapter that cannot be loaded).
            logger.exception("could not prepare the post")
            return settle_early(runtime, claim, message_id,
                                 Early("fail", f"could not prepare the post ({type(exc).__name__}); "
                                                "an administrator must check this account"), logger)
    if claim.lapsed_at is not None:
        job.in_flight_until = in_flight_until(runtime.settings, claim.lapsed_at)
    config = channel_config(runtime.settings)
    return _send(runtime, job, limiter, channel_factory, config, logger)


def _send(runtime: Runtime, job: Job, limiter: Limiter, channel_factory: Callable[..., Channel],
          config: Any, logger: TaskLog) -> Outcome:
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
            return defer(runtime, job, wait, f"waiting for the {job.kind} posting limit", logger)
    if job.images and job.post is not None:
        # Read outside any transaction, and checked against the digests the approval covered.
        try:
            job.post = dataclasses.replace(job.post, images=load_images(runtime.settings, job.images))
        except StorageError as exc:
            return record_outcome(runtime, job, CallResult("transient", error=TransientError(exc.message)), logger)
        except CrierError as exc:
            return record_outcome(runtime, job, CallResult("permanent", error=PermanentError(
                f"{exc.message}; nothing was sent")), logger)
    soft, hard = time_limits(runtime.settings)
    try:
        channel = channel_factory(job.kind, job.credentials, config)
    except PermanentError as exc:
        return record_outcome(runtime, job, CallResult("permanent", error=exc), logger)
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
        res = CallResult("unknown" if job.operation in ("publish", "replace") else "transient",
                      error=OutcomeUnknownError(f"unexpected error: {type(exc).__name__}", posted_parts=posted))
    finally:
        try:
            channel.close()
        except Exception:
            logger.debug("closing the channel failed", exc_info=True)
    return record_outcome(runtime, job, res, logger)
