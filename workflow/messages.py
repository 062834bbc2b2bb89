"""The message lifecycle services: draft, edit, submit, approve, reject.

The two-person rule lives here, so the console, the API and the CLI all obey
it: only a supervisor verifies; nobody verifies a version they wrote or
edited; an approval names its version and hash; an edit makes a new version
and voids earlier approvals.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import secrets
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from sqlalchemy import event, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from channels.base import Post, Problem, channel_class

from . import audit
from .audit import canonical_json
from .checks import prejudice_warnings
from .db import utcnow
from .errors import (ConflictError, InvalidStateError, NotFoundError, PermissionDeniedError,
                     PublishingInProgressError, StaleVersionError, TwoPersonRuleError, ValidationError)
from .models import (ChannelAccount, Decision, Delivery, DeliveryPurpose, DeliveryState,
                     Incident, Message, MessageVersion, Role, User)
from .pause import active_pauses, hold_if_paused
from .runtime import channel_config_of, settings_of, wake_after_commit
from .schedule import next_occurrence, parse_publish_at, validate_recurrence
from .states import EDITABLE, LIVE, MessageState, transition
from .text import clean_text, is_storable

MAX_REASON = 2000
UNSENT = (DeliveryState.PENDING, DeliveryState.RETRYING, DeliveryState.HELD)
#: A post in one of these states may reach its platform at any moment (or already has).
IN_FLIGHT = (DeliveryState.SENDING, DeliveryState.RETRYING, DeliveryState.UNKNOWN)


# Input ----------------------------------------------------------------------

@dataclass
class Draft:
    """What an officer asks for; validated by :func:`validate_draft`."""

    body: str
    accounts: list[int]
    variants: dict[str, str] = field(default_factory=dict)
    publish_at: dt.datetime | None = None
    recurrence: str | None = None
    change_note: str | None = None


def _account_ids(session: Session, value: Any) -> list[int]:
    if not isinstance(value, list) or not value:
        raise ValidationError("accounts must be a non-empty list of account ids", field="accounts")
    ids: list[int] = []
    for item in value:
        if isinstance(item, bool) or not isinstance(item, int):
            raise ValidationError("accounts must be a list of integer account ids", field="accounts")
        if item not in ids:
            ids.append(item)
    if len(ids) > 1000:
        raise ValidationError("at most 1000 accounts per message", field="accounts")
    # Ids beyond the column's range cannot exist (and SQLite cannot even bind them).
    found = {a.id: a for a in session.execute(
        select(ChannelAccount).where(ChannelAccount.id.in_([i for i in ids if 0 < i < 2**62]))).scalars()}
    unknown = [i for i in ids if i not in found]
    if unknown:
        raise ValidationError(f"unknown account id(s): {', '.join(map(str, unknown))}", field="accounts")
    disabled = [found[i].name for i in ids if found[i].status == "disabled"]
    if disabled:
        raise ValidationError(f"disabled account(s): {', '.join(disabled)}", field="accounts")
    return sorted(ids)


def validate_draft(session: Session, data: Mapping[str, Any], base: MessageVersion | None = None) -> Draft:
    """Turn raw input into a :class:`Draft`; fields missing from ``data`` keep ``base``'s values."""
    limit = settings_of(session).max_body_chars
    if base is None and "body" not in data:
        raise ValidationError("body is required", field="body")
    if base is None and "accounts" not in data:
        raise ValidationError("accounts is required", field="accounts")
    body = clean_text(data["body"], "the text", limit, "body") if "body" in data else base.body
    accounts = _account_ids(session, data["accounts"]) if "accounts" in data else list(base.targets)
    if "variants" in data:
        raw = data["variants"] if data["variants"] is not None else {}
        if not isinstance(raw, dict):
            raise ValidationError("variants must be an object of account id to text", field="variants")
        variants = {}
        for key, text in raw.items():
            try:
                account_id = int(key)
            except (TypeError, ValueError):
                raise ValidationError(f"variant key {key!r} is not an account id", field="variants") from None
            if account_id not in accounts:
                raise ValidationError(f"variant for account {account_id}, which is not a target",
                                      field="variants")
            variants[str(account_id)] = clean_text(text, f"the variant for account {account_id}",
                                                    limit, "variants")
    else:
        variants = {k: v for k, v in (base.variants if base else {}).items() if int(k) in accounts}
    publish_at = parse_publish_at(data["publish_at"]) if "publish_at" in data else (
        base.publish_at if base else None)
    recurrence_raw = data["recurrence"] if "recurrence" in data else (base.recurrence if base else None)
    recurrence = validate_recurrence(recurrence_raw, publish_at)
    # A correction awaiting verification keeps its change note through later edits.
    note = data["change_note"] if "change_note" in data else (base.change_note if base else None)
    if note is not None:
        note = clean_text(note, "the change note", 1000, "change_note")
    return Draft(body, accounts, variants, publish_at, recurrence, note)


