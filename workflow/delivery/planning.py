"""Planning deliveries: the rows made in the same transaction as an approval,
cancelling the unsent ones, and refusing changes while a post is in flight."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.accounts.channel_accounts import accounts_by_id
from workflow.core.errors import PublishingInProgressError, ValidationError
from workflow.core.runtime import settings_of
from workflow.delivery.models import Delivery, DeliveryPurpose, DeliveryState
from workflow.messages import exercise
from workflow.messages.models import Message, MessageVersion
from workflow.messages.states import MessageState
from workflow.scheduling.pause import active_pauses, hold_if_paused
from workflow.scheduling.rules import next_occurrence

UNSENT = (DeliveryState.PENDING, DeliveryState.RETRYING, DeliveryState.HELD)

#: A post in one of these states may reach its platform at any moment (or already has).
IN_FLIGHT = (DeliveryState.SENDING, DeliveryState.RETRYING, DeliveryState.UNKNOWN)


def cancel_unsent(session: Session, message: Message, reason: str) -> list[int]:
    """Cancel every delivery of ``message`` that has not gone out; return their ids."""
    # Locked and re-read, so a delivery a worker claims at this moment is not overwritten.
    rows = session.execute(select(Delivery).where(
        Delivery.message_id == message.id, Delivery.state.in_(list(UNSENT)))
        .with_for_update().execution_options(populate_existing=True)).scalars().all()
    for d in rows:
        d.state = DeliveryState.CANCELLED
        d.last_error = reason
        d.lease_owner = None
        d.lease_expires_at = None
    return [d.id for d in rows]


def publishing_blocker(session: Session, message: Message, *, lock: bool = False) -> str | None:
    """Why ``message`` cannot be changed now, if one of its posts is claimed, retrying or of unknown outcome.

    Such a post carries the verified words of the current version and may go
    live at any moment: voiding its approval would not stop it, and the
    message would then say one thing while the platforms said another. With
    ``lock`` the deliveries are locked, so a worker cannot claim one between
    this check and the change (on SQLite the write lock does the same).
    """
    stmt = select(Delivery).where(Delivery.message_id == message.id,
                                  Delivery.purpose != DeliveryPurpose.WITHDRAW)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    busy = [d for d in session.execute(stmt).scalars() if d.state in list(IN_FLIGHT)]
    if not busy:
        return None
    names = accounts_by_id(session, {d.account_id for d in busy})
    where = ", ".join(sorted({names[d.account_id].name for d in busy if d.account_id in names}))
    return (f"version {message.current_version} is being published right now ({where}): change it "
            "with a correction once every channel has finished, so the words that go out are the ones verified")


def refuse_while_publishing(session: Session, message: Message) -> None:
    """Raise :class:`PublishingInProgressError` while a post of ``message`` is in flight (locks its deliveries)."""
    reason = publishing_blocker(session, message, lock=True)
    if reason:
        raise PublishingInProgressError(reason)


def plan_deliveries(session: Session, message: Message, version: MessageVersion,
                    now: dt.datetime) -> tuple[list[Delivery], MessageState]:
    """Create the deliveries of an approved version; return them and the message's new state.

    For a message that is already live, accounts with a live post get a
    correction of it; new accounts get a first publication.
    """
    settings = settings_of(session)
    exercise.check_approval(message, accounts_by_id(session, version.targets).values())
    late = (version.publish_at is not None and not version.recurrence
            and version.publish_at < now - dt.timedelta(seconds=settings.late_grace_seconds))
    if version.recurrence:
        due_at = next_occurrence(version.publish_at, version.recurrence, now) if version.publish_at else now
        if due_at is None:
            raise ValidationError("the recurrence has no occurrences left", field="recurrence")
    else:
        due_at = version.publish_at if version.publish_at and version.publish_at > now else now
    live = {d.account_id: d for d in session.execute(select(Delivery).where(
        Delivery.message_id == message.id, Delivery.purpose == DeliveryPurpose.PUBLISH,
        # A post still in flight counts as live: its correction waits for it to
        # settle instead of publishing the account a second time.
        Delivery.state.in_([DeliveryState.SENT, DeliveryState.SENDING,
                            DeliveryState.UNKNOWN])).order_by(Delivery.id)).scalars()}
    queue = "incident" if message.kind == "incident" else "routine"
    rows = []
    for account_id in version.targets:
        parent = live.get(account_id)
        rows.append(Delivery(
            message_id=message.id, version_id=version.id, account_id=account_id,
            purpose=(DeliveryPurpose.CORRECT if parent else DeliveryPurpose.PUBLISH),
            parent_id=parent.id if parent else None, queue=queue,
            state=(DeliveryState.HELD if late else DeliveryState.PENDING),
            # A correction fixes a post that is already out: it never waits for a series' next occurrence.
            due_at=now if parent and version.recurrence else due_at,
            last_error="approved after its scheduled time: choose publish now or a new time"
            if late else None,
        ))
    session.add_all(rows)
    session.flush()
    if late:
        return rows, MessageState.HELD
    pauses = active_pauses(session)
    for row in rows:
        hold_if_paused(session, row, pauses)
    if all(row.due_at > now for row in rows):
        return rows, MessageState.SCHEDULED
    return rows, MessageState.APPROVED
