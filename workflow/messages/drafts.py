"""Drafts and edits: what an officer asks for, validated whole, saved as a new
immutable version (an edit after submission voids approvals and goes back for
verification)."""
from __future__ import annotations

import secrets
from typing import Any, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.accounts import policy
from workflow.accounts.models import ChannelAccount, User
from workflow.accounts.policy import Action, can_edit
from workflow.audit import chain as audit
from workflow.core.errors import InvalidStateError, PermissionDeniedError, StaleVersionError, ValidationError
from workflow.core.runtime import settings_of
from workflow.core.text import clean_text, slugify
from workflow.core.unit_of_work import transactional
from workflow.delivery.planning import cancel_unsent, refuse_while_publishing
from workflow.media.service import validate_images
from workflow.messages import legal
from workflow.messages.appeal_rules import earlier_appeal, parse_appeal
from workflow.messages.incidents import resolve_incident
from workflow.messages.models import Message, MessageTemplate, MessageVersion
from workflow.messages.placeholders import clean_values, placeholders
from workflow.messages.queries import get_message
from workflow.messages.review import void_approvals
from workflow.messages.states import EDITABLE, LIVE, MessageState, transition
from workflow.messages.templates import usable_template
from workflow.messages.versions import Draft, new_version, stored_images
from workflow.notices import events as notices
from workflow.scheduling.rules import parse_publish_at, validate_recurrence


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
    if "images" in data:
        images = validate_images(session, data["images"])
    else:
        images = stored_images(base) if base is not None else []
    return Draft(body, accounts, variants, publish_at, recurrence, note, images)


@transactional
def create_draft(session: Session, author: User, data: Mapping[str, Any]) -> Message:
    """Save a new draft (version 1). Nothing is lost: it is valid or refused whole."""
    policy.require(author, Action.DRAFT)
    if not isinstance(data, Mapping):
        raise ValidationError("the request body must be a JSON object")
    incident = resolve_incident(session, author, data.get("incident"))
    template = usable_template(session, data["template"]) if data.get("template") is not None else None
    kind = data.get("kind") or ("incident" if incident else template.kind if template else "routine")
    if kind not in ("incident", "routine"):
        raise ValidationError("kind must be incident or routine", field="kind")
    draft = validate_draft(session, data)
    if draft.recurrence and kind == "incident":
        raise ValidationError("incident updates cannot recur", field="recurrence")
    links = appeal_fields(session, data, template)
    own = legal.parse_changes(data["legal"]) if data.get("legal") is not None else {}
    if any(own.values()):
        policy.require(author, Action.RECORD_LEGAL)
    message = Message(slug=f"{slugify(draft.body)}-{secrets.token_hex(3)}", kind=kind,
                      incident=incident, author_id=author.id, status=MessageState.DRAFT,
                      template_id=template.id if template else None,
                      legal={name: True for name, flag in own.items() if flag}, **links)
    session.add(message)
    session.flush()
    version = new_version(session, message, author, draft)
    more = {k: v for k, v in (("template", message.template_id), ("appeal", message.appeal),
                              ("appeal_of", message.appeal_of_id),
                              ("closes_appeal", message.closes_appeal_id)) if v is not None}
    audit.record(session, author, "message.drafted", message_id=message.id,
                 version_number=version.number, content_hash=version.content_hash, text=draft.body,
                 targets=draft.accounts, **more,
                 **({"legal": legal.flags(message.legal)} if message.legal else {}))
    return message


@transactional
def adopt_template(session: Session, actor: User, message_id: Any, template_id: Any, values: Any) -> Message:
    """Record that a draft's text was filled from a template (once; the appeal kind follows it)."""
    message = get_message(session, message_id, lock=True)
    if not can_edit(actor, message):
        raise PermissionDeniedError("only the author or a supervisor can edit this message")
    if message.template_id is not None or message.status not in (MessageState.DRAFT, MessageState.REJECTED):
        return message
    template = usable_template(session, template_id)
    links = appeal_fields(session, {"values": values}, template)
    message.template_id = template.id
    message.template_values = links.get("template_values")
    message.appeal = message.appeal or links["appeal"]
    audit.record(session, actor, "message.template_used", message_id=message.id,
                 version_number=message.current_version, template=template.id, appeal=message.appeal)
    return message


def appeal_fields(session: Session, data: Mapping[str, Any], template: MessageTemplate | None) -> dict[str, Any]:
    """A new message's template values and appeal links, from the request and its template."""
    out: dict[str, Any] = {}
    if data.get("values") is not None:
        if template is None:
            raise ValidationError("values are the placeholders of a template: name the template too",
                                  field="values")
        out["template_values"] = clean_values(data["values"], placeholders(template.body)) or None
    appeal = parse_appeal(data["appeal"]) if "appeal" in data else (template.appeal if template else None)
    if data.get("appeal_of") is not None:
        root = earlier_appeal(session, data["appeal_of"])
        out["appeal_of_id"] = root.id
        appeal = appeal or root.appeal
    out["appeal"] = appeal
    if data.get("closes_appeal") is not None:
        # Set only by workflow.messages.appeals, which has checked the appeal.
        out["closes_appeal_id"] = data["closes_appeal"]
    return out


@transactional
def edit_message(session: Session, editor: User, message_id: Any, data: Mapping[str, Any],
                 expected_version: int | None = None) -> Message:
    """Edit: a new version. After submission or approval it voids approvals and
    sends the message back for verification."""
    if not isinstance(data, Mapping):
        raise ValidationError("the request body must be a JSON object")
    message = get_message(session, message_id, lock=True)
    if not can_edit(editor, message):
        raise PermissionDeniedError("only the author or a supervisor can edit this message")
    context = data.get("legal")
    data = {key: value for key, value in data.items() if key != "legal"}
    if context is not None and not data:
        # Only the legal context: no new version; the checks run again under it.
        if expected_version is not None and expected_version != message.current_version:
            raise StaleVersionError(
                f"you edited version {expected_version} but version {message.current_version} is the latest")
        legal.change_message_context(session, editor, message, context)
        return message
    status = MessageState(message.status)
    if status in LIVE:
        raise InvalidStateError("this message is live: send a correction instead of an edit")
    if status not in EDITABLE:
        raise InvalidStateError(f"a {status.replace('_', ' ')} message cannot be edited")
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
        message.status = transition(status, MessageState.DRAFT)
    else:
        message.status = transition(status, MessageState.AWAITING_VERIFICATION)
    audit.record(session, editor, "message.edited", message_id=message.id,
                 version_number=version.number, content_hash=version.content_hash,
                 text=draft.body, targets=draft.accounts, voided_approvals=voided,
                 cancelled_deliveries=cancelled)
    if message.status == MessageState.AWAITING_VERIFICATION and status != MessageState.AWAITING_VERIFICATION:
        # Approved before, so back for verification: the supervisors are told as for a submission.
        notices.message_submitted(session, message, by=editor, what="an edit of ")
    if context is not None:
        legal.change_message_context(session, editor, message, context)
    return message