# Slugs, links and content -------------------------------------------------------

def slugify(text: str, max_words: int = 8) -> str:
    words = re.findall(r"[a-z0-9]+", unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower())
    return "-".join(words[:max_words])[:80].strip("-") or "update"


def message_link(session: Session, message: Message) -> str:
    """The public page of the message on the force website."""
    return f"{channel_config_of(session).public_base_url.rstrip('/')}/news/{message.slug}"


def link_for(session: Session, message: Message, targets: Iterable[int]) -> str | None:
    """The link other channels carry: the website page, if the website is a target."""
    # A force has a handful of website accounts but a fan-out may target
    # hundreds of others: look up the few, not the many (workers call this for
    # every delivery).
    websites = set(session.execute(select(ChannelAccount.id).where(
        ChannelAccount.kind == "website")).scalars())
    if websites.intersection(targets):
        return message_link(session, message)
    return None


def render_for(account: ChannelAccount, text: str, link: str) -> list[str]:
    """The exact posts ``account`` will carry for ``text``."""
    return channel_class(account.kind).render(text, link)


@dataclass(frozen=True)
class Rendering:
    """What a version carries, as rendered once when it was made and covered by its hash."""

    link: str | None
    posts: dict[str, list[str]]  # target account id -> the exact posts, thread parts in order


def stored_rendering(version: MessageVersion) -> Rendering:
    """The link and each target's exact posts, read from the version's hashed content."""
    content = json.loads(version.content)
    return Rendering(content.get("link"),
                     {key: list(value["posts"]) for key, value in (content.get("rendered") or {}).items()})


def checks_for(session: Session, message: Message, version: MessageVersion) -> dict[str, list[dict]]:
    """Problems per target account, plus ``"all"`` for warnings about the wording.

    Each channel's stored posts are checked as they will be sent: a post the
    channel can no longer carry is an error, never silently rendered again.
    """
    rendering = stored_rendering(version)
    link = rendering.link
    accounts = _accounts_by_id(session, version.targets)
    out: dict[str, list[dict]] = {"all": [p.as_dict() for p in prejudice_warnings(version.body)]}
    for account_id in version.targets:
        account = accounts[account_id]
        text = version.variants.get(str(account_id), version.body)
        adapter = channel_class(account.kind)
        problems: list[Problem] = adapter.check(text, link)
        stored = rendering.posts.get(str(account_id))
        if stored is None:
            problems.append(Problem(f"nothing was rendered for {account.name} in this version",
                                    code="not_rendered"))
        else:
            for number, part in enumerate(stored, 1):
                for reason in adapter.part_problems(part):
                    problems.append(Problem(f"{account.name} cannot carry post {number} as stored: {reason}",
                                            code="unsendable"))
        if account.status == "reconnect":
            problems.append(Problem(f"{account.name} must be reconnected before it can post",
                                    level="error", code="reconnect"))
        out[str(account_id)] = [p.as_dict() for p in problems]
    return out


def has_errors(checks: Mapping[str, list[dict]]) -> bool:
    return any(p["level"] == "error" for problems in checks.values() for p in problems)


def _accounts_by_id(session: Session, ids: Iterable[int]) -> dict[int, ChannelAccount]:
    ids = list(ids)
    return {a.id: a for a in session.execute(
        select(ChannelAccount).where(ChannelAccount.id.in_(ids))).scalars()}


def canonical_content(session: Session, message: Message, draft: Draft) -> tuple[str, str]:
    """The canonical JSON of everything that would go out, and its SHA-256."""
    link = link_for(session, message, draft.accounts)
    accounts = _accounts_by_id(session, draft.accounts)
    rendered = {}
    for account_id in draft.accounts:
        account = accounts[account_id]
        text = draft.variants.get(str(account_id), draft.body)
        rendered[str(account_id)] = {"kind": account.kind, "name": account.name,
                                     "posts": render_for(account, text, link)}
    content = canonical_json({
        "message": message.slug,
        "kind": message.kind,
        "incident": message.incident.slug if message.incident else None,
        "body": draft.body,
        "variants": draft.variants,
        "targets": draft.accounts,
        "publish_at": draft.publish_at.isoformat() if draft.publish_at else None,
        "recurrence": draft.recurrence,
        "change_note": draft.change_note,
        "link": link,
        "rendered": rendered,
    })
    return content, hashlib.sha256(content.encode("utf-8")).hexdigest()


