""""Pause routine posts": hold every routine post at once when an incident starts.

Representation:

- A :class:`~workflow.models.Pause` is active while ``lifted_at`` is empty. Its
  scope is a union of account ids and areas (an account is covered when its id
  is listed or its area is); empty lists mean every account.
- Only routine deliveries are ever held: queue ``"routine"`` (the queue
  follows the message's kind), purpose publish or correct. Incident messages
  always go, and withdrawals (queue ``"incident"``) always go, because taking
  words down is always safe.
- A delivery held by a pause has state ``held`` and ``last_error``
  ``"held by pause #N: <reason>"`` (see :data:`PAUSE_PREFIX`). Starting a pause
  holds every unsent routine delivery in its scope, already due or not;
  deliveries created while it is active (approvals, occurrences of a series)
  are held as they are created (:func:`hold_if_paused`), and the engine checks
  :func:`active_pause_for` just before sending, for anything that slipped
  between the two.
- Lifting returns each held delivery to ``pending`` with its own due time, so
  what is already due goes out at once, unless another active pause still
  covers it, or it is more than :func:`stale_after` past its time (one hour,
  or ``late_grace_seconds`` if longer): a post that late may no longer be true
  or welcome, so it waits for a decision like a late approval (state ``held``,
  ``last_error`` "... choose publish now or a new time", the message ``held``;
  :func:`workflow.corrections.decide_held` releases it).

Only supervisors and admins pause or lift; both are audited.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.accounts import policy
from workflow.accounts.models import ChannelAccount, User
from workflow.accounts.policy import Action
from workflow.audit import chain as audit
from workflow.core.database import utcnow
from workflow.core.errors import InvalidStateError, NotFoundError, ValidationError
from workflow.core.runtime import settings_of, wake_after_commit
from workflow.core.text import clean_text, is_id
from workflow.core.unit_of_work import transactional
from workflow.delivery.models import Delivery, DeliveryPurpose, DeliveryState
from workflow.messages.models import Message
from workflow.messages.states import MessageState, can_transition
from workflow.scheduling.models import Pause

PAUSE_PREFIX = "held by pause #"

#: A post held by a pause for longer than this past its time waits for a decision.
PAUSE_STALE_AFTER = dt.timedelta(hours=1)

MAX_REASON = 2000

# Deliveries that have not gone out and are not in a worker's hands.
_WAITING = (DeliveryState.PENDING, DeliveryState.RETRYING)

# States in which a delivery is still on its way; a message is held for a
# decision only when none of its deliveries is, so no worker's status roll-up
# meets a held message.
_IN_FLIGHT = (DeliveryState.PENDING, DeliveryState.SENDING,
              DeliveryState.RETRYING, DeliveryState.UNKNOWN)


def stale_after(session: Session) -> dt.timedelta:
    """How long past its time a paused post may still go out when the pause is lifted."""
    return max(PAUSE_STALE_AFTER, dt.timedelta(seconds=settings_of(session).late_grace_seconds))


def pause_mark(pause: Pause) -> str:
    """The ``last_error`` of a delivery held by ``pause``."""
    return f"{PAUSE_PREFIX}{pause.id}: {pause.reason}"


def is_pause_hold(delivery: Delivery) -> bool:
    """True when ``delivery`` is held by a pause (not waiting for a decision)."""
    return delivery.state == DeliveryState.HELD and (delivery.last_error or "").startswith(PAUSE_PREFIX)


def _clean_reason(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError("a pause needs a reason", field="reason")
    return clean_text(value, "the reason", MAX_REASON, "reason")


def _scope(session: Session, account_ids: Any, areas: Any) -> tuple[list[int], list[str]]:
    ids: list[int] = []
    if account_ids is not None:
        if not isinstance(account_ids, list):
            raise ValidationError("accounts must be a list of account ids", field="accounts")
        for item in account_ids:
            if not is_id(item):
                raise ValidationError("accounts must be a list of account ids", field="accounts")
            if item not in ids:
                ids.append(item)
        if ids:
            known = set(session.execute(select(ChannelAccount.id).where(ChannelAccount.id.in_(ids))).scalars())
            unknown = [i for i in ids if i not in known]
            if unknown:
                raise ValidationError(f"unknown account id(s): {', '.join(map(str, unknown))}",
                                      field="accounts")
    names: list[str] = []
    if areas is not None:
        if not isinstance(areas, list):
            raise ValidationError("areas must be a list of area names", field="areas")
        for item in areas:
            item = clean_text(item, "an area name", 120, "areas")
            if item not in names:
                names.append(item)
        if names:
            # A misspelt area would pause nothing while the desk believes it paused.
            served = set(session.execute(select(ChannelAccount.area).where(
                ChannelAccount.area.in_(names))).scalars())
            unserved = [a for a in names if a not in served]
            if unserved:
                raise ValidationError(f"no account serves the area(s): {', '.join(unserved)}", field="areas")
    return sorted(ids), names


def _covers(pause: Pause, account: ChannelAccount) -> bool:
    if not pause.account_ids and not pause.areas:
        return True
    return account.id in (pause.account_ids or []) or (
        account.area is not None and account.area in (pause.areas or []))


def _pausable(delivery: Delivery) -> bool:
    return delivery.queue == "routine" and delivery.purpose != DeliveryPurpose.WITHDRAW


def _covering(session: Session, pauses: Sequence[Pause], delivery: Delivery) -> Pause | None:
    if not pauses or not _pausable(delivery):
        return None
    account = session.get(ChannelAccount, delivery.account_id)
    if account is None:
        return None
    return next((p for p in pauses if _covers(p, account)), None)


def active_pauses(session: Session) -> list[Pause]:
    """Every pause not yet lifted, oldest first."""
    return list(session.execute(
        select(Pause).where(Pause.lifted_at.is_(None)).order_by(Pause.id)).scalars())


def active_pause_for(session: Session, delivery: Delivery) -> Pause | None:
    """The active pause that keeps ``delivery`` from being sent, or None if it may go.

    Only routine publications and corrections are ever held; incident messages
    and withdrawals always go.
    """
    if not _pausable(delivery):
        return None
    return _covering(session, active_pauses(session), delivery)


def hold_if_paused(session: Session, delivery: Delivery,
                   pauses: Sequence[Pause] | None = None) -> Pause | None:
    """Hold an unsent ``delivery`` if an active pause covers it; return that pause.

    The caller commits. ``pauses`` saves a query when many deliveries are checked.
    """
    if delivery.state not in _WAITING and not is_pause_hold(delivery):
        return None
    pause = _covering(session, active_pauses(session) if pauses is None else pauses, delivery)
    if pause is not None:
        delivery.state = DeliveryState.HELD
        delivery.last_error = pause_mark(pause)
        delivery.lease_owner = None
        delivery.lease_expires_at = None
    return pause


def hold_for_decision(session: Session, deliveries: Iterable[Delivery], why: str) -> None:
    """Hold ``deliveries`` until someone chooses publish-now or a new time.

    Their message becomes ``held`` when nothing else of it is still on its way;
    otherwise it keeps its status and the deliveries show why they wait.
    The caller commits.
    """
    message_ids: set[int] = set()
    for d in deliveries:
        d.state = DeliveryState.HELD
        d.last_error = f"{why}: choose publish now or a new time"
        d.lease_owner = None
        d.lease_expires_at = None
        message_ids.add(d.message_id)
    session.flush()
    for message_id in sorted(message_ids):
        message = session.get(Message, message_id, populate_existing=True, with_for_update=True)
        if message is None or not can_transition(message.status, MessageState.HELD):
            continue
        moving = session.execute(select(Delivery.id).where(
            Delivery.message_id == message_id, Delivery.state.in_(_IN_FLIGHT)).limit(1)).first()
        if moving is None:
            message.status = MessageState.HELD


@transactional
def pause_routine(session: Session, actor: User, reason: Any, account_ids: Any = None,
                  areas: Any = None) -> Pause:
    """Pause routine posts (all, or those of some accounts or areas), holding what is unsent."""
    policy.require(actor, Action.PAUSE)
    reason_text = _clean_reason(reason)
    ids, names = _scope(session, account_ids, areas)
    pause = Pause(reason=reason_text, account_ids=ids, areas=names, created_by_id=actor.id)
    session.add(pause)
    session.flush()
    # Locked, so a worker claiming one at this moment either gets it first
    # (and meets the pause in its own check) or finds it held.
    rows = session.execute(select(Delivery).where(
        Delivery.state.in_(_WAITING), Delivery.queue == "routine",
        Delivery.purpose != DeliveryPurpose.WITHDRAW,
    ).order_by(Delivery.id).with_for_update().execution_options(populate_existing=True)).scalars().all()
    held = [d.id for d in rows if hold_if_paused(session, d, [pause])]
    audit.record(session, actor, "pause.started", pause_id=pause.id, reason=reason_text,
                 accounts=ids, areas=names, held_deliveries=held)
    return pause


def _parse_pause_id(value: Any) -> int:
    if isinstance(value, bool):
        raise ValidationError("the pause id must be an integer", field="id")
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValidationError("the pause id must be an integer", field="id") from None
    if not (0 < number < 2**62):
        raise NotFoundError(f"no pause {value}")
    return number


@transactional
def lift_pause(session: Session, actor: User, pause_id: Any = None, *, reason: Any = None,
               now: dt.datetime | None = None) -> list[Pause]:
    """Lift one active pause (``pause_id``) or all of them; return the lifted pauses.

    Held posts go out again, unless another active pause covers them or they are
    more than :func:`stale_after` past their time: those wait for a decision.
    """
    now = now or utcnow()
    policy.require(actor, Action.PAUSE)
    note = _clean_reason(reason) if reason else None
    if pause_id is not None:
        pause = session.execute(select(Pause).where(
            Pause.id == _parse_pause_id(pause_id)).with_for_update()
            .execution_options(populate_existing=True)).scalar_one_or_none()
        if pause is None:
            raise NotFoundError(f"no pause {pause_id}")
        if pause.lifted_at is not None:
            raise InvalidStateError(f"pause #{pause.id} was already lifted")
        lifting = [pause]
    else:
        lifting = list(session.execute(select(Pause).where(
            Pause.lifted_at.is_(None)).order_by(Pause.id).with_for_update()
            .execution_options(populate_existing=True)).scalars())
    if not lifting:
        return []
    for pause in lifting:
        pause.lifted_at = now
        pause.lifted_by_id = actor.id
    session.flush()
    remaining = active_pauses(session)
    lifted_ids = {p.id for p in lifting}
    # Held by a pause, or left pending by a worker that met the pause in its
    # own check: both have been kept back by it.
    rows = session.execute(select(Delivery).where(
        Delivery.queue == "routine", Delivery.purpose != DeliveryPurpose.WITHDRAW,
        Delivery.state.in_((DeliveryState.HELD, DeliveryState.PENDING)),
    ).order_by(Delivery.id).with_for_update().execution_options(populate_existing=True)).scalars().all()
    released: list[Delivery] = []
    stale: list[Delivery] = []
    still_held: list[int] = []
    limit = now - stale_after(session)
    for d in rows:
        if d.state == DeliveryState.HELD and not is_pause_hold(d):
            continue  # waiting for a decision already
        if d.state == DeliveryState.PENDING and _covering(session, lifting, d) is None:
            continue  # never touched by these pauses
        if hold_if_paused(session, d, remaining) is not None:
            still_held.append(d.id)
        elif d.due_at < limit:
            stale.append(d)
        elif d.state == DeliveryState.HELD:
            d.state = DeliveryState.PENDING
            d.last_error = None
            d.next_attempt_at = None
            released.append(d)
    hold_for_decision(session, stale, "kept back by a pause until long past its time")
    audit.record(session, actor, "pause.lifted", pause_ids=sorted(lifted_ids), reason=note,
                 released_deliveries=[d.id for d in released],
                 held_for_decision=[d.id for d in stale], still_paused=still_held)
    due = [d.id for d in released if d.due_at <= now]
    wake_after_commit(session, due)
    return lifting
