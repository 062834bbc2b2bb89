"""Finding messages: words in any version's text, and filters on status, account, area,
incident, author and dates, newest first, a page at a time.

On PostgreSQL the words go through its full-text search (English stemming, a
GIN index over every version's text); on the embedded SQLite default every word
must appear in a version's text, case aside.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import re
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, and_, cast, exists, func, literal, or_, select, true
from sqlalchemy.orm import Session, selectinload

from workflow.accounts.models import ChannelAccount, User
from workflow.core.errors import ValidationError
from workflow.core.query_args import day_bound, whole_number
from workflow.messages.models import Incident, Message, MessageVersion
from workflow.messages.states import MessageState

MAX_LIMIT = 500
MAX_QUERY = 200
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclasses.dataclass(frozen=True)
class Filters:
    q: str | None = None
    status: MessageState | None = None
    account: int | None = None
    area: str | None = None
    incident: int | None = None
    author: str | None = None
    created_from: dt.datetime | None = None
    created_to: dt.datetime | None = None
    limit: int = 50
    page: int = 1


@dataclasses.dataclass(frozen=True)
class Page:
    messages: list[Message]
    page: int
    limit: int
    more: bool  # another page follows


def parse_filters(args: Any) -> Filters:
    """Filters from query arguments (``q``, ``status``, ``account``, ``area``, ``incident``,
    ``author``, ``from``, ``to``, ``limit``, ``page``); a bad one is a ValidationError naming it."""
    q = (args.get("q") or "").strip() or None
    if q is not None and (len(q) > MAX_QUERY or "\x00" in q):
        raise ValidationError(f"q is at most {MAX_QUERY} characters of text", field="q")
    status = args.get("status") or None
    if status is not None and status not in set(MessageState):
        raise ValidationError(f"unknown status {status!r}", field="status")
    limit = whole_number(args.get("limit"), "limit", 1, 10**6)
    return Filters(
        q=q, status=MessageState(status) if status else None,
        account=whole_number(args.get("account"), "account"),
        area=(args.get("area") or "").strip() or None, incident=whole_number(args.get("incident"), "incident"),
        author=(args.get("author") or "").strip() or None,
        created_from=day_bound(args.get("from"), "from", end=False),
        created_to=day_bound(args.get("to"), "to", end=True),
        limit=min(limit or 50, MAX_LIMIT), page=whole_number(args.get("page"), "page", 1, 10**6) or 1)


def _words_match(session: Session, q: str) -> ColumnElement[bool]:
    """Some version of the message says ``q``."""
    versions = select(literal(1)).where(MessageVersion.message_id == Message.id)
    if session.get_bind().dialect.name == "postgresql":
        matched = func.to_tsvector("english", MessageVersion.body).op("@@")(
            func.websearch_to_tsquery("english", q))
        return exists(versions.where(matched))
    words = _WORD.findall(q.lower())
    if not words:
        return true()
    like = [func.lower(MessageVersion.body).like(f"%{w}%") for w in words]
    return exists(versions.where(and_(*like)))


def _targets(session: Session, account_ids: Any) -> ColumnElement[bool]:
    """The latest version targets one of ``account_ids`` (a scalar subquery of ids)."""
    latest = and_(MessageVersion.message_id == Message.id, MessageVersion.number == Message.current_version)
    if session.get_bind().dialect.name == "postgresql":
        target = func.json_array_elements_text(MessageVersion.targets).table_valued("value")
        return exists(select(literal(1)).select_from(MessageVersion).join(target, true()).where(
            latest, cast(target.c.value, BigInteger).in_(account_ids)))
    target = func.json_each(MessageVersion.targets).table_valued("value")
    return exists(select(literal(1)).select_from(MessageVersion).join(target, true()).where(
        latest, target.c.value.in_(account_ids)))


def search_messages(session: Session, filters: Filters) -> Page:
    """The messages matching ``filters``, most recently changed first."""
    stmt = select(Message)
    if filters.q:
        stmt = stmt.where(_words_match(session, filters.q))
    if filters.status:
        stmt = stmt.where(Message.status == filters.status)
    if filters.incident:
        stmt = stmt.where(Message.incident_id == filters.incident)
    if filters.author:
        stmt = stmt.where(Message.author_id.in_(select(User.id).where(User.username == filters.author)))
    if filters.account:
        stmt = stmt.where(_targets(session, [filters.account]))
    if filters.area:
        in_area = select(ChannelAccount.id).where(ChannelAccount.area == filters.area)
        stmt = stmt.where(or_(Message.incident_id.in_(select(Incident.id).where(Incident.area == filters.area)),
                              _targets(session, in_area)))
    if filters.created_from:
        stmt = stmt.where(Message.created_at >= filters.created_from)
    if filters.created_to:
        stmt = stmt.where(Message.created_at < filters.created_to)
    stmt = (stmt.order_by(Message.updated_at.desc(), Message.id.desc())
            .offset((filters.page - 1) * filters.limit).limit(filters.limit + 1)
            .options(selectinload(Message.versions), selectinload(Message.author),
                     selectinload(Message.incident)))
    rows = list(session.execute(stmt).scalars())
    return Page(rows[: filters.limit], filters.page, filters.limit, more=len(rows) > filters.limit)
