"""Reading the audit trail: events filtered by message, person, action and dates, newest first a
page at a time for the console's audit browser, or all of them in chain order for an export; and
one message's record (its deliveries beside its events)."""
from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any, Iterator

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, joinedload

from workflow.audit.models import AuditEvent
from workflow.core.errors import ValidationError
from workflow.core.query_args import day_bound, whole_number
from workflow.delivery.models import Delivery

PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
MAX_NAME = 120
#: An action filter ending in this matches every action of its family ("delivery.*").
FAMILY = ".*"


@dataclasses.dataclass(frozen=True)
class TrailFilters:
    message: int | None = None
    user: str | None = None  # the actor's username, or "system"
    action: str | None = None  # an action, or a family such as "delivery.*"
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    limit: int = PAGE_SIZE
    page: int = 1


@dataclasses.dataclass(frozen=True)
class TrailPage:
    events: list[AuditEvent]
    page: int
    limit: int
    more: bool  # another page follows


def _name(args: Any, name: str) -> str | None:
    value = (args.get(name) or "").strip() or None
    if value is not None and (len(value) > MAX_NAME or not value.isprintable()):
        raise ValidationError(f"{name} is at most {MAX_NAME} printable characters", field=name)
    return value


def parse_filters(args: Any) -> TrailFilters:
    """Filters from query arguments (``message``, ``user``, ``action``, ``from``, ``to``, ``limit``,
    ``page``); a bad one is a ValidationError naming it."""
    since, until = day_bound(args.get("from"), "from", end=False), day_bound(args.get("to"), "to", end=True)
    if since is not None and until is not None and until <= since:
        raise ValidationError("to must be after from", field="to")
    return TrailFilters(
        message=whole_number(args.get("message"), "message"), user=_name(args, "user"),
        action=_name(args, "action"), since=since, until=until,
        limit=whole_number(args.get("limit"), "limit", 1, MAX_PAGE_SIZE) or PAGE_SIZE,
        page=whole_number(args.get("page"), "page", 1, 10**6) or 1)


def _matching(filters: TrailFilters) -> Select:
    stmt = select(AuditEvent)
    if filters.message is not None:
        stmt = stmt.where(AuditEvent.message_id == filters.message)
    if filters.user:
        stmt = stmt.where(AuditEvent.actor == filters.user)
    if filters.action:
        if filters.action.endswith(FAMILY):
            family = filters.action[: -len(FAMILY)] + "."
            stmt = stmt.where(AuditEvent.action.startswith(family, autoescape=True))
        else:
            stmt = stmt.where(AuditEvent.action == filters.action)
    if filters.since is not None:
        stmt = stmt.where(AuditEvent.created_at >= filters.since)
    if filters.until is not None:
        stmt = stmt.where(AuditEvent.created_at < filters.until)
    return stmt


def find_events(session: Session, filters: TrailFilters) -> TrailPage:
    """One page of the events matching ``filters``, newest first."""
    stmt = (_matching(filters).order_by(AuditEvent.id.desc())
            .offset((filters.page - 1) * filters.limit).limit(filters.limit + 1))
    rows = list(session.execute(stmt).scalars())
    return TrailPage(rows[: filters.limit], filters.page, filters.limit, more=len(rows) > filters.limit)


def matching_events(session: Session, filters: TrailFilters, batch: int = 1000) -> Iterator[AuditEvent]:
    """Every event matching ``filters`` (whatever the page), oldest first, read in batches."""
    last = 0
    while True:
        rows = session.execute(_matching(filters).where(AuditEvent.id > last)
                               .order_by(AuditEvent.id).limit(batch)).scalars().all()
        if not rows:
            return
        yield from rows
        last = rows[-1].id
        session.expunge_all()


def actions(session: Session) -> list[str]:
    """Every action the trail holds, in order, for a filter's choices."""
    return sorted(session.execute(select(AuditEvent.action).distinct()).scalars())


def actors(session: Session) -> list[str]:
    """Everyone the trail names as having acted ("system" included), in order."""
    return sorted(session.execute(select(AuditEvent.actor).distinct()).scalars())


def message_deliveries(session: Session, message_id: int) -> list[Delivery]:
    """Every delivery of every version of one message, in the order they were made."""
    return list(session.execute(
        select(Delivery).where(Delivery.message_id == message_id)
        .options(joinedload(Delivery.account), joinedload(Delivery.version)).order_by(Delivery.id)).scalars())
