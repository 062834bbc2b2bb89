"""Incidents: opening, renaming, closing and reopening one, finding one by id or slug, and
opening one with a message."""
from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workflow.accounts import policy
from workflow.accounts.models import User
from workflow.accounts.policy import Action
from workflow.audit import chain as audit
from workflow.core.database import utcnow
from workflow.core.errors import NotFoundError, ValidationError
from workflow.core.text import clean_text, is_storable, slugify
from workflow.core.unit_of_work import transactional
from workflow.messages import legal
from workflow.messages.models import Incident, IncidentStatus, Message

MAX_TITLE = 200
MAX_AREA = 120


def resolve_incident(session: Session, actor: User, value: Any) -> Incident | None:
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
        flag = value.get("exercise", False)
        if not isinstance(flag, bool):
            raise ValidationError("incident exercise must be true or false", field="incident")
        changes = legal.parse_changes(value["legal"], "incident") if value.get("legal") is not None else {}
        incident = _open(session, actor, value.get("title"), value.get("area"), exercise=flag,
                         fields=("incident", "incident"))
        if any(changes.values()):
            legal.change_incident_context(session, actor, incident, changes)
        return incident
    else:
        raise ValidationError("incident must be an incident id, slug, or {\"title\": ...}", field="incident")
    if incident is None:
        raise ValidationError(f"unknown incident {value!r}", field="incident")
    return incident


def _open(session: Session, actor: User, title: Any, area: Any, *, exercise: bool = False,
          fields: tuple[str, str] = ("title", "area")) -> Incident:
    """Open an incident; ``fields`` name the request fields a refusal points at (title, area)."""
    title_text = clean_text(title, "the incident title", MAX_TITLE, fields[0])
    area_text = None
    if area is not None and area != "":
        area_text = clean_text(area, "the incident area", MAX_AREA, fields[1])
    incident = Incident(slug=f"{slugify(title_text, 6)}-{secrets.token_hex(3)}", title=title_text,
                        area=area_text, created_by_id=actor.id, exercise=exercise)
    session.add(incident)
    session.flush()
    audit.record(session, actor, "incident.opened", incident=incident.slug, title=title_text,
                 **({"exercise": True} if exercise else {}))
    return incident


@transactional
def open_incident(session: Session, actor: User, title: Any, area: Any = None, *, exercise: bool = False,
                  legal_context: Any = None) -> Incident:
    """Open an incident (with its legal context, if known); its messages go out on the fast
    queue and are never paused.

    Whether it is an exercise is fixed when it is opened: a live incident never
    becomes an exercise, nor an exercise a live incident.
    """
    policy.require(actor, Action.DRAFT)
    if not isinstance(exercise, bool):
        raise ValidationError("exercise must be true or false", field="exercise")
    changes = legal.parse_changes(legal_context) if legal_context is not None else {}
    incident = _open(session, actor, title, area, exercise=exercise)
    if any(changes.values()):
        legal.change_incident_context(session, actor, incident, changes)
    return incident


def get_incident(session: Session, incident_id: Any, *, lock: bool = False) -> Incident:
    if isinstance(incident_id, bool) or not isinstance(incident_id, int) or not 0 < incident_id < 2**62:
        raise NotFoundError(f"no incident {incident_id!r}")
    stmt = select(Incident).where(Incident.id == incident_id)
    if lock:
        stmt = stmt.with_for_update()
    incident = session.execute(stmt).scalar_one_or_none()
    if incident is None:
        raise NotFoundError(f"no incident {incident_id}")
    return incident


def list_incidents(session: Session, status: Any = None, limit: int = 200) -> list[Incident]:
    """Incidents, open ones first, newest first; only those of ``status`` if given."""
    stmt = select(Incident)
    if status is not None:
        try:
            stmt = stmt.where(Incident.status == IncidentStatus(status))
        except ValueError:
            raise ValidationError("status must be open or closed", field="status") from None
    stmt = stmt.order_by((Incident.status != IncidentStatus.OPEN), Incident.created_at.desc(), Incident.id.desc())
    return list(session.execute(stmt.limit(max(1, min(limit, 1000)))).scalars())


@transactional
def update_incident(session: Session, actor: User, incident_id: Any, *, title: Any = None,
                    status: Any = None, legal_context: Any = None) -> Incident:
    """Rename an incident, close it or open it again, change its legal context (re-checking its
    messages, see :mod:`workflow.messages.legal`); audited."""
    if legal_context is not None:
        policy.require(actor, Action.RECORD_LEGAL)
    if title is not None or status is not None or legal_context is None:
        policy.require(actor, Action.DRAFT)
    incident = get_incident(session, incident_id, lock=True)
    if legal_context is not None:
        legal.change_incident_context(session, actor, incident, legal_context)
    if title is not None:
        new_title = clean_text(title, "the incident title", MAX_TITLE, "title")
        if new_title != incident.title:
            audit.record(session, actor, "incident.renamed", incident=incident.slug, title=new_title,
                         previous=incident.title)
            incident.title = new_title
    if status is not None:
        try:
            wanted = IncidentStatus(status)
        except ValueError:
            raise ValidationError("status must be open or closed", field="status") from None
        if wanted != incident.status:
            incident.status = wanted
            incident.closed_at = utcnow() if wanted == IncidentStatus.CLOSED else None
            audit.record(session, actor, "incident.closed" if wanted == IncidentStatus.CLOSED
                         else "incident.reopened", incident=incident.slug)
    return incident


def message_counts(session: Session, incident_ids: list[int]) -> dict[int, int]:
    """How many messages each incident has, in one query."""
    if not incident_ids:
        return {}
    rows = session.execute(select(Message.incident_id, func.count()).where(Message.incident_id.in_(incident_ids))
                           .group_by(Message.incident_id))
    return {incident_id: count for incident_id, count in rows}
