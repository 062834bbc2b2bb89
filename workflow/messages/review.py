"""Review under the two-person rule: submit, approve and reject.

Only a supervisor verifies; nobody verifies a version they wrote or edited; an
approval names its version and hash and creates the deliveries in the same
transaction; an edit makes a new version and voids earlier approvals."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workflow.accounts import policy
from workflow.accounts.models import User
from workflow.accounts.policy import Action, can_edit, contributors
from workflow.audit import chain as audit
from workflow.core.database import utcnow
from workflow.core.errors import (
    AuthorityRequiredError,
    ConflictError,
    InvalidStateError,
    PermissionDeniedError,
    StaleVersionError,
    TwoPersonRuleError,
    UnacknowledgedChecksError,
    ValidationError,
)
from workflow.core.runtime import wake_after_commit
from workflow.core.text import clean_text
from workflow.core.unit_of_work import transactional
from workflow.delivery.models import DeliveryState
from workflow.delivery.planning import plan_deliveries
from workflow.messages.checks import checks_for, context_of, has_errors
from workflow.messages.models import Decision, Message
from workflow.messages.queries import get_message
from workflow.messages.states import MessageState, transition
from workflow.notices import events as notices

MAX_REASON = 2000


def void_approvals(message: Message) -> int:
    """Void every live approval of ``message``; return how many."""
    count = 0
    now = utcnow()
    for decision in message.decisions:
        if decision.decision == "approved" and decision.voided_at is None:
            decision.voided_at = now
            count += 1
    return count


@transactional
def submit(session: Session, actor: User, message_id: Any) -> Message:
    """Send a draft for verification. Blocking problems must be fixed first."""
    message = get_message(session, message_id, lock=True)
    if not can_edit(actor, message):
        raise PermissionDeniedError("only the author or a supervisor can submit this message")
    status = MessageState(message.status)
    if status not in (MessageState.DRAFT, MessageState.REJECTED):
        raise InvalidStateError(f"a {status.replace('_', ' ')} message cannot be submitted")
    version = message.latest
    checks = checks_for(session, message, version)
    if has_errors(checks):
        first = next(p["message"] for ps in checks.values() for p in ps if p["level"] == "error")
        raise ValidationError(f"fix this before submitting: {first}", field="body")
    message.status = transition(status, MessageState.AWAITING_VERIFICATION)
    message.rejection_reason = None
    audit.record(session, actor, "message.submitted", message_id=message.id,
                 version_number=version.number, content_hash=version.content_hash)
    notices.message_submitted(session, message, by=actor)
    return message


def parse_version(version: Any) -> int:
    if isinstance(version, bool) or not isinstance(version, int):
        raise ValidationError("version must be the integer number of the version you verified",
                              field="version")
    return version


#: Findings the verifier must acknowledge one by one before approving.
ACKNOWLEDGED_CODES = ("legal.", "privacy.")
MAX_NOTE = 2000
#: Naming someone arrested is exceptional: the approval records who authorised it and why.
NEEDS_AUTHORITY = "legal.arrested_named"
MAX_OFFICER = 200


def _authority(findings: list[dict], authority: Any) -> dict[str, str] | None:
    """The authorising officer and reason, required when a finding names someone arrested."""
    naming = [f["id"] for f in findings if f.get("code") == NEEDS_AUTHORITY]
    if authority is None or authority == {}:
        if naming:
            raise AuthorityRequiredError(
                f"naming someone arrested needs the authorising officer's name and reason (finding "
                f"{', '.join(naming)}, {NEEDS_AUTHORITY}): give authority {{officer, reason}}; nothing was "
                "approved", naming)
        return None
    if not isinstance(authority, dict) or set(authority) - {"officer", "reason"}:
        raise ValidationError("authority must be {\"officer\": name, \"reason\": why}", field="authority")
    if not all(isinstance(authority.get(key), str) and authority[key].strip() for key in ("officer", "reason")):
        raise ValidationError("authority needs both the authorising officer's name and the reason for naming",
                              field="authority")
    return {"officer": clean_text(authority["officer"], "the authorising officer", MAX_OFFICER, "authority"),
            "reason": clean_text(authority["reason"], "the reason for naming", MAX_NOTE, "authority")}


def findings_to_acknowledge(checks: dict[str, list[dict]]) -> list[dict]:
    """The legal and privacy findings of a version's checks (body and every channel), each once."""
    found: dict[str, dict] = {}
    for problems in checks.values():
        for p in problems:
            if p.get("id") and str(p.get("code", "")).startswith(ACKNOWLEDGED_CODES):
                found.setdefault(p["id"], p)
    return list(found.values())


