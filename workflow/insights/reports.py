"""What the API and the console read of audience insight: counts only, never a follower."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from workflow.accounts.models import AccountStatus, ChannelAccount
from workflow.core.errors import NotFoundError
from workflow.core.london import LONDON
from workflow.core.text import is_id
from workflow.delivery.models import Delivery, DeliveryPurpose, DeliveryState
from workflow.insights.models import AudienceCollection, CollectionState, PageVisit, PostEngagement
from workflow.messages.models import Message

#: How many collections an account's history shows, newest last.
HISTORY = 200


@dataclasses.dataclass(frozen=True)
class Reach:
    """An account's latest complete collection (all None before the first)."""

    account: ChannelAccount
    followers: int | None
    followers_read: int | None
    local_followers: int | None
    local_share: float | None
    collected_at: dt.datetime | None
    note: str | None = None


@dataclasses.dataclass(frozen=True)
class Figures:
    """What one account's posts of one message drew."""

    account: ChannelAccount
    reactions: int | None
    shares: int | None
    replies: int | None
    impressions: int | None
    visits: int
    collected_at: dt.datetime | None


def _reach(account: ChannelAccount, row: AudienceCollection | None) -> Reach:
    if row is None:
        return Reach(account, None, None, None, None, None)
    return Reach(
        account,
        row.followers,
        row.followers_read,
        row.local_followers,
        row.local_share,
        row.finished_at,
        row.note,
    )


def audience_accounts(session: Session) -> list[ChannelAccount]:
    """Every X and Facebook account still on the desk, force-wide ones first."""
    return list(
        session.execute(
            select(ChannelAccount)
            .where(ChannelAccount.kind.in_(["x", "facebook"]), ChannelAccount.status != AccountStatus.REMOVED)
            .order_by(
                ChannelAccount.area.is_not(None),
                ChannelAccount.area,
                ChannelAccount.kind,
                ChannelAccount.name,
            )
        ).scalars()
    )


def latest(session: Session, account_ids: list[int]) -> dict[int, AudienceCollection]:
    """Each account's newest complete collection."""
    newest = (
        select(AudienceCollection.account_id, func.max(AudienceCollection.id).label("id"))
        .where(
            AudienceCollection.state == CollectionState.COMPLETE,
            AudienceCollection.account_id.in_(account_ids),
        )
        .group_by(AudienceCollection.account_id)
        .subquery()
    )
    rows = session.execute(
        select(AudienceCollection)
        .join(newest, newest.c.id == AudienceCollection.id)
        .options(selectinload(AudienceCollection.places))
    ).scalars()
    return {row.account_id: row for row in rows}


def reach(session: Session) -> list[Reach]:
    """Every audience account with its latest figures."""
    accounts = audience_accounts(session)
    rows = latest(session, [a.id for a in accounts])
    return [_reach(a, rows.get(a.id)) for a in accounts]


