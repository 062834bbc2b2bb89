"""Engagement per post: each live post's public figures, read on a decaying schedule.

A post is read about an hour after it went out, then at 6 hours, 1, 2 and 3
days, a week, two weeks and a month; then never again. X gives likes,
reposts, quotes, replies and impressions for up to 100 posts a call; Facebook
reactions, comments and shares one post a call (and no impressions). Crier
keeps four figures per post: reactions (X likes, Facebook reactions), shares
(X reposts + quotes, Facebook shares), replies (X replies, Facebook comments)
and impressions (X only; None on Facebook). A post that is gone from the
platform keeps its last figures and is not read again.

Rows are claimed before the platform is asked (their next reading moved
ahead), so two workers never read the same post at once.
"""

from __future__ import annotations

import collections
import datetime as dt
import logging
import time
from typing import Callable, Sequence

from sqlalchemy import and_, func, select, update
from sqlalchemy.orm import Session

from channels.audience import AudienceReader, PostFigures
from channels.base import Channel, ChannelError, make_channel
from workflow.accounts import channel_accounts
from workflow.accounts.models import AccountStatus, ChannelAccount
from workflow.core.database import utcnow
from workflow.core.runtime import Runtime, channel_config
from workflow.core.unit_of_work import transaction
from workflow.delivery.models import Delivery, DeliveryPurpose, DeliveryState
from workflow.delivery.ratelimit import Limiter, NoLimiter
from workflow.insights.limits import read_limits, take_slot
from workflow.insights.models import PostEngagement

log = logging.getLogger("crier.insights")

#: When a post is read, counted from when it went out.
SCHEDULE = tuple(dt.timedelta(hours=h) for h in (1, 6, 24, 48, 72, 168, 336, 720))
#: How long a claim on a post's reading lasts.
CLAIM = dt.timedelta(minutes=10)
#: Posts read in one pass at most (the rest wait for the next).
BATCH = 2000


def next_reading(sent_at: dt.datetime, now: dt.datetime) -> dt.datetime | None:
    """When the post is next due to be read after ``now``; None once the schedule is over."""
    for offset in SCHEDULE:
        if sent_at + offset > now:
            return sent_at + offset
    return None


def _sent_at():
    return func.coalesce(Delivery.sent_at, Delivery.updated_at)


def plan(session: Session, now: dt.datetime) -> None:
    """Give every live post not yet on the schedule its first reading (due now)."""
    since = now - SCHEDULE[-1]
    new = session.execute(
        select(Delivery.id, Delivery.message_id, Delivery.account_id)
        .join(ChannelAccount, ChannelAccount.id == Delivery.account_id)
        .outerjoin(PostEngagement, PostEngagement.delivery_id == Delivery.id)
        .where(
            Delivery.purpose == DeliveryPurpose.PUBLISH,
            Delivery.state == DeliveryState.SENT,
            Delivery.remote_id.is_not(None),
            ChannelAccount.kind.in_(["x", "facebook"]),
            _sent_at() >= since,
            PostEngagement.delivery_id.is_(None),
        )
        .limit(BATCH)
    ).all()
    for row in new:
        session.add(
            PostEngagement(
                delivery_id=row.id,
                message_id=row.message_id,
                account_id=row.account_id,
                reactions=0,
                shares=0,
                replies=0,
                readings=0,
                collected_at=now,
                next_due_at=now,
            )
        )


def claim_due(session: Session, now: dt.datetime) -> list[tuple[int, int, str, dt.datetime]]:
    """Claim the posts due a reading: ``(delivery id, account id, remote id, sent at)``."""
    rows = session.execute(
        select(Delivery.id, Delivery.account_id, Delivery.remote_id, _sent_at().label("sent"))
        .join(PostEngagement, PostEngagement.delivery_id == Delivery.id)
        .join(ChannelAccount, ChannelAccount.id == Delivery.account_id)
        .where(PostEngagement.next_due_at <= now, ChannelAccount.status == AccountStatus.ACTIVE)
        .order_by(PostEngagement.next_due_at)
        .limit(BATCH)
    ).all()
    if not rows:
        return []
    ids = [r.id for r in rows]
    claimed = set(
        session.execute(
            update(PostEngagement)
            .where(PostEngagement.delivery_id.in_(ids), PostEngagement.next_due_at <= now)
            .values(next_due_at=now + CLAIM)
            .returning(PostEngagement.delivery_id)
            .execution_options(synchronize_session=False)
        ).scalars()
    )
    return [(r.id, r.account_id, r.remote_id, r.sent) for r in rows if r.id in claimed]


