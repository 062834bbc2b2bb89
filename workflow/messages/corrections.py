"""Changing what is already out: corrections, withdrawals, and decisions on held posts.

- A correction is a new version with a visible change note. It goes straight
  back to verification (the two-person rule applies as to any version); its
  approval edits each live post (Facebook, website) or replies to it with the
  correction (X), and publishes on accounts that have no live post yet.
- A withdrawal takes the message down everywhere. It removes content, so it
  needs no second person, but it needs a reason; it cancels everything unsent
  and creates one withdraw delivery per live post on the incident queue, so it
  never waits behind routine posts or a pause.
- A held post (approved after its time, or kept back long past it) never goes
  out on its own: a supervisor chooses publish now or a new time.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.accounts.models import ChannelAccount, ChannelKind, User
from workflow.accounts.policy import can_edit
from workflow.audit import chain as audit
from workflow.core.database import utcnow
from workflow.core.errors import InvalidStateError, PermissionDeniedError, ValidationError
from workflow.core.runtime import wake_after_commit
from workflow.core.text import clean_text
from workflow.core.unit_of_work import transactional
from workflow.delivery.models import Delivery, DeliveryPurpose, DeliveryState
from workflow.delivery.planning import cancel_unsent, refuse_while_publishing
from workflow.messages.checks import checks_for, has_errors
from workflow.messages.drafts import validate_draft
from workflow.messages.models import Message
from workflow.messages.queries import get_message
from workflow.messages.review import MAX_REASON, void_approvals
from workflow.messages.states import LIVE, MessageState, transition
from workflow.messages.versions import new_version
from workflow.notices import events as notices


def _has_live_post(session: Session, message: Message) -> bool:
    return session.execute(select(Delivery.id).where(
        Delivery.message_id == message.id, Delivery.purpose == DeliveryPurpose.PUBLISH,
        Delivery.state == DeliveryState.SENT).limit(1)).first() is not None


@transactional
def correct(session: Session, actor: User, message_id: Any, body: Any, change_note: Any,
            variants: Mapping[str, str] | None = None, images: Any = None) -> Message:
    """Correct a live message: a new version with a change note, verified again before it goes out.

    Without ``variants`` every channel carries the corrected ``body``: an old
    per-channel wording would keep the mistake. ``images`` (``[{media, alt}]``)
    replaces the images; None keeps them. Approving it voids nothing
    that is out; until then earlier approvals are void and unsent deliveries
    are cancelled, so the wrong text goes nowhere new.
    """
    if change_note is None or (isinstance(change_note, str) and not change_note.strip()):
        raise ValidationError("a correction needs a change note saying what changed", field="change_note")
    if variants is not None and not isinstance(variants, Mapping):
        raise ValidationError("variants must be an object of account id to text", field="variants")
    message = get_message(session, message_id, lock=True)
    if not can_edit(actor, message):
        raise PermissionDeniedError("only the author or a supervisor can correct this message")
    status = MessageState(message.status)
    if status == MessageState.WITHDRAWN:
        raise InvalidStateError("a withdrawn message cannot be corrected")
    # A post in a worker's hands could otherwise be published again instead of corrected.
    refuse_while_publishing(session, message)
    if status == MessageState.PUBLISHING:
        raise InvalidStateError("this message is still going out: correct it once it has finished")
    if status not in LIVE and not (status == MessageState.HELD and _has_live_post(session, message)):
        raise InvalidStateError(
            f"nothing of this {status.replace('_', ' ')} message is out yet: edit it instead")
    latest = message.latest
    data: dict[str, Any] = {"body": body, "change_note": change_note, "variants": dict(variants or {})}
    if images is not None:
        data["images"] = images
    if not latest.recurrence:
        # The old publish time has passed: a correction goes out when it is verified.
        data["publish_at"] = None
    draft = validate_draft(session, data, base=latest)
    version = new_version(session, message, actor, draft)
    checks = checks_for(session, message, version)
    if has_errors(checks):
        first = next(p["message"] for ps in checks.values() for p in ps if p["level"] == "error")
        raise ValidationError(f"fix this before sending the correction: {first}", field="body")
    voided = void_approvals(message)
    cancelled = cancel_unsent(session, message, "superseded by a correction")
    message.status = transition(status, MessageState.AWAITING_VERIFICATION)
    message.rejection_reason = None
    audit.record(session, actor, "message.corrected", message_id=message.id,
                 version_number=version.number, content_hash=version.content_hash,
                 text=draft.body, change_note=draft.change_note, targets=draft.accounts,
                 voided_approvals=voided, cancelled_deliveries=cancelled)
    notices.message_submitted(session, message, by=actor, what="a correction of ")
    return message


def _is_live_post(session: Session, delivery: Delivery) -> bool:
    if delivery.state != DeliveryState.SENT:
        return False
    if delivery.purpose == DeliveryPurpose.PUBLISH:
        return True
    # A correction on X is a reply of its own; elsewhere it edited the parent post.
    account = session.get(ChannelAccount, delivery.account_id)
    return (delivery.purpose == DeliveryPurpose.CORRECT and account is not None
            and account.kind == ChannelKind.X)


def withdraw_post(session: Session, delivery: Delivery) -> Delivery | None:
    """Create the withdrawal of one live post (``delivery``, sent); None if there is nothing to take down.

    :func:`withdraw` uses it for every live post; the delivery engine calls it
    for a post of a withdrawn message that landed after the withdrawal (it was
    in a worker's hands then). The caller commits and dispatches.
    """
    if not _is_live_post(session, delivery):
        return None
    existing = session.execute(select(Delivery).where(
        Delivery.parent_id == delivery.id, Delivery.purpose == DeliveryPurpose.WITHDRAW)
    ).scalars().first()
    if existing is not None:
        return None
    row = Delivery(message_id=delivery.message_id, version_id=delivery.version_id,
                   account_id=delivery.account_id, purpose=DeliveryPurpose.WITHDRAW,
                   parent_id=delivery.id, queue="incident", state=DeliveryState.PENDING,
                   # The parent's time: already due, and unique per live post.
                   due_at=delivery.due_at)
    session.add(row)
    session.flush()
    return row


@transactional
def withdraw(session: Session, actor: User, message_id: Any, reason: Any, *,
             now: dt.datetime | None = None) -> Message:
    """Withdraw a message: cancel everything unsent and take every live post down."""
    reason_text = clean_text(reason, "the reason", MAX_REASON, "reason") if reason is not None else None
    if not reason_text:
        raise ValidationError("a withdrawal needs a reason", field="reason")
    message = get_message(session, message_id, lock=True)
    if not can_edit(actor, message):
        raise PermissionDeniedError("only the author or a supervisor can withdraw this message")
    if message.status == MessageState.WITHDRAWN:
        raise InvalidStateError("this message has already been withdrawn")
    return take_down(session, actor, message, reason_text, now=now)


def take_down(session: Session, actor: User | None, message: Message, reason_text: str, *,
              now: dt.datetime | None = None, **details: Any) -> Message:
    """The withdrawal itself, of a ``message`` the caller has locked and may withdraw.

    ``actor`` None is Crier itself (closing an appeal once its found update is
    out); ``details`` go into the audit event. The caller's unit commits.
    """
    now = now or utcnow()
    status = transition(message.status, MessageState.WITHDRAWN)
    cancelled = cancel_unsent(session, message, f"withdrawn: {reason_text}")
    posts = session.execute(select(Delivery).where(
        Delivery.message_id == message.id, Delivery.state == DeliveryState.SENT,
        Delivery.purpose.in_((DeliveryPurpose.PUBLISH, DeliveryPurpose.CORRECT)))
        .order_by(Delivery.id).execution_options(populate_existing=True)).scalars().all()
    withdrawals = [w for w in (withdraw_post(session, d) for d in posts) if w is not None]
    in_flight = session.execute(select(Delivery.id).where(
        Delivery.message_id == message.id,
        Delivery.state.in_((DeliveryState.SENDING, DeliveryState.UNKNOWN)))).scalars().all()
    message.status = status
    message.withdrawn_at = now
    audit.record(session, actor, "message.withdrawn", message_id=message.id,
                 version_number=message.current_version, content_hash=message.latest.content_hash,
                 reason=reason_text, cancelled_deliveries=cancelled,
                 withdrawals=[w.id for w in withdrawals], in_flight=list(in_flight), **details)
    wake_after_commit(session, [w.id for w in withdrawals])
    return message