def account_reach(
    session: Session, account_id: int
) -> tuple[Reach, list[AudienceCollection], AudienceCollection | None]:
    """One account's latest figures, its complete collections oldest first, and a collection under way."""
    account = session.get(ChannelAccount, account_id) if is_id(account_id) else None
    if account is None or str(account.kind) not in ("x", "facebook"):
        raise NotFoundError("there is no X or Facebook account with that id")
    history = list(
        session.execute(
            select(AudienceCollection)
            .where(
                AudienceCollection.account_id == account_id,
                AudienceCollection.state == CollectionState.COMPLETE,
            )
            .order_by(AudienceCollection.id.desc())
            .limit(HISTORY)
            .options(selectinload(AudienceCollection.places))
        ).scalars()
    )[::-1]
    running = session.execute(
        select(AudienceCollection)
        .where(
            AudienceCollection.account_id == account_id, AudienceCollection.state == CollectionState.RUNNING
        )
        .order_by(AudienceCollection.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    return _reach(account, history[-1] if history else None), history, running


def visits_by(session: Session, message_ids: list[int] | None = None) -> dict[tuple[int, int], int]:
    """Visits per (message id, account id)."""
    query = select(PageVisit.message_id, PageVisit.account_id, func.sum(PageVisit.visits)).group_by(
        PageVisit.message_id, PageVisit.account_id
    )
    if message_ids is not None:
        query = query.where(PageVisit.message_id.in_(message_ids))
    return {(m, a): int(n or 0) for m, a, n in session.execute(query) if a is not None}


def message_figures(session: Session, message_id: int) -> list[Figures]:
    """Per X or Facebook account that carried the message: its posts' figures and the visits it sent."""
    if not is_id(message_id) or session.get(Message, message_id) is None:
        raise NotFoundError("there is no such message")
    carrying = select(Delivery.account_id).where(
        Delivery.message_id == message_id,
        Delivery.purpose == DeliveryPurpose.PUBLISH,
        Delivery.state == DeliveryState.SENT,
    )
    carried = list(
        session.execute(
            select(ChannelAccount)
            .where(ChannelAccount.id.in_(carrying), ChannelAccount.kind.in_(["x", "facebook"]))
            .order_by(ChannelAccount.id)
        ).scalars()
    )
    readings: dict[int, list[PostEngagement]] = defaultdict(list)
    for row in session.execute(
        select(PostEngagement).where(PostEngagement.message_id == message_id, PostEngagement.readings > 0)
    ).scalars():
        readings[row.account_id].append(row)
    visits = visits_by(session, [message_id])
    out = []
    for account in carried:
        rows = readings.get(account.id, [])
        impressions = [r.impressions for r in rows if r.impressions is not None]
        out.append(
            Figures(
                account,
                sum(r.reactions for r in rows) if rows else None,
                sum(r.shares for r in rows) if rows else None,
                sum(r.replies for r in rows) if rows else None,
                sum(impressions) if impressions else None,
                visits.get((message_id, account.id), 0),
                max((r.collected_at for r in rows), default=None),
            )
        )
    return out


@dataclasses.dataclass(frozen=True)
class PostRow:
    """One message's engagement and visits, summed over its channels."""

    message_id: int
    slug: str
    sent_at: dt.datetime | None
    reactions: int
    shares: int
    replies: int
    visits: int


def posts(session: Session, limit: int = 25) -> list[PostRow]:
    """The most recent messages with readings or visits, newest first."""
    sums = session.execute(
        select(
            PostEngagement.message_id,
            func.sum(PostEngagement.reactions),
            func.sum(PostEngagement.shares),
            func.sum(PostEngagement.replies),
            func.min(Delivery.sent_at),
        )
        .join(Delivery, Delivery.id == PostEngagement.delivery_id)
        .where(PostEngagement.readings > 0)
        .group_by(PostEngagement.message_id)
    ).all()
    visits: dict[int, int] = defaultdict(int)
    for (message_id, _), n in visits_by(session).items():
        visits[message_id] += n
    ids = {row[0] for row in sums} | set(visits)
    slugs = dict(session.execute(select(Message.id, Message.slug).where(Message.id.in_(ids))).tuples().all())
    figures = {row[0]: row for row in sums}
    out = []
    for message_id in ids:
        row = figures.get(message_id)
        out.append(
            PostRow(
                message_id,
                slugs.get(message_id, str(message_id)),
                row[4] if row else None,
                int(row[1] or 0) if row else 0,
                int(row[2] or 0) if row else 0,
                int(row[3] or 0) if row else 0,
                visits.get(message_id, 0),
            )
        )
    out.sort(
        key=lambda r: (
            r.sent_at is not None,
            r.sent_at or dt.datetime.min.replace(tzinfo=dt.timezone.utc),
            r.message_id,
        ),
        reverse=True,
    )
    return out[:limit]


@dataclasses.dataclass(frozen=True)
class ChannelRow:
    """One account's posts and what they drew, summed."""

    account: ChannelAccount
    posts: int
    reactions: int
    shares: int
    replies: int
    visits: int


def channels(session: Session) -> list[ChannelRow]:
    """Engagement and visits per account, over every reading kept."""
    sums = {
        row[0]: row
        for row in session.execute(
            select(
                PostEngagement.account_id,
                func.count(),
                func.sum(PostEngagement.reactions),
                func.sum(PostEngagement.shares),
                func.sum(PostEngagement.replies),
            )
            .where(PostEngagement.readings > 0)
            .group_by(PostEngagement.account_id)
        )
    }
    visits: dict[int, int] = defaultdict(int)
    for (_, account_id), n in visits_by(session).items():
        visits[account_id] += n
    out = []
    for account in audience_accounts(session):
        row = sums.get(account.id)
        out.append(
            ChannelRow(
                account,
                int(row[1]) if row else 0,
                int(row[2] or 0) if row else 0,
                int(row[3] or 0) if row else 0,
                int(row[4] or 0) if row else 0,
                visits.get(account.id, 0),
            )
        )
    return out


def best_hours(session: Session) -> list[tuple[int, int, float]]:
    """Per London hour of the day a post went out: (hour, posts, average reactions + shares + replies)."""
    rows = session.execute(
        select(Delivery.sent_at, PostEngagement.reactions + PostEngagement.shares + PostEngagement.replies)
        .join(PostEngagement, PostEngagement.delivery_id == Delivery.id)
        .where(PostEngagement.readings > 0, Delivery.sent_at.is_not(None))
    ).all()
    totals: dict[int, list[int]] = defaultdict(list)
    for sent_at, engaged in rows:
        totals[sent_at.astimezone(LONDON).hour].append(int(engaged or 0))
    return [
        (hour, len(totals[hour]), sum(totals[hour]) / len(totals[hour]) if totals[hour] else 0.0)
        for hour in range(24)
    ]
