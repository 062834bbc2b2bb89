"""What the public sees on the force website: the read side of Crier's news pages and feeds.

A message is on the website once a delivery of it to a website account has
been sent with purpose publish or correct. The page shows the latest version so
delivered, from the moment that delivery was sent; each later version is a
correction, shown with its change note and time. Earlier texts are never shown
again: a correction may have removed something that must not stay public.

A message is withdrawn when its status is withdrawn or a withdrawal has been
sent to a website account; it then leaves every list and feed, and its page
answers "withdrawn" (never the text).

Every function here answers in a fixed, small number of queries whatever the
number of messages: lists are one query with the per-version aggregate in a
CTE, so a page of 50 updates costs the same as a page of 1.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
from typing import Any, Iterable

from sqlalchemy import and_, case, exists, func, literal, or_, select, true
from sqlalchemy.orm import Session

from workflow.core.errors import ValidationError
from workflow.delivery.models import Delivery
from workflow.messages.models import Incident, Message, MessageVersion
from workflow.website.shapes import (
    ORDER_PUBLISHED,
    ORDER_UPDATED,
    Change,
    IncidentTimeline,
    PublicUpdate,
    UpdateLookup,
    Validators,
    public_text,
)
from workflow.website.sources import (
    EPOCH,
    SENT,
    SHOWN,
    STATUS_WITHDRAWN,
    WITHDRAW,
    images_of,
    incident_ref,
    sent_time,
    text_for,
    website_accounts,
    website_versions,
    withdrawn_on_website,
)

LIVE = "live"

WITHDRAWN = "withdrawn"

NOT_FOUND = "not_found"

#: The most updates one list or feed query returns.
MAX_LIMIT = 500

#: The most updates an incident timeline shows.
MAX_TIMELINE = 1000

_CURSOR = re.compile(r"^(\d{1,18})-(\d{1,18})$")


def decode_cursor(value: str) -> tuple[dt.datetime, int]:
    """The (time, message id) a ``before`` cursor stands for; ValidationError when malformed."""
    match = _CURSOR.match(str(value or "").strip())
    if not match:
        raise ValidationError("the page cursor is not one Crier made", field="before")
    micros, message_id = int(match.group(1)), int(match.group(2))
    try:
        at = EPOCH + dt.timedelta(microseconds=micros)
    except OverflowError:
        raise ValidationError("the page cursor is out of range", field="before") from None
    return at, message_id


def _updates_statement(*where: Any, order: str, descending: bool, before: tuple[dt.datetime, int] | None,
                       limit: int, messages: Any = None):
    """One query for a page of live updates with their shown version.

    The page is chosen first from the per-message aggregate alone; only its
    rows are then joined to their texts and incidents.
    """
    versions = website_versions(messages).cte("website_versions")
    per_message = (
        select(
            versions.c.message_id,
            func.max(versions.c.number).label("number"),
            func.min(versions.c.number).label("first_number"),
            func.min(versions.c.at).label("published"),
        )
        .group_by(versions.c.message_id)
        .subquery("website_messages")
    )
    shown = versions.alias("shown_version")
    key = shown.c.at if order == ORDER_UPDATED else per_message.c.published
    page = (
        select(
            Message.id.label("message_id"), per_message.c.published, per_message.c.first_number,
            shown.c.version_id, shown.c.at.label("updated"), shown.c.account_id,
        )
        .join(per_message, per_message.c.message_id == Message.id)
        .join(shown, and_(shown.c.message_id == Message.id, shown.c.number == per_message.c.number))
        .where(Message.status != STATUS_WITHDRAWN, Message.id.not_in(withdrawn_on_website()), *where)
    )
    if before is not None:
        at, message_id = before
        page = page.where(or_(key < at, and_(key == at, Message.id < message_id)))
    direction = (lambda column: column.desc()) if descending else (lambda column: column.asc())
    page = page.order_by(direction(key), direction(Message.id)).limit(limit).subquery("page")
    MV = MessageVersion
    outer_key = page.c.updated if order == ORDER_UPDATED else page.c.published
    return (
        select(
            Message.id, Message.slug, Message.kind, Message.created_at,
            MV.number, MV.body, MV.variants, MV.change_note, MV.content,
            page.c.published, page.c.first_number, page.c.updated, page.c.account_id,
            Incident.id.label("incident_id"), Incident.slug.label("incident_slug"),
            Incident.title.label("incident_title"), Incident.area.label("incident_area"),
            Incident.exercise.label("incident_exercise"),
            Incident.status.label("incident_status"),
        )
        .join(page, page.c.message_id == Message.id)
        .join(MV, MV.id == page.c.version_id)
        .outerjoin(Incident, Incident.id == Message.incident_id)
        .order_by(direction(outer_key), direction(Message.id))
    )


def _update_from_row(row: Any) -> PublicUpdate:
    return PublicUpdate(
        message_id=row.id, slug=row.slug, kind=row.kind,
        text=text_for(row.body, row.variants, row.account_id),
        version=row.number, published=row.published, updated=row.updated, created_at=row.created_at,
        incident=incident_ref(row),
        change_note=public_text(row.change_note) or None if row.number > row.first_number else None,
        corrected=row.number > row.first_number, images=images_of(row.content),
    )


def published_updates(session: Session, limit: int = 50, before: str | None = None, *,
                      order: str = ORDER_PUBLISHED) -> list[PublicUpdate]:
    """Live updates, latest first (by first publication, or by last correction with ``order="updated"``).

    ``before`` is a cursor from :meth:`PublicUpdate.cursor` (same ``order``): the
    list then starts after that update. One query.
    """
    if order not in (ORDER_PUBLISHED, ORDER_UPDATED):
        raise ValueError(f"unknown order {order!r}")
    limit = max(1, min(int(limit), MAX_LIMIT))
    cursor = decode_cursor(before) if before else None
    stmt = _updates_statement(order=order, descending=True, before=cursor, limit=limit)
    return [_update_from_row(row) for row in session.execute(stmt)]


def update_by_slug(session: Session, slug: str) -> UpdateLookup:
    """The update at ``/news/<slug>``: the shown version and its corrections, or why there is none."""
    row = session.execute(
        select(Message.id, Message.slug, Message.kind, Message.status, Message.created_at,
               Message.updated_at, Message.withdrawn_at,
               Incident.id.label("incident_id"), Incident.slug.label("incident_slug"),
               Incident.title.label("incident_title"), Incident.area.label("incident_area"),
            Incident.exercise.label("incident_exercise"),
               Incident.status.label("incident_status"))
        .outerjoin(Incident, Incident.id == Message.incident_id)
        .where(Message.slug == slug)
    ).first()
    if row is None:
        return UpdateLookup(NOT_FOUND, slug)
    D = Delivery
    sent = session.execute(
        select(D.purpose, D.version_id, D.account_id, sent_time(D).label("at"))
        .where(D.message_id == row.id, D.state == SENT, D.account_id.in_(website_accounts()))
    ).all()
    shown_rows = [s for s in sent if s.purpose in SHOWN]
    if not shown_rows:
        # Never on the website: a withdrawn draft is as unknown to the public as any other.
        return UpdateLookup(NOT_FOUND, slug)
    withdrawals = [s.at for s in sent if s.purpose == WITHDRAW]
    if row.status == STATUS_WITHDRAWN or withdrawals:
        at = row.withdrawn_at or (min(withdrawals) if withdrawals else row.updated_at)
        return UpdateLookup(WITHDRAWN, slug, withdrawn_at=at)

    first_at: dict[int, dt.datetime] = {}
    first_account: dict[int, int] = {}
    for s in shown_rows:
        if s.version_id not in first_at or s.at < first_at[s.version_id]:
            first_at[s.version_id] = s.at
        first_account[s.version_id] = min(first_account.get(s.version_id, s.account_id), s.account_id)
    versions = session.execute(
        select(MessageVersion.id, MessageVersion.number, MessageVersion.body, MessageVersion.variants,
               MessageVersion.change_note, MessageVersion.content)
        .where(MessageVersion.id.in_(list(first_at)))
        .order_by(MessageVersion.number)
    ).all()
    shown = versions[-1]
    changes = tuple(Change(version=v.number, note=public_text(v.change_note) or None, at=first_at[v.id])
                    for v in versions[1:])
    update = PublicUpdate(
        message_id=row.id, slug=row.slug, kind=row.kind,
        text=text_for(shown.body, shown.variants, first_account[shown.id]),
        version=shown.number, published=min(first_at.values()), updated=first_at[shown.id],
        created_at=row.created_at, incident=incident_ref(row),
        change_note=changes[-1].note if changes else None, corrected=bool(changes), changes=changes,
        images=images_of(shown.content),
    )
    return UpdateLookup(LIVE, slug, update=update)


def incident_timeline(session: Session, slug: str) -> IncidentTimeline:
    """Every live update of the incident ``slug`` in the order they went out (two queries)."""
    row = session.execute(
        select(Incident.id.label("incident_id"), Incident.slug.label("incident_slug"),
               Incident.title.label("incident_title"), Incident.area.label("incident_area"),
            Incident.exercise.label("incident_exercise"),
               Incident.status.label("incident_status"))
        .where(Incident.slug == slug)
    ).first()
    if row is None:
        return IncidentTimeline(NOT_FOUND, None)
    incident = incident_ref(row)
    stmt = _updates_statement(Message.incident_id == row.incident_id, order=ORDER_PUBLISHED,
                              descending=False, before=None, limit=MAX_TIMELINE,
                              messages=select(Message.id).where(Message.incident_id == row.incident_id))
    updates = tuple(_update_from_row(r) for r in session.execute(stmt))
    if updates:
        return IncidentTimeline(LIVE, incident, updates)
    # Nothing live: it is gone if the website ever showed one of its updates, else unknown.
    ever = session.execute(
        select(literal(1)).select_from(Message)
        .where(Message.incident_id == row.incident_id,
               exists().where(Delivery.message_id == Message.id, Delivery.state == SENT,
                              Delivery.purpose.in_(SHOWN),
                              Delivery.account_id.in_(website_accounts())))
        .limit(1)
    ).first()
    return IncidentTimeline(WITHDRAWN if ever else NOT_FOUND, incident if ever else None)


def page_validators(session: Session, *, message_slug: str | None = None,
                    incident_slug: str | None = None, message_id: int | None = None,
                    extra: Iterable[Any] = ()) -> Validators:
    """Validators for a public page, from one light aggregate query.

    Without a scope they cover the whole website (lists and feeds); with a
    message slug or id, one update's page; with an incident slug, its timeline.
    Anything that changes what the page shows changes the digest: a website
    delivery sent, a withdrawal, an incident closed.
    """
    D, M, I = Delivery, Message, Incident
    scope_messages: list[Any] = []
    scope_incidents: list[Any] = []
    if message_slug is not None:
        scope_messages.append(M.slug == message_slug)
        scope_incidents.append(I.id.in_(select(M.incident_id).where(M.slug == message_slug)))
    if message_id is not None:
        scope_messages.append(M.id == message_id)
        scope_incidents.append(I.id.in_(select(M.incident_id).where(M.id == message_id)))
    if incident_slug is not None:
        scope_messages.append(M.incident_id.in_(select(I.id).where(I.slug == incident_slug)))
        scope_incidents.append(I.slug == incident_slug)
    delivery_where = [D.state == SENT, D.account_id.in_(website_accounts())]
    if scope_messages:
        delivery_where.append(D.message_id.in_(select(M.id).where(*scope_messages)))
    deliveries = (select(func.count(D.id).label("n"),
                         func.count(case((D.purpose.in_(SHOWN), 1))).label("shown"),
                         func.max(D.id).label("last_id"),
                         func.max(D.updated_at).label("changed"), func.max(sent_time(D)).label("sent"))
                  .where(*delivery_where).subquery("d"))
    withdrawn = (select(func.count(M.id).label("n"), func.max(M.updated_at).label("changed"),
                        func.max(func.coalesce(M.withdrawn_at, M.updated_at)).label("at"))
                 .where(M.status == STATUS_WITHDRAWN, *scope_messages).subquery("w"))
    closed = (select(func.count(I.id).label("n"), func.max(I.closed_at).label("changed"))
              .where(I.status == "closed", *scope_incidents).subquery("c"))
    row = session.execute(
        select(deliveries.c.n, deliveries.c.shown, deliveries.c.last_id, deliveries.c.changed, deliveries.c.sent,
               withdrawn.c.n.label("withdrawn"), withdrawn.c.changed.label("withdrawn_changed"),
               withdrawn.c.at.label("withdrawn_at"),
               closed.c.n.label("closed"), closed.c.changed.label("closed_changed"))
        .select_from(deliveries.join(withdrawn, true()).join(closed, true()))
    ).one()
    state = (message_slug, message_id, incident_slug, *row, *extra)
    digest = hashlib.sha256(repr(state).encode("utf-8")).hexdigest()[:32]
    times = [t for t in (row.sent, row.withdrawn_at, row.closed_changed) if t is not None]
    return Validators(digest=digest, last_modified=max(times) if times else None,
                      ever_public=bool(row.shown))