def new_version(session: Session, message: Message, editor: User, draft: Draft) -> MessageVersion:
    """Add the next immutable version of ``message`` with its canonical content and hash."""
    content, digest = canonical_content(session, message, draft)
    message.current_version += 1
    version = MessageVersion(
        message=message, number=message.current_version, editor_id=editor.id, body=draft.body,
        variants=draft.variants, targets=draft.accounts, publish_at=draft.publish_at,
        recurrence=draft.recurrence, change_note=draft.change_note, content=content, content_hash=digest,
    )
    session.add(version)
    session.flush()
    return version


@event.listens_for(Session, "before_flush")
def _versions_are_immutable(session: Session, _context: Any, _instances: Any) -> None:
    """A written version is the record of what was verified: refuse any change to it."""
    for obj in session.dirty:
        if isinstance(obj, MessageVersion) and session.is_modified(obj, include_collections=False):
            raise InvalidStateError("a message version cannot be changed once written: make a new version")
    if any(isinstance(obj, MessageVersion) for obj in session.deleted):
        raise InvalidStateError("a message version cannot be deleted")


# Loading -------------------------------------------------------------------------

def get_message(session: Session, message_id: Any, *, lock: bool = False) -> Message:
    """Load a message (optionally locking its row for the transaction)."""
    if isinstance(message_id, bool) or not isinstance(message_id, int):
        try:
            message_id = int(message_id)
        except (TypeError, ValueError):
            raise NotFoundError(f"no message {message_id!r}") from None
    if not (0 < message_id < 2**62):
        raise NotFoundError(f"no message {message_id}")
    stmt = select(Message).where(Message.id == message_id).options(
        selectinload(Message.versions), selectinload(Message.decisions))
    if lock:
        stmt = stmt.with_for_update()
    message = session.execute(stmt).scalar_one_or_none()
    if message is None:
        raise NotFoundError(f"no message {message_id}")
    if lock:
        # Another transaction may have changed it while we waited for the lock.
        session.refresh(message)
    return message


def _resolve_incident(session: Session, actor: User, value: Any) -> Incident | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValidationError("incident must be an incident id, slug, or {\"title\": ...}", field="incident")
    if isinstance(value, int):
        incident = session.get(Incident, value) if 0 < value < 2**62 else None
    elif isinstance(value, str):
        incident = None
        if "\x00" not in value and is_storable(value):
            incident = session.execute(select(Incident).where(Incident.slug == value)).scalar_one_or_none()
    elif isinstance(value, dict):
        title = clean_text(value.get("title"), "the incident title", 200, "incident")
        area = value.get("area")
        if area is not None and area != "":
            area = clean_text(area, "the incident area", 120, "incident")
        incident = Incident(slug=f"{slugify(title, 6)}-{secrets.token_hex(3)}", title=title,
                            area=area or None, created_by_id=actor.id)
        session.add(incident)
        session.flush()
        audit.record(session, actor, "incident.opened", incident=incident.slug, title=title)
        return incident
    else:
        raise ValidationError("incident must be an incident id, slug, or {\"title\": ...}", field="incident")
    if incident is None:
        raise ValidationError(f"unknown incident {value!r}", field="incident")
    return incident


# Commands ------------------------------------------------------------------------

def create_draft(session: Session, author: User, data: Mapping[str, Any]) -> Message:
    """Save a new draft (version 1). Nothing is lost: it is valid or refused whole."""
    if not isinstance(data, Mapping):
        raise ValidationError("the request body must be a JSON object")
    try:
        incident = _resolve_incident(session, author, data.get("incident"))
        kind = data.get("kind") or ("incident" if incident else "routine")
        if kind not in ("incident", "routine"):
            raise ValidationError("kind must be incident or routine", field="kind")
        draft = validate_draft(session, data)
        if draft.recurrence and kind == "incident":
            raise ValidationError("incident updates cannot recur", field="recurrence")
        message = Message(slug=f"{slugify(draft.body)}-{secrets.token_hex(3)}", kind=kind,
                          incident=incident, author_id=author.id, status=MessageState.DRAFT.value)
        session.add(message)
        session.flush()
        version = new_version(session, message, author, draft)
        audit.record(session, author, "message.drafted", message_id=message.id,
                     version_number=version.number, content_hash=version.content_hash, text=draft.body,
                     targets=draft.accounts)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return message