def _acknowledgement(session: Session, message: Message, target: Any, acknowledged: Any,
                     note: Any, authority: Any = None) -> tuple[list[dict], str | None, dict | None]:
    """Check that every finding is acknowledged (a serious one with a reason, naming someone arrested
    with the authority for it); return them, the note and the authority."""
    if acknowledged is None:
        acknowledged = []
    if not isinstance(acknowledged, list) or not all(isinstance(i, str) for i in acknowledged):
        raise ValidationError("acknowledged must be a list of finding ids", field="acknowledged")
    note_text = clean_text(note, "the note", MAX_NOTE, "note") if note is not None else None
    findings = findings_to_acknowledge(checks_for(session, message, target))
    missing = [f["id"] for f in findings if f["id"] not in set(acknowledged)]
    if missing:
        raise UnacknowledgedChecksError(
            f"acknowledge every legal and privacy finding before approving: {', '.join(missing)} "
            "not acknowledged; nothing was approved", missing)
    named = _authority(findings, authority)
    serious = [f for f in findings if f.get("severity") == "serious"]
    # The authority's reason is the reason for a finding that names someone arrested.
    if serious and not note_text and not (named and all(f["code"] == NEEDS_AUTHORITY for f in serious)):
        raise ValidationError("a serious finding needs a short reason: say in the note why this is safe to publish",
                              field="note")
    return findings, note_text, named


@transactional
def approve(session: Session, reviewer: User, message_id: Any, version: Any,
            content_hash: str | None = None, *, acknowledged: Any = None, note: Any = None,
            authority: Any = None, now: dt.datetime | None = None) -> Message:
    """Approve version ``version`` and create its deliveries in the same transaction.

    Every legal and privacy finding of the version, under the legal context in
    effect, must be in ``acknowledged`` (a serious one also needs ``note``, the
    verifier's reason; one naming someone arrested needs ``authority``, the
    authorising officer and reason); they go into the audit trail with the approval.
    """
    version_number = parse_version(version)
    now = now or utcnow()
    policy.require(reviewer, Action.VERIFY)
    message = get_message(session, message_id, lock=True)
    if message.incident is not None:
        # The incident's legal context as it stands now: a change may have committed while we waited.
        session.refresh(message.incident)
    if version_number != message.current_version:
        raise StaleVersionError(
            f"version {version_number} is not the latest (version {message.current_version} is); "
            "read the latest version before approving")
    target = message.latest
    if content_hash is not None and content_hash != target.content_hash:
        raise StaleVersionError("the version's content does not match what you verified")
    if message.status != MessageState.AWAITING_VERIFICATION:
        raise InvalidStateError(
            f"the message is {str(message.status).replace('_', ' ')}, not awaiting verification")
    if reviewer.id in contributors(message):
        raise TwoPersonRuleError("you wrote or edited this message, so someone else must verify it")
    findings, note_text, named = _acknowledgement(session, message, target, acknowledged, note, authority)
    # Through the collection, so the message shown after approving lists this decision.
    message.decisions.append(Decision(version_id=target.id, version_number=target.number,
                                      content_hash=target.content_hash, decision="approved",
                                      reviewer_id=reviewer.id))
    try:
        session.flush()
    except IntegrityError:
        raise ConflictError("this version has already been approved") from None
    deliveries, state = plan_deliveries(session, message, target, now)
    message.status = transition(message.status, state)
    message.rejection_reason = None
    acknowledgement = {"acknowledged": [{"id": f["id"], "code": f["code"], "severity": f.get("severity")}
                                        for f in findings], "note": note_text} if findings or note_text else {}
    if named:
        acknowledgement["authority"] = named
    ticked = context_of(message).ticked()
    if ticked:
        acknowledgement["legal"] = ticked
    audit.record(session, reviewer, "message.approved", message_id=message.id,
                 version_number=target.number, content_hash=target.content_hash,
                 text=target.body, state=state, deliveries=[d.id for d in deliveries], **acknowledgement)
    notices.settle_watches(session, message.id, now=now)
    due = [d.id for d in deliveries if d.state == DeliveryState.PENDING and d.due_at <= now]
    wake_after_commit(session, due)
    return message


@transactional
def reject(session: Session, reviewer: User, message_id: Any, reason: Any, version: Any = None) -> Message:
    """Reject with a reason; the message goes back to its author as a draft."""
    reason_text = clean_text(reason, "the reason", MAX_REASON, "reason") if reason is not None else None
    if not reason_text:
        raise ValidationError("a rejection needs a reason", field="reason")
    policy.require(reviewer, Action.VERIFY)
    message = get_message(session, message_id, lock=True)
    if version is not None and parse_version(version) != message.current_version:
        raise StaleVersionError(f"version {version} is not the latest (version {message.current_version} is)")
    if message.status != MessageState.AWAITING_VERIFICATION:
        raise InvalidStateError(
            f"the message is {str(message.status).replace('_', ' ')}, not awaiting verification")
    target = message.latest
    decision = Decision(version_id=target.id, version_number=target.number, content_hash=target.content_hash,
                        decision="rejected", reviewer_id=reviewer.id, reason=reason_text)
    message.decisions.append(decision)
    message.status = transition(message.status, MessageState.REJECTED)
    message.rejection_reason = reason_text
    audit.record(session, reviewer, "message.rejected", message_id=message.id,
                 version_number=target.number, content_hash=target.content_hash, reason=reason_text)
    notices.settle_watches(session, message.id)
    notices.message_rejected(session, message, decision.id, reviewer, reason_text)
    return message