def record(
    session: Session, delivery_id: int, figures: PostFigures | None, sent_at: dt.datetime, now: dt.datetime
) -> None:
    """Store one reading (``figures`` None: the post is gone) and plan the next."""
    row = session.get(PostEngagement, delivery_id)
    if row is None:
        return
    if figures is None:
        row.next_due_at = None
        return
    row.reactions, row.shares, row.replies = figures.reactions, figures.shares, figures.replies
    row.impressions = figures.impressions
    row.readings = (row.readings or 0) + 1
    row.collected_at = now
    row.next_due_at = next_reading(sent_at, now)


def _release(runtime: Runtime, ids: Sequence[int], at: dt.datetime) -> None:
    with runtime.session() as session, transaction(session):
        session.execute(
            update(PostEngagement)
            .where(PostEngagement.delivery_id.in_(list(ids)))
            .values(next_due_at=at)
            .execution_options(synchronize_session=False)
        )


def collect_engagement(
    runtime: Runtime,
    *,
    limiter: Limiter | None = None,
    now: dt.datetime | None = None,
    deadline: float | None = None,
    channel_factory: Callable[..., Channel] = make_channel,
) -> int:
    """Read every post due a reading, a batch per call within each account's windows; returns how many."""
    limiter = limiter or NoLimiter()
    now = now or utcnow()
    deadline = deadline if deadline is not None else time.monotonic() + 600
    with runtime.session() as session, transaction(session):
        plan(session, now)
        due = claim_due(session, now)
        by_account: dict[int, list[tuple[int, str, dt.datetime]]] = collections.defaultdict(list)
        for delivery_id, account_id, remote_id, sent in due:
            by_account[account_id].append((delivery_id, remote_id, sent))
        accounts = {
            a.id: (str(a.kind), channel_accounts.account_credentials(session, a))
            for a in session.execute(
                select(ChannelAccount).where(ChannelAccount.id.in_(list(by_account)))
            ).scalars()
        }
    read = 0
    for account_id, posts in by_account.items():
        kind, credentials = accounts[account_id]
        read += _read_account(
            runtime, limiter, account_id, kind, credentials, posts, now, deadline, channel_factory
        )
    return read


def _read_account(
    runtime: Runtime,
    limiter: Limiter,
    account_id: int,
    kind: str,
    credentials: dict,
    posts: list[tuple[int, str, dt.datetime]],
    now: dt.datetime,
    deadline: float,
    channel_factory: Callable[..., Channel],
) -> int:
    read = 0
    try:
        channel = channel_factory(kind, credentials, channel_config(runtime.settings))
    except ChannelError as exc:
        log.warning("account %s: cannot read engagement (%s)", account_id, exc.message)
        _release(runtime, [p[0] for p in posts], now)
        return 0
    try:
        if not isinstance(channel, AudienceReader):
            return 0
        size = max(1, channel.figures_batch)
        for start in range(0, len(posts), size):
            chunk = posts[start : start + size]
            limits = read_limits(runtime.settings, kind, account_id, "tweets" if kind == "x" else "post")
            if time.monotonic() > deadline or take_slot(limiter, limits, f"{kind} post") > 0:
                _release(runtime, [p[0] for p in posts[start:]], now)
                break
            try:
                figures = channel.post_figures([remote for _, remote, _ in chunk])
            except ChannelError as exc:
                log.warning("account %s: engagement not read (%s)", account_id, exc.message)
                _release(runtime, [p[0] for p in posts[start:]], now + dt.timedelta(minutes=15))
                break
            with runtime.session() as session, transaction(session):
                for delivery_id, remote_id, sent in chunk:
                    record(session, delivery_id, figures.get(str(remote_id)), sent, now)
            read += len(chunk)
    finally:
        channel.close()
    return read


def due_count(session: Session, now: dt.datetime) -> int:
    """How many posts are due a reading now (those never read included)."""
    waiting = session.execute(
        select(func.count()).select_from(PostEngagement).where(PostEngagement.next_due_at <= now)
    ).scalar_one()
    fresh = session.execute(
        select(func.count())
        .select_from(Delivery)
        .join(ChannelAccount, ChannelAccount.id == Delivery.account_id)
        .outerjoin(PostEngagement, PostEngagement.delivery_id == Delivery.id)
        .where(
            and_(
                Delivery.purpose == DeliveryPurpose.PUBLISH,
                Delivery.state == DeliveryState.SENT,
                Delivery.remote_id.is_not(None),
                ChannelAccount.kind.in_(["x", "facebook"]),
                _sent_at() >= now - SCHEDULE[-1],
                PostEngagement.delivery_id.is_(None),
            )
        )
    ).scalar_one()
    return int(waiting) + int(fresh)
