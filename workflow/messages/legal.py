"""The legal context an officer records about a case, on an incident or on one message.

A message's own context adds to its incident's (a message without an incident
carries only its own). The checks read the context in effect
(:func:`workflow.messages.checks.context_of`). Changing it re-runs the checks on
the current version of every message it covers, and voids an approval that is
not yet publishing whose findings changed: the message goes back for
verification with the reason. Messages already publishing or out keep their
state; their findings are read afresh whenever they are shown.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.accounts import policy
from workflow.accounts.models import User
from workflow.accounts.policy import Action, can_edit
from workflow.audit import chain as audit
from workflow.core.errors import NotFoundError, PermissionDeniedError, ValidationError
from workflow.core.unit_of_work import transactional
from workflow.delivery.planning import cancel_unsent, publishing_blocker
from workflow.messages.checks import CONTEXT_FIELDS, Context, checks_for, context_of
from workflow.messages.models import Incident, Message
from workflow.messages.queries import get_message
from workflow.messages.review import findings_to_acknowledge, void_approvals
from workflow.messages.states import MessageState, transition
from workflow.notices import events as notices

#: What each flag means, in the desk's words (the console's labels, the API's descriptions).
LABELS: dict[str, str] = {
    "proceedings_active": "Proceedings are active",
    "arrest_made": "Someone has been arrested",
    "charged": "Someone has been charged",
    "sexual_offence": "A sexual offence",
    "child_involved": "A child (under 18) is involved",
    "death": "Someone has died",
    "family_informed": "The family has been informed",
    "formally_identified": "The person has been formally identified",
    "reporting_restriction": "A reporting restriction applies",
}
#: An approval in one of these states has not started publishing: a change of findings voids it.
NOT_YET_OUT = (MessageState.APPROVED, MessageState.SCHEDULED, MessageState.HELD)


def flags(stored: Mapping[str, Any] | None) -> dict[str, bool]:
    """Every flag, true or false, from what is stored."""
    stored = stored or {}
    return {name: stored.get(name) is True for name in CONTEXT_FIELDS}


def parse_changes(value: Any, field: str = "legal") -> dict[str, bool]:
    """The flags a request sets: an object of flag to true or false (flags left out stay as they are)."""
    if not isinstance(value, Mapping):
        raise ValidationError(f"{field} must be an object of flags, each true or false", field=field)
    changes: dict[str, bool] = {}
    for name, flag in value.items():
        if name not in CONTEXT_FIELDS:
            raise ValidationError(f"unknown legal context flag {str(name)[:60]!r}: the flags are "
                                  f"{', '.join(CONTEXT_FIELDS)}", field=field)
        if not isinstance(flag, bool):
            raise ValidationError(f"{field}.{name} must be true or false", field=field)
        changes[name] = flag
    return changes


def _stored(current: Mapping[str, Any] | None, changes: Mapping[str, bool]) -> dict[str, bool]:
    merged = {**flags(current), **changes}
    return {name: True for name in CONTEXT_FIELDS if merged[name]}


@dataclass(frozen=True)
class Recheck:
    """What a change of context did to one message."""

    message_id: int
    changed: bool  # its findings changed
    voided: bool  # its approval was voided


def _findings(session: Session, message: Message, context: Context) -> set[tuple[str, str]]:
    found = findings_to_acknowledge(checks_for(session, message, message.latest, context))
    return {(f["id"], str(f.get("severity"))) for f in found}


def _recheck(session: Session, actor: User, message: Message, before: Context, after: Context,
             what: str) -> Recheck:
    """Re-run the checks of ``message``'s current version; void an approval not yet out whose findings changed."""
    if not message.versions:
        return Recheck(message.id, False, False)
    changed = _findings(session, message, before) != _findings(session, message, after)
    status = MessageState(message.status)
    live = [d for d in message.decisions if d.decision == "approved" and d.voided_at is None
            and d.version_number == message.current_version]
    if not (changed and status in NOT_YET_OUT and live):
        return Recheck(message.id, changed, False)
    if publishing_blocker(session, message, lock=True):
        return Recheck(message.id, changed, False)  # a post is in flight: the message is publishing
    reason = (f"The approval of version {message.current_version} was voided: {what} changed the legal "
              "context and the checks now find something different. Verify it again.")
    voided = void_approvals(message)
    cancelled = cancel_unsent(session, message, "approval voided: the legal context changed")
    message.status = transition(status, MessageState.AWAITING_VERIFICATION)
    message.rejection_reason = reason
    audit.record(session, actor, "message.approval_voided", message_id=message.id,
                 version_number=message.current_version, content_hash=message.latest.content_hash,
                 reason=reason, voided_approvals=voided, cancelled_deliveries=cancelled,
                 legal=after.ticked())
    # Back in the verification queue: the supervisors are told as for a submission.
    notices.message_submitted(session, message, by=actor, what="again, after a change of legal context, ")
    return Recheck(message.id, changed, True)


def change_incident_context(session: Session, actor: User, incident: Incident,
                            changes: Mapping[str, bool]) -> list[Recheck]:
    """Record the legal context of a locked incident, inside the caller's unit; re-check every
    message in it (audited, old -> new)."""
    policy.require(actor, Action.RECORD_LEGAL)
    changes = parse_changes(changes)
    session.refresh(incident)
    old, new = flags(incident.legal), flags(_stored(incident.legal, changes))
    if old == new:
        return []
    # Locked in id order after the incident, as every locker of several messages does.
    ids = list(session.execute(select(Message.id).where(Message.incident_id == incident.id)
                               .order_by(Message.id)).scalars())
    messages = [get_message(session, message_id, lock=True) for message_id in ids]
    before = {m.id: context_of(m) for m in messages}
    incident.legal = _stored(incident.legal, changes)
    audit.record(session, actor, "incident.legal_context_changed", incident=incident.slug,
                 previous=old, legal=new, messages=ids)
    what = f"{actor.username} (on the incident “{incident.title}”)"
    return [_recheck(session, actor, m, before[m.id], context_of(m), what) for m in messages]


@transactional
def set_incident_context(session: Session, actor: User, incident_id: Any,
                         changes: Mapping[str, bool]) -> tuple[Incident, list[Recheck]]:
    """Record the legal context of an incident on its own; return it and what the re-check did."""
    policy.require(actor, Action.RECORD_LEGAL)
    incident = None
    if isinstance(incident_id, int) and not isinstance(incident_id, bool) and 0 < incident_id < 2**62:
        incident = session.execute(select(Incident).where(Incident.id == incident_id)
                                   .with_for_update()).scalar_one_or_none()
    if incident is None:
        raise NotFoundError(f"no incident {incident_id!r}")
    return incident, change_incident_context(session, actor, incident, changes)


def change_message_context(session: Session, actor: User, message: Message,
                           changes: Mapping[str, bool]) -> Recheck | None:
    """Record a locked message's own legal context, inside the caller's unit; re-check it (audited)."""
    policy.require(actor, Action.RECORD_LEGAL)
    if not can_edit(actor, message):
        raise PermissionDeniedError("only the author or a supervisor can change this message's legal context")
    changes = parse_changes(changes)
    old, new = flags(message.legal), flags(_stored(message.legal, changes))
    if old == new:
        return None
    if message.incident is not None:
        session.refresh(message.incident)
    before = context_of(message)
    message.legal = _stored(message.legal, changes)
    audit.record(session, actor, "message.legal_context_changed", message_id=message.id,
                 version_number=message.current_version or None, previous=old, legal=new)
    if not message.versions:
        return None
    return _recheck(session, actor, message, before, context_of(message), actor.username)

