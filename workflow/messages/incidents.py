"""Incidents: finding one by id or slug, or opening one with a message."""
from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.accounts.models import User
from workflow.audit import chain as audit
from workflow.core.errors import ValidationError
from workflow.core.text import clean_text, is_storable, slugify
from workflow.messages.models import Incident


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