def can_edit(user: User, message: Message) -> bool:
    """The author and supervisors may change a message; other officers may not."""
    return user.id == message.author_id or user.role in (Role.SUPERVISOR, Role.ADMIN, "supervisor", "admin")


def cancel_unsent(session: Session, message: Message, reason: str) -> list[int]:
    """Cancel every delivery of ``message`` that has not gone out; return their ids."""
    # Locked and re-read, so a delivery a worker claims at this moment is not overwritten.
    rows = session.execute(select(Delivery).where(
        Delivery.message_id == message.id, Delivery.state.in_([s.value for s in UNSENT]))
        .with_for_update().execution_options(populate_existing=True)).scalars().all()
    for d in rows:
        d.state = DeliveryState.CANCELLED.value
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
                                  Delivery.purpose != DeliveryPurpose.WITHDRAW.value)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    busy = [d for d in session.execute(stmt).scalars() if d.state in [s.value for s in IN_FLIGHT]]
    if not busy:
        return None
    names = _accounts_by_id(session, {d.account_id for d in busy})
    where = ", ".join(sorted({names[d.account_id].name for d in busy if d.account_id in names}))
    return (f"version {message.current_version} is being published right now ({where}): change it "
            "with a correction once every channel has finished, so the words that go out are the ones verified")


def refuse_while_publishing(session: Session, message: Message) -> None:
    """Raise :class:`PublishingInProgressError` while a post of ``message`` is in flight (locks its deliveries)."""
    reason = publishing_blocker(session, message, lock=True)
    if reason:
        raise PublishingInProgressError(reason)


def edit_message(session: Session, editor: User, message_id: Any, data: Mapping[str, Any],
                 expected_version: int | None = None) -> Message:
    """Edit: a new version. After submission or approval it voids approvals and
    sends the message back for verification."""
    if not isinstance(data, Mapping):
        raise ValidationError("the request body must be a JSON object")
    try:
        message = get_message(session, message_id, lock=True)
        if not can_edit(editor, message):
            raise PermissionDeniedError("only the author or a supervisor can edit this message")
        status = MessageState(message.status)
        if status in LIVE:
            raise InvalidStateError("this message is live: send a correction instead of an edit")
        if status not in EDITABLE:
            raise InvalidStateError(f"a {status.value.replace('_', ' ')} message cannot be edited")
        if expected_version is not None and expected_version != message.current_version:
            raise StaleVersionError(
                f"you edited version {expected_version} but version {message.current_version} is the latest")
        refuse_while_publishing(session, message)
        latest = message.latest
        draft = validate_draft(session, data, base=latest)
        if draft.recurrence and message.kind == "incident":
            raise ValidationError("incident updates cannot recur", field="recurrence")
        version = new_version(session, message, editor, draft)
        voided = void_approvals(message)
        cancelled = cancel_unsent(session, message, "superseded by an edit") if voided else []
        if status in (MessageState.DRAFT, MessageState.REJECTED):
            message.status = transition(status, MessageState.DRAFT).value
        else:
            message.status = transition(status, MessageState.AWAITING_VERIFICATION).value
        audit.record(session, editor, "message.edited", message_id=message.id,
                     version_number=version.number, content_hash=version.content_hash,
                     text=draft.body, targets=draft.accounts, voided_approvals=voided,
                     cancelled_deliveries=cancelled)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return message


def void_approvals(message: Message) -> int:
    """Void every live approval of ``message``; return how many."""
    count = 0
    now = utcnow()
    for decision in message.decisions:
        if decision.decision == "approved" and decision.voided_at is None:
            decision.voided_at = now
            count += 1
    return count


def submit(session: Session, actor: User, message_id: Any) -> Message:
    """Send a draft for verification. Blocking problems must be fixed first."""
    try:
        message = get_message(session, message_id, lock=True)
        if not can_edit(actor, message):
            raise PermissionDeniedError("only the author or a supervisor can submit this message")
        status = MessageState(message.status)
        if status not in (MessageState.DRAFT, MessageState.REJECTED):
            raise InvalidStateError(f"a {status.value.replace('_', ' ')} message cannot be submitted")
        version = message.latest
        checks = checks_for(session, message, version)
        if has_errors(checks):
            first = next(p["message"] for ps in checks.values() for p in ps if p["level"] == "error")
            raise ValidationError(f"fix this before submitting: {first}", field="body")
        message.status = transition(status, MessageState.AWAITING_VERIFICATION).value
        message.rejection_reason = None
        audit.record(session, actor, "message.submitted", message_id=message.id,
                     version_number=version.number, content_hash=version.content_hash)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return message


