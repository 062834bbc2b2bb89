"""Reading notices: a person's live feed, the outbox, and which messages are overdue."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from workflow.core.database import utcnow
from workflow.messages.models import Message
from workflow.messages.states import MessageState
from workflow.notices.models import Notice, NoticeChannel, NoticeState, VerificationWatch, WatchState

#: The most live notices one poll returns.
FEED_LIMIT = 20


def live_feed(session: Session, user_id: int, after: int = 0, limit: int = FEED_LIMIT) -> list[Notice]:
    """``user_id``'s live notices newer than the notice ``after``, oldest first."""
    return list(session.execute(
        select(Notice).where(Notice.user_id == user_id, Notice.channel == NoticeChannel.LIVE,
                             Notice.state == NoticeState.SENT, Notice.id > after)
        .order_by(Notice.id).limit(limit)).scalars())


def latest_live_id(session: Session, user_id: int) -> int:
    """The id of ``user_id``'s newest live notice (0 if none): a console opened now starts after it."""
    return session.execute(select(func.coalesce(func.max(Notice.id), 0)).where(
        Notice.user_id == user_id, Notice.channel == NoticeChannel.LIVE)).scalar_one()


def recent_live(session: Session, user_id: int, limit: int = 10) -> list[Notice]:
    """``user_id``'s latest live notices, newest first."""
    return list(session.execute(
        select(Notice).where(Notice.user_id == user_id, Notice.channel == NoticeChannel.LIVE)
        .order_by(Notice.id.desc()).limit(limit)).scalars())


def outbox(session: Session, *, channel: str | None = None, state: str | None = None,
           limit: int = 100, offset: int = 0) -> list[Notice]:
    """Notices, newest first, optionally of one channel or state."""
    stmt = select(Notice).options(joinedload(Notice.user)).order_by(Notice.id.desc())
    if channel in set(NoticeChannel):
        stmt = stmt.where(Notice.channel == channel)
    if state in set(NoticeState):
        stmt = stmt.where(Notice.state == state)
    return list(session.execute(stmt.limit(limit).offset(offset)).scalars())


def overdue_ids(session: Session, message_ids: Iterable[int], *, now: dt.datetime | None = None) -> set[int]:
    """Which of ``message_ids`` wait for verification past their escalation time."""
    ids = list(set(message_ids))
    if not ids:
        return set()
    now = now or utcnow()
    return set(session.execute(
        select(VerificationWatch.message_id).join(Message, Message.id == VerificationWatch.message_id)
        .where(VerificationWatch.message_id.in_(ids),
               VerificationWatch.state.in_([WatchState.WAITING, WatchState.ESCALATED]),
               VerificationWatch.due_at <= now, Message.status == MessageState.AWAITING_VERIFICATION)).scalars())


def is_overdue(session: Session, message_id: int, *, now: dt.datetime | None = None) -> bool:
    """Whether the message waits for verification past its escalation time."""
    return message_id in overdue_ids(session, [message_id], now=now)
