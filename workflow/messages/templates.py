"""The template library: approved wordings with named placeholders.

Supervisors and admins create, edit and retire templates; everyone who drafts
fills them. A filled template is only the start of an ordinary draft: the same
checks, the same two-person rule. A template is never deleted (messages point
to the one they were made from); retiring takes it out of the picker.
"""
from __future__ import annotations

from typing import Any, Mapping

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workflow.accounts import policy
from workflow.accounts.models import ChannelAccount, User
from workflow.accounts.policy import Action
from workflow.audit import chain as audit
from workflow.core.database import utcnow
from workflow.core.errors import ConflictError, InvalidStateError, NotFoundError, ValidationError
from workflow.core.runtime import settings_of
from workflow.core.text import clean_text, is_id
from workflow.core.unit_of_work import transactional
from workflow.messages.appeal_rules import parse_appeal
from workflow.messages.library import ensure_library
from workflow.messages.models import MessageKind, MessageTemplate
from workflow.messages.placeholders import Filled, check_template_body, clean_values, fill, placeholders

FIELDS = ("name", "kind", "body", "accounts", "appeal", "retired")
MAX_NAME = 120


class TemplateNameTakenError(ConflictError):
    code = "template_name_taken"


def list_templates(session: Session, *, include_retired: bool = False) -> list[MessageTemplate]:
    """The templates by name (retired ones only if asked); the shipped library is written on first use."""
    ensure_library(session)
    stmt = select(MessageTemplate).order_by(func.lower(MessageTemplate.name), MessageTemplate.id)
    if not include_retired:
        stmt = stmt.where(MessageTemplate.retired_at.is_(None))
    return list(session.execute(stmt).scalars())


def get_template(session: Session, template_id: Any, *, lock: bool = False) -> MessageTemplate:
    """One template by id, or :class:`NotFoundError`."""
    if isinstance(template_id, str) and template_id.strip().isdigit():
        template_id = int(template_id.strip())
    if not is_id(template_id):
        raise NotFoundError(f"no template {template_id!r}")
    ensure_library(session)
    stmt = select(MessageTemplate).where(MessageTemplate.id == template_id)
    if lock:
        stmt = stmt.with_for_update()
    template = session.execute(stmt).scalar_one_or_none()
    if template is None:
        raise NotFoundError(f"no template {template_id}")
    return template


def template_by_key(session: Session, key: str) -> MessageTemplate | None:
    """The active shipped template with this key, if the desk has not retired it."""
    ensure_library(session)
    return session.execute(select(MessageTemplate).where(
        MessageTemplate.key == key, MessageTemplate.retired_at.is_(None))).scalar_one_or_none()


def usable_template(session: Session, template_id: Any, field: str = "template") -> MessageTemplate:
    """A template a draft may be made from: it exists and is not retired (else a 422 naming ``field``)."""
    try:
        template = get_template(session, template_id)
    except NotFoundError:
        raise ValidationError(f"there is no template {template_id!r}", field=field) from None
    if template.retired_at is not None:
        raise ValidationError(f"the template “{template.name}” is retired: choose another", field=field)
    return template


def _name(session: Session, value: Any, current: MessageTemplate | None) -> str:
    name = clean_text(value, "the template's name", MAX_NAME, "name")
    clash = session.execute(select(MessageTemplate.id).where(
        func.lower(MessageTemplate.name) == name.lower())).scalars().first()
    if clash is not None and (current is None or clash != current.id):
        raise TemplateNameTakenError(f"there is already a template called “{name}”", field="name")
    return name


def _kind(value: Any) -> MessageKind:
    try:
        return MessageKind(value)
    except ValueError:
        raise ValidationError("kind must be incident or routine", field="kind") from None


def _body(session: Session, value: Any) -> str:
    body = clean_text(value, "the template's text", settings_of(session).max_body_chars, "body")
    check_template_body(body)
    return body


def _accounts(session: Session, value: Any) -> list[int]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(is_id(i) for i in value):
        raise ValidationError("accounts must be a list of account ids", field="accounts")
    ids = sorted(set(value))
    if len(ids) > 1000:
        raise ValidationError("at most 1000 default accounts", field="accounts")
    found = set(session.execute(select(ChannelAccount.id).where(ChannelAccount.id.in_(ids))).scalars())
    unknown = [i for i in ids if i not in found]
    if unknown:
        raise ValidationError(f"unknown account id(s): {', '.join(map(str, unknown))}", field="accounts")
    return ids