def contributors(message: Message, up_to: int | None = None) -> set[int]:
    """Everyone who wrote or edited the message (up to version ``up_to``)."""
    ids = {message.author_id}
    ids.update(v.editor_id for v in message.versions if up_to is None or v.number <= up_to)
    return ids


def approval_blocker(user: User, message: Message) -> str | None:
    """Why ``user`` may not approve the latest version, or None if they may."""
    if not user.is_supervisor:
        return "only a supervisor can verify messages"
    if user.id in contributors(message):
        return "you wrote or edited this message, so someone else must verify it"
    if message.status != MessageState.AWAITING_VERIFICATION.value:
        return f"the message is {str(message.status).replace('_', ' ')}, not awaiting verification"
    return None


def _parse_version(version: Any) -> int:
    if isinstance(version, bool) or not isinstance(version, int):
        raise ValidationError("version must be the integer number of the version you verified",
                              field="version")
    return version


def approve(session: Session, reviewer: User, message_id: Any, version: Any,
            content_hash: str | None = None, *, now: dt.datetime | None = None) -> Message:
    """Approve version ``version`` and create its deliveries in the same transaction."""
    version_number = _parse_version(version)
    now = now or utcnow()
    try:
        if not reviewer.is_supervisor:
            raise PermissionDeniedError("only a supervisor can verify messages")
        message = get_message(session, message_id, lock=True)
        if version_number != message.current_version:
            raise StaleVersionError(
                f"version {version_number} is not the latest (version {message.current_version} is); "
                "read the latest version before approving")
        target = message.latest
        if content_hash is not None and content_hash != target.content_hash:
            raise StaleVersionError("the version's content does not match what you verified")
        if message.status != MessageState.AWAITING_VERIFICATION.value:
            raise InvalidStateError(
                f"the message is {str(message.status).replace('_', ' ')}, not awaiting verification")
        if reviewer.id in contributors(message):
            raise TwoPersonRuleError("you wrote or edited this message, so someone else must verify it")
        # Through the collection, so the message shown after approving lists this decision.
        message.decisions.append(Decision(version_id=target.id, version_number=target.number,
                                          content_hash=target.content_hash, decision="approved",
                                          reviewer_id=reviewer.id))
        try:
            session.flush()
        except IntegrityError:
            raise ConflictError("this version has already been approved") from None
        deliveries, state = plan_deliveries(session, message, target, now)
        message.status = transition(message.status, state).value
        audit.record(session, reviewer, "message.approved", message_id=message.id,
                     version_number=target.number, content_hash=target.content_hash,
                     text=target.body, state=state.value, deliveries=[d.id for d in deliveries])
        due = [d.id for d in deliveries if d.state == DeliveryState.PENDING.value and d.due_at <= now]
        wake_after_commit(session, due)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return message


