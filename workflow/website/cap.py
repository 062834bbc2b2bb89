"""CAP 1.2 alerts for incident updates: identifiers, and the alert of each
published version (with its cancellation once withdrawn)."""
from __future__ import annotations

import re
from typing import Any, Sequence

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, aliased

from workflow.delivery.models import Delivery
from workflow.messages.models import Incident, Message, MessageVersion
from workflow.website import sources
from workflow.website.pages import MAX_LIMIT
from workflow.website.shapes import CapAlert, Change, PublicUpdate, public_text

_CAP_IDENTIFIER = re.compile(r"^crier-m(\d{1,18})-v(\d{1,9})(-cancel)?$")


def cap_identifier(message_id: int, version: int, cancel: bool = False) -> str:
    """The CAP identifier of a message version's alert (or of its withdrawal's Cancel)."""
    return f"crier-m{message_id}-v{version}" + ("-cancel" if cancel else "")


def parse_cap_identifier(identifier: str) -> tuple[int, int, bool] | None:
    """(message id, version, is cancel) from a CAP identifier Crier made, else None."""
    match = _CAP_IDENTIFIER.match(str(identifier or ""))
    if not match:
        return None
    return int(match.group(1)), int(match.group(2)), bool(match.group(3))


def cap_alerts(session: Session, limit: int = 100, *, message_id: int | None = None) -> list[CapAlert]:
    """The current CAP alert of each incident update the website has shown, latest first.

    A live update's alert carries its shown version; a withdrawn one's is a
    Cancel. ``message_id`` narrows it to one message. Two queries.
    """
    limit = max(1, min(int(limit), MAX_LIMIT))
    scope = ([message_id] if message_id is not None
             else select(Message.id).where(Message.incident_id.is_not(None)))
    versions = sources.website_versions(scope).subquery("sources.website_versions")
    per_message = (
        select(versions.c.message_id, func.max(versions.c.at).label("last_at"))
        .group_by(versions.c.message_id)
        .subquery("website_messages")
    )
    D = aliased(Delivery)
    withdrawals = (
        select(D.message_id, func.min(sources.sent_time(D)).label("at"))
        .where(D.purpose == sources.WITHDRAW, D.state == sources.SENT, D.account_id.in_(sources.website_accounts()),
               D.message_id.in_(scope))
        .group_by(D.message_id)
        .subquery("website_withdrawals")
    )
    withdrawn_at = case(
        (Message.status == sources.STATUS_WITHDRAWN,
         func.coalesce(Message.withdrawn_at, withdrawals.c.at, Message.updated_at)),
        else_=withdrawals.c.at,
    )
    event_at = func.coalesce(withdrawn_at, per_message.c.last_at)
    stmt = (
        select(
            Message.id, Message.slug, Message.kind, Message.created_at,
            withdrawn_at.label("withdrawn_at"),
            Incident.id.label("incident_id"), Incident.slug.label("incident_slug"),
            Incident.title.label("incident_title"), Incident.area.label("incident_area"),
            Incident.exercise.label("incident_exercise"),
            Incident.status.label("incident_status"),
        )
        .join(per_message, per_message.c.message_id == Message.id)
        .join(Incident, Incident.id == Message.incident_id)
        .outerjoin(withdrawals, withdrawals.c.message_id == Message.id)
        .order_by(event_at.desc(), Message.id.desc())
        .limit(limit)
    )
    if message_id is not None:
        stmt = stmt.where(Message.id == message_id)
    messages = session.execute(stmt).all()
    if not messages:
        return []
    ids = [m.id for m in messages]
    history = sources.website_versions(ids).subquery("history")
    rows = session.execute(
        select(history.c.message_id, history.c.number, history.c.at, history.c.account_id,
               MessageVersion.body, MessageVersion.variants, MessageVersion.change_note, MessageVersion.content)
        .join(MessageVersion, MessageVersion.id == history.c.version_id)
        .order_by(history.c.message_id, history.c.number)
    ).all()
    by_message: dict[int, list[Any]] = {}
    for r in rows:
        by_message.setdefault(r.message_id, []).append(r)
    return [alert for m in messages if (alert := _cap_alert(m, by_message.get(m.id, []))) is not None]


def cap_alert(session: Session, message_id: int) -> CapAlert | None:
    """The current CAP alert of one incident update, or None if it has none."""
    alerts = cap_alerts(session, 1, message_id=message_id)
    return alerts[0] if alerts else None


def _cap_alert(message: Any, versions: Sequence[Any]) -> CapAlert | None:
    if not versions:
        return None
    incident = sources.incident_ref(message)
    earlier = [(cap_identifier(message.id, v.number), v.at) for v in versions]
    last = versions[-1]
    if message.withdrawn_at is not None:
        return CapAlert(
            identifier=cap_identifier(message.id, last.number, cancel=True), message_id=message.id,
            slug=message.slug, msg_type="Cancel", sent=max(message.withdrawn_at, last.at),
            incident=incident, references=tuple(earlier), update=None, created_at=message.created_at,
        )
    first = versions[0]
    changes = tuple(Change(v.number, public_text(v.change_note) or None, v.at) for v in versions[1:])
    update = PublicUpdate(
        message_id=message.id, slug=message.slug, kind=message.kind,
        text=sources.text_for(last.body, last.variants, last.account_id), version=last.number,
        published=first.at, updated=last.at, created_at=message.created_at, incident=incident,
        change_note=changes[-1].note if changes else None, corrected=bool(changes), changes=changes,
        images=sources.images_of(last.content),
    )
    return CapAlert(
        identifier=earlier[-1][0], message_id=message.id, slug=message.slug,
        msg_type="Update" if changes else "Alert", sent=last.at, incident=incident,
        references=tuple(earlier[:-1]), update=update, created_at=message.created_at,
    )
