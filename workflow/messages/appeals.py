"""The appeal lifecycle: a missing-person appeal is closed in one step once the person is found.

1. ``report_found`` drafts the short "found, thank you" update from the
   found-safe template (the person's name and where they were missing from,
   never their description), links it to the appeal and submits it: it is
   verified like any other message, by someone else.
2. Once that update is out (its first post is live), ``close_if_found``
   withdraws every message of the appeal through the ordinary withdrawal, on
   every channel, and marks the appeal closed, exactly once: the appeal's first
   message is locked and its ``appeal_closed_at`` decides. The delivery engine
   calls it as soon as the update's first post lands, and the sweeper on every
   pass, so a crash in between loses nothing. A rejected update closes nothing.
3. ``appeals`` lists appeals and says which have been live longer than
   ``CRIER_APPEAL_REMIND_AFTER``, for the console's reminder and the API.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from workflow.accounts import policy
from workflow.accounts.models import User
from workflow.accounts.policy import Action
from workflow.audit import chain as audit
from workflow.core.database import utcnow
from workflow.core.errors import InvalidStateError, PermissionDeniedError, ValidationError
from workflow.core.runtime import settings_of
from workflow.core.text import clean_text
from workflow.core.unit_of_work import transactional
from workflow.messages import drafts, review
from workflow.messages.appeal_rules import appeal_root, parse_appeal
from workflow.messages.corrections import take_down
from workflow.messages.library import FOUND_SAFE
from workflow.messages.models import Message
from workflow.messages.placeholders import clean_values, fill, placeholders
from workflow.messages.queries import get_message
from workflow.messages.states import MessageState
from workflow.messages.templates import template_by_key

#: What a found update may say about the person: never their description.
FOUND_VALUES = ("name", "location")
CLOSE_REASON = "the person has been found: the appeal is closed"
#: The found update when the found-safe template is retired or the person's name was not recorded.
FOUND_WITHOUT_NAME = ("Update: the person we appealed for help to find has been found safe. Thank you to everyone "
                      "who shared our appeal. We have removed it, and ask anyone who shared it to delete their "
                      "posts too.")
#: At most this many appeals are listed (newest first).
LIST_LIMIT = 200


class NotAnAppealError(InvalidStateError):
    code = "not_an_appeal"


def members(session: Session, root: Message) -> list[Message]:
    """The appeal's messages: its first one and every later appeal message naming it, oldest first."""
    later = session.execute(select(Message).where(Message.appeal_of_id == root.id, Message.appeal.is_not(None))
                            .order_by(Message.id)).scalars().all()
    return [root, *later]


def found_update(session: Session, root: Message) -> Message | None:
    """The appeal's found update that is still in play (not withdrawn), if any."""
    return session.execute(select(Message).where(
        Message.closes_appeal_id == root.id, Message.status != MessageState.WITHDRAWN)
        .order_by(Message.id.desc())).scalars().first()


def _found_text(session: Session, root: Message, text: Any, values: Any) -> tuple[str, dict[str, Any]]:
    """The update's text and the template fields of the draft (none when the desk wrote the text)."""
    limit = settings_of(session).max_body_chars
    if text is not None:
        return clean_text(text, "the found update", limit, "text"), {}
    template = template_by_key(session, FOUND_SAFE)
    names = placeholders(template.body) if template is not None else list(FOUND_VALUES)
    if isinstance(values, dict) and "description" in values:
        raise ValidationError("a found update never repeats the person's description", field="values")
    given = clean_values(values, names)
    if template is None:
        return FOUND_WITHOUT_NAME, {}
    known = {k: v for k, v in (root.template_values or {}).items() if k in FOUND_VALUES and k in names}
    filled = fill(template.body, {**known, **given})
    if filled.missing:
        # The appeal did not record the name (it was written by hand): say it without one.
        return FOUND_WITHOUT_NAME, {}
    return filled.text, {"template": template.id, "values": filled.values}


def _refuse_description(root: Message, group: list[Message], text: str) -> None:
    for message in group:
        description = (message.template_values or {}).get("description") or ""
        if len(description) >= 6 and description.casefold() in text.casefold():
            raise ValidationError("the found update repeats the person's description: leave it out, the appeal "
                                  "that carried it is being withdrawn", field="text")


@transactional
def report_found(session: Session, actor: User, message_id: Any, text: Any = None, values: Any = None) -> Message:
    """Draft and submit the found update of the appeal ``message_id`` belongs to; returns the update."""
    policy.require(actor, Action.DRAFT)
    message = get_message(session, message_id)
    if message.appeal is None:
        raise NotAnAppealError(f"message {message.id} is not an appeal")
    root = get_message(session, appeal_root(session, message).id, lock=True)
    if root.appeal_closed_at is not None:
        raise InvalidStateError(f"the appeal of message {root.id} is already closed")
    existing = found_update(session, root)
    if existing is not None:
        raise InvalidStateError(f"message {existing.id} is already this appeal's found update: "
                                "edit or withdraw it instead")
    group = [m for m in members(session, root) if m.status != MessageState.WITHDRAWN]
    if not group:
        raise InvalidStateError("every message of this appeal has been withdrawn: there is nothing to close")
    body, template_fields = _found_text(session, root, text, values)
    _refuse_description(root, group, body)
    accounts = sorted({a for m in group for a in m.latest.targets})
    update = drafts.create_draft(session, actor, {
        "body": body, "accounts": accounts, "incident": root.incident_id, "kind": str(root.kind),
        "appeal": None, "closes_appeal": root.id, **template_fields})
    review.submit(session, actor, update.id)
    audit.record(session, actor, "appeal.found", message_id=root.id, found_update=update.id,
                 appeal_messages=[m.id for m in group])
    return update