def plan_deliveries(session: Session, message: Message, version: MessageVersion,
                    now: dt.datetime) -> tuple[list[Delivery], MessageState]:
    """Create the deliveries of an approved version; return them and the message's new state.

    For a message that is already live, accounts with a live post get a
    correction of it; new accounts get a first publication.
    """
    settings = settings_of(session)
    late = (version.publish_at is not None and not version.recurrence
            and version.publish_at < now - dt.timedelta(seconds=settings.late_grace_seconds))
    if version.recurrence:
        due_at = next_occurrence(version.publish_at, version.recurrence, now) if version.publish_at else now
        if due_at is None:
            raise ValidationError("the recurrence has no occurrences left", field="recurrence")
    else:
        due_at = version.publish_at if version.publish_at and version.publish_at > now else now
    live = {d.account_id: d for d in session.execute(select(Delivery).where(
        Delivery.message_id == message.id, Delivery.purpose == DeliveryPurpose.PUBLISH.value,
        # A post still in flight counts as live: its correction waits for it to
        # settle instead of publishing the account a second time.
        Delivery.state.in_([DeliveryState.SENT.value, DeliveryState.SENDING.value,
                            DeliveryState.UNKNOWN.value])).order_by(Delivery.id)).scalars()}
    queue = "incident" if message.kind == "incident" else "routine"
    rows = []
    for account_id in version.targets:
        parent = live.get(account_id)
        rows.append(Delivery(
            message_id=message.id, version_id=version.id, account_id=account_id,
            purpose=(DeliveryPurpose.CORRECT if parent else DeliveryPurpose.PUBLISH).value,
            parent_id=parent.id if parent else None, queue=queue,
            state=(DeliveryState.HELD if late else DeliveryState.PENDING).value,
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


def reject(session: Session, reviewer: User, message_id: Any, reason: Any, version: Any = None) -> Message:
    """Reject with a reason; the message goes back to its author as a draft."""
    reason_text = clean_text(reason, "the reason", MAX_REASON, "reason") if reason is not None else None
    if not reason_text:
        raise ValidationError("a rejection needs a reason", field="reason")
    try:
        if not reviewer.is_supervisor:
            raise PermissionDeniedError("only a supervisor can verify messages")
        message = get_message(session, message_id, lock=True)
        if version is not None and _parse_version(version) != message.current_version:
            raise StaleVersionError(f"version {version} is not the latest (version {message.current_version} is)")
        if message.status != MessageState.AWAITING_VERIFICATION.value:
            raise InvalidStateError(
                f"the message is {str(message.status).replace('_', ' ')}, not awaiting verification")
        target = message.latest
        message.decisions.append(Decision(version_id=target.id, version_number=target.number,
                                          content_hash=target.content_hash, decision="rejected",
                                          reviewer_id=reviewer.id, reason=reason_text))
        message.status = transition(message.status, MessageState.REJECTED).value
        message.rejection_reason = reason_text
        audit.record(session, reviewer, "message.rejected", message_id=message.id,
                     version_number=target.number, content_hash=target.content_hash, reason=reason_text)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return message


# Views -------------------------------------------------------------------------

def version_as_dict(version: MessageVersion) -> dict[str, Any]:
    rendering = stored_rendering(version)
    return {
        "number": version.number,
        "editor": version.editor.username if version.editor else None,
        "created_at": version.created_at.isoformat(),
        "body": version.body,
        "variants": dict(version.variants or {}),
        "accounts": list(version.targets),
        "publish_at": version.publish_at.isoformat() if version.publish_at else None,
        "recurrence": version.recurrence,
        "change_note": version.change_note,
        "link": rendering.link,
        "posts": rendering.posts,
        "content_hash": version.content_hash,
    }


def delivery_as_dict(d: Delivery) -> dict[str, Any]:
    return {
        "id": d.id,
        "account": d.account_id,
        "account_name": d.account.name if d.account else None,
        "kind": d.account.kind if d.account else None,
        "version": d.version.number if d.version else None,
        "purpose": d.purpose,
        "state": d.state,
        "due_at": d.due_at.isoformat() if d.due_at else None,
        "remote_id": d.remote_id,
        "url": d.url,
        "attempts": d.attempts,
        "last_error": d.last_error,
    }


def message_as_dict(session: Session, message: Message, with_checks: bool = False) -> dict[str, Any]:
    """The API view of a message."""
    out = {
        "id": message.id,
        "slug": message.slug,
        "kind": message.kind,
        "incident": message.incident.slug if message.incident else None,
        "status": message.status,
        "version": message.current_version,
        "author": message.author.username,
        "rejection_reason": message.rejection_reason,
        "link": message_link(session, message),
        "versions": [version_as_dict(v) for v in message.versions],
        "decisions": [{
            "version": d.version_number, "decision": d.decision, "reviewer": d.reviewer.username,
            "reason": d.reason, "at": d.created_at.isoformat(), "voided": d.voided_at is not None,
        } for d in message.decisions],
        "deliveries": [delivery_as_dict(d) for d in message.deliveries],
    }
    if with_checks:
        out["checks"] = checks_for(session, message, message.latest)
    return out


def post_for(message: Message, version: MessageVersion, account: ChannelAccount) -> Post:
    """What ``account`` carries for ``version``: the posts stored and hashed when it was made."""
    rendering = stored_rendering(version)
    parts = rendering.posts.get(str(account.id))
    if not parts:
        raise ValidationError(f"version {version.number} has no verified text for {account.name}",
                              field="accounts")
    return Post(
        text=version.variants.get(str(account.id), version.body),
        link=rendering.link,
        parts=tuple(parts),
        slug=message.slug,
        title=(message.incident.title if message.incident else None),
        incident_slug=message.incident.slug if message.incident else None,
        incident_title=message.incident.title if message.incident else None,
        version=version.number,
        change_note=version.change_note,
        published_at=message.published_at,
    )