def _record(session: Session, actor: User, action: str, template: MessageTemplate, **details: Any) -> None:
    audit.record(session, actor, action, template=template.id, name=template.name, kind=template.kind,
                 text=template.body, revision=template.revision, **details)


@transactional
def create_template(session: Session, actor: User, data: Mapping[str, Any]) -> MessageTemplate:
    """Add a template to the library (supervisors and admins)."""
    policy.require(actor, Action.MANAGE_TEMPLATES)
    ensure_library(session)  # the desk's first own template must not stop the library being written
    for required in ("name", "body"):
        if data.get(required) is None:
            raise ValidationError(f"{required} is required", field=required)
    template = MessageTemplate(
        name=_name(session, data["name"], None), kind=_kind(data.get("kind") or MessageKind.INCIDENT),
        body=_body(session, data["body"]), accounts=_accounts(session, data.get("accounts")),
        appeal=parse_appeal(data.get("appeal")), revision=1, created_by_id=actor.id, updated_by_id=actor.id)
    session.add(template)
    session.flush()
    _record(session, actor, "template.created", template, placeholders=placeholders(template.body))
    return template


@transactional
def edit_template(session: Session, actor: User, template_id: Any, data: Mapping[str, Any]) -> MessageTemplate:
    """Change a template's fields; ``retired`` retires it or brings it back. Each change is audited."""
    policy.require(actor, Action.MANAGE_TEMPLATES)
    template = get_template(session, template_id, lock=True)
    changed: list[str] = []
    if "name" in data and data["name"] is not None:
        name = _name(session, data["name"], template)
        if name != template.name:
            template.name, changed = name, changed + ["name"]
    if "kind" in data and data["kind"] is not None:
        kind = _kind(data["kind"])
        if kind != template.kind:
            template.kind, changed = kind, changed + ["kind"]
    if "body" in data and data["body"] is not None:
        body = _body(session, data["body"])
        if body != template.body:
            template.body, changed = body, changed + ["body"]
    if "accounts" in data:
        accounts = _accounts(session, data["accounts"])
        if accounts != list(template.accounts or []):
            template.accounts, changed = accounts, changed + ["accounts"]
    if "appeal" in data:
        appeal = parse_appeal(data["appeal"])
        if appeal != template.appeal:
            template.appeal, changed = appeal, changed + ["appeal"]
    retire = None
    if "retired" in data and data["retired"] is not None:
        if not isinstance(data["retired"], bool):
            raise ValidationError("retired must be true or false", field="retired")
        if data["retired"] != (template.retired_at is not None):
            retire = data["retired"]
    if not changed and retire is None:
        return template
    if changed:
        template.revision += 1
        template.updated_by_id = actor.id
        template.updated_at = utcnow()
        _record(session, actor, "template.edited", template, changed=changed)
    if retire is not None:
        _set_retired(session, actor, template, retire)
    return template


def _set_retired(session: Session, actor: User, template: MessageTemplate, retired: bool) -> None:
    template.retired_at = utcnow() if retired else None
    template.updated_by_id = actor.id
    _record(session, actor, "template.retired" if retired else "template.restored", template)


@transactional
def retire_template(session: Session, actor: User, template_id: Any) -> MessageTemplate:
    """Take a template out of use (it stays on record; messages made from it keep pointing at it)."""
    policy.require(actor, Action.MANAGE_TEMPLATES)
    template = get_template(session, template_id, lock=True)
    if template.retired_at is None:
        _set_retired(session, actor, template, True)
    return template


def fill_template(session: Session, actor: User, template_id: Any, values: Any) -> Filled:
    """The template's text with ``values`` put in; the placeholders without a value are ``missing``."""
    policy.require(actor, Action.DRAFT)
    template = get_template(session, template_id)
    if template.retired_at is not None:
        raise InvalidStateError(f"the template “{template.name}” is retired")
    names = placeholders(template.body)
    return fill(template.body, clean_values(values, names))
