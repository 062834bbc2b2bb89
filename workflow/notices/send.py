"""Sending one notice: claim it under a lease, mark the hand-over, send, record the outcome.

The order makes a worker killed at any point harmless. Killed before the
hand-over, nothing was given to the mail server or the webhook, and the lapsed
claim is sent again. Killed after it, the notice may have arrived: it becomes
``unknown`` and is never sent again (at most once; see docs/notifications.md).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Callable

from sqlalchemy import select, update

from workflow.audit import chain as audit
from workflow.core.config import Settings
from workflow.core.database import utcnow
from workflow.core.runtime import Runtime
from workflow.core.unit_of_work import transaction
from workflow.delivery.outcomes import retry_delay
from workflow.notices.models import Notice, NoticeState
from workflow.notices.transport import SENDERS, NoticeSendError, Outgoing

log = logging.getLogger("crier.notices")

NS = NoticeState

#: States a worker may claim.
CLAIMABLE = (NS.PENDING, NS.RETRYING)


class HandOverRefusedError(Exception):
    """Our claim lapsed before the notice was handed over: another worker will send it."""


@dataclasses.dataclass(frozen=True)
class Sent:
    """What one task did: its status, and when the notice should be looked at again (a retry)."""

    status: str
    notice_id: int
    wake_in: float | None = None


def lease_seconds(settings: Settings) -> float:
    """How long a claim on a notice lasts: past the longest a send can take (connect, a few
    SMTP exchanges each bounded by the timeouts), so a live worker never loses it."""
    return settings.lease_seconds + 3 * (settings.connect_timeout + settings.read_timeout)


def claim(runtime: Runtime, notice_id: int, owner: str, *, now: dt.datetime | None = None) -> Outgoing | None:
    """Take the notice if it is due and not taken; None if it is not ours to send."""
    now = now or utcnow()
    until = now + dt.timedelta(seconds=lease_seconds(runtime.settings))
    with runtime.session() as session, transaction(session):
        row = session.execute(
            update(Notice)
            .where(Notice.id == notice_id, Notice.state.in_(CLAIMABLE),
                   (Notice.next_attempt_at.is_(None)) | (Notice.next_attempt_at <= now))
            .values(state=NS.SENDING, lease_owner=owner, lease_expires_at=until, handed_over_at=None,
                    attempts=Notice.attempts + 1, updated_at=now)
            .returning(Notice.id, Notice.channel, Notice.address, Notice.subject, Notice.body, Notice.link)
            .execution_options(synchronize_session=False)).one_or_none()
    if row is None:
        return None
    return Outgoing(row.id, str(row.channel), row.address, row.subject, row.body, row.link)


def mark_handed_over(runtime: Runtime, notice_id: int, owner: str) -> None:
    """Record that the notice is about to be handed over; refuse if our claim has lapsed."""
    now = utcnow()
    with runtime.session() as session, transaction(session):
        result = session.execute(
            update(Notice)
            .where(Notice.id == notice_id, Notice.lease_owner == owner, Notice.state == NS.SENDING,
                   Notice.lease_expires_at > now)
            .values(handed_over_at=now)
            .execution_options(synchronize_session=False))
        if result.rowcount != 1:
            raise HandOverRefusedError(f"notice {notice_id}: the claim lapsed before the hand-over")


def _audit(session, notice: Notice, action: str, **details) -> None:
    audit.record(session, None, action, message_id=notice.message_id, notice=notice.id,
                 event=str(notice.event), channel=str(notice.channel), recipient=notice.recipient,
                 attempts=notice.attempts, **details)


def record(runtime: Runtime, notice_id: int, owner: str, error: NoticeSendError | None) -> Sent:
    """Write what the send did (sent, retrying, failed or unknown) and audit it."""
    settings = runtime.settings
    now = utcnow()
    with runtime.session() as session, transaction(session):
        notice = session.execute(
            select(Notice).where(Notice.id == notice_id, Notice.lease_owner == owner,
                                 Notice.state.in_([NS.SENDING, NS.UNKNOWN])).with_for_update()
        ).scalar_one_or_none()
        if notice is None:
            log.warning("[notice %s] no longer ours: the outcome is not recorded", notice_id)
            return Sent("lost", notice_id)
        notice.lease_owner = None
        notice.lease_expires_at = None
        wake_in = None
        if error is None:
            notice.state = NS.SENT
            notice.sent_at = now
            notice.last_error = None
            _audit(session, notice, "notice.sent")
        elif error.kind == "transient" and notice.attempts < settings.retry_max_attempts:
            wake_in = retry_delay(settings, notice.attempts)
            notice.state = NS.RETRYING
            notice.handed_over_at = None
            notice.next_attempt_at = now + dt.timedelta(seconds=wake_in)
            notice.last_error = error.message
        elif error.kind == "unknown":
            notice.state = NS.UNKNOWN
            notice.last_error = error.message
            _audit(session, notice, "notice.unknown", error=error.message)
        else:
            notice.state = NS.FAILED
            notice.last_error = (error.message if error.kind == "permanent"
                                 else f"gave up after {notice.attempts} attempts: {error.message}")
            _audit(session, notice, "notice.failed", error=notice.last_error)
        status = str(notice.state)
    log.info("[notice %s] %s%s", notice_id, status, f" ({error.message})" if error else "")
    return Sent(status, notice_id, wake_in)


def send_notice(runtime: Runtime, notice_id: int, owner: str,
                senders: dict[str, Callable] | None = None) -> Sent:
    """Claim, send and record one notice (see the module's docstring for the order)."""
    outgoing = claim(runtime, notice_id, owner)
    if outgoing is None:
        return Sent("not_claimable", notice_id)
    sender = (senders or SENDERS).get(outgoing.channel)
    if sender is None:
        return record(runtime, notice_id, owner,
                      NoticeSendError("permanent", f"no sender for the {outgoing.channel} channel"))
    try:
        sender(runtime.settings, outgoing, lambda: mark_handed_over(runtime, notice_id, owner))
    except HandOverRefusedError:
        log.warning("[notice %s] the claim lapsed before the hand-over; another worker sends it", notice_id)
        return Sent("lease_lost", notice_id)
    except NoticeSendError as exc:
        return record(runtime, notice_id, owner, exc)
    except Exception as exc:  # a fault of Crier's own: fail it visibly rather than retry it for ever
        log.exception("[notice %s] could not be sent", notice_id)
        return record(runtime, notice_id, owner,
                      NoticeSendError("permanent", f"Crier could not send it ({type(exc).__name__})"))
    return record(runtime, notice_id, owner, None)