@transactional
def set_appeal(session: Session, actor: User, message_id: Any, appeal: Any) -> Message:
    """Mark a message as an appeal of a kind, or as none; audited. Makes no new version."""
    kind = parse_appeal(appeal)
    message = get_message(session, message_id, lock=True)
    if not policy.can_edit(actor, message):
        raise PermissionDeniedError("only the author or a supervisor can change this message")
    if kind == message.appeal:
        return message
    if message.appeal_closed_at is not None or message.closes_appeal_id is not None:
        raise InvalidStateError("a closed appeal or a found update cannot change what it is")
    if kind is None and session.execute(select(Message.id).where(Message.appeal_of_id == message.id)
                                        .limit(1)).first() is not None:
        raise InvalidStateError("later appeal messages name this one: it stays an appeal")
    message.appeal = kind
    audit.record(session, actor, "message.appeal_marked", message_id=message.id,
                 version_number=message.current_version, appeal=kind)
    return message


@transactional
def close_if_found(session: Session, message_id: int, *, now: dt.datetime | None = None) -> list[int]:
    """If ``message_id`` is a found update that is out, withdraw its appeal everywhere (once).

    Returns the ids of the messages withdrawn now (empty if there was nothing to do).
    """
    update = session.get(Message, message_id, populate_existing=True)
    if (update is None or update.closes_appeal_id is None or update.published_at is None
            or update.status == MessageState.WITHDRAWN):
        return []
    root = get_message(session, update.closes_appeal_id, lock=True)
    if root.appeal_closed_at is not None:
        return []
    now = now or utcnow()
    # Every message is locked before the first withdrawal appends to the audit chain: an outcome
    # being recorded for one of them waits for us, never we for it while holding the chain.
    locked = [get_message(session, m.id, lock=True) for m in members(session, root)]
    withdrawn = []
    for member in locked:
        if member.status == MessageState.WITHDRAWN:
            continue
        take_down(session, None, member, CLOSE_REASON, now=now, found_update=update.id)
        withdrawn.append(member.id)
    root.appeal_closed_at = now
    approval = next((d for d in reversed(update.decisions) if d.decision == "approved" and d.voided_at is None),
                    None)
    audit.record(session, None, "appeal.closed", message_id=root.id, found_update=update.id,
                 withdrawn=withdrawn, verified_by=approval.reviewer.username if approval else None)
    return withdrawn


def found_updates_out(session: Session, limit: int = 100) -> list[int]:
    """Found updates that are out while their appeal is still open (the sweeper closes them)."""
    root = aliased(Message)
    return list(session.execute(
        select(Message.id).join(root, root.id == Message.closes_appeal_id)
        .where(Message.published_at.is_not(None), Message.status != MessageState.WITHDRAWN,
               root.appeal_closed_at.is_(None)).order_by(Message.id).limit(limit)).scalars())


@dataclasses.dataclass(frozen=True)
class Appeal:
    """Where one appeal stands: ``live`` (posts are up), ``closing`` (up, a found update on its way),
    ``closed``, ``not_out`` (nothing published yet) or ``withdrawn`` (taken down without a found update)."""

    root: Message
    kind: str
    status: str
    messages: list[int]
    live_since: dt.datetime | None
    live_seconds: int | None
    overdue: bool
    found_update: Message | None
    closed_at: dt.datetime | None

    @property
    def live(self) -> bool:
        return self.status in ("live", "closing")


def _appeal(session: Session, root: Message, now: dt.datetime, remind_after: int) -> Appeal:
    group = members(session, root)
    update = session.execute(select(Message).where(Message.closes_appeal_id == root.id)
                             .order_by(Message.id.desc())).scalars().first()
    out = [m for m in group if m.published_at is not None and m.status != MessageState.WITHDRAWN]
    since = min((m.published_at for m in out), default=None)
    if root.appeal_closed_at is not None:
        status = "closed"
    elif out:
        status = "closing" if update is not None and update.status != MessageState.WITHDRAWN else "live"
    elif all(m.status == MessageState.WITHDRAWN for m in group):
        status = "withdrawn"
    else:
        status = "not_out"
    seconds = int((now - since).total_seconds()) if since is not None and status in ("live", "closing") else None
    return Appeal(root, str(root.appeal), status, [m.id for m in group], since if seconds is not None else None,
                  seconds, seconds is not None and seconds >= remind_after, update, root.appeal_closed_at)


def appeals(session: Session, *, live_only: bool = False, overdue_only: bool = False,
            now: dt.datetime | None = None) -> list[Appeal]:
    """Appeals, newest first: every one, or only those still live, or only those live too long."""
    now = now or utcnow()
    remind_after = settings_of(session).appeal_remind_after
    stmt = select(Message).where(Message.appeal.is_not(None), Message.appeal_of_id.is_(None))
    if live_only or overdue_only:
        stmt = stmt.where(Message.appeal_closed_at.is_(None))
    roots = session.execute(stmt.order_by(Message.id.desc()).limit(LIST_LIMIT)).scalars().all()
    found = [_appeal(session, r, now, remind_after) for r in roots]
    if live_only:
        found = [a for a in found if a.live]
    if overdue_only:
        found = [a for a in found if a.overdue]
    return found
