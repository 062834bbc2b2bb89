"""One insights pass, and when the scheduler starts one.

A pass reads every audience account (starting a new collection for each
whose last one began at least ``CRIER_INSIGHTS_INTERVAL`` ago, resuming any
that waited for a rate-limit window) and every post due an engagement
reading. ``crier insights collect`` runs one now, starting a new collection
for every account. The scheduler sends the pass as a task on the routine queue,
never the incident one, when one is due: so it never stands in front of an
incident post, and its platform reads stay inside the windows it shares with
posting (:mod:`workflow.insights.limits`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import threading
import time
from typing import Callable

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from channels.base import Channel, make_channel
from workflow.core.database import utcnow
from workflow.core.runtime import Dispatcher, Runtime
from workflow.delivery.ratelimit import Limiter
from workflow.insights import collection, engagement
from workflow.insights.models import AudienceCollection, CollectionState

log = logging.getLogger("crier.insights")

#: Longest a pass works before leaving the rest to the next (a resumed scan goes on where it stopped).
PASS_SECONDS = 600.0
#: The scheduler sends at most one pass this often, however often it looks.
WAKE_EVERY = 60.0


@dataclasses.dataclass(frozen=True)
class PassReport:
    """What one pass did."""

    outcomes: tuple[collection.Outcome, ...]
    posts_read: int

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    def summary(self) -> str:
        return (
            f"{self.count('complete')} account(s) collected, "
            f"{self.count('waiting')} waiting for a rate-limit "
            f"window, {self.count('failed')} failed; {self.posts_read} post(s) read"
        )


def collect(
    runtime: Runtime,
    limiter: Limiter | None = None,
    *,
    fresh: bool = False,
    now: dt.datetime | None = None,
    seconds: float = PASS_SECONDS,
    channel_factory: Callable[..., Channel] = make_channel,
) -> PassReport:
    """One pass; ``fresh``: start a new collection for every account whatever the interval."""
    now = now or utcnow()
    deadline = time.monotonic() + seconds
    start_after = None if fresh else now - dt.timedelta(seconds=runtime.settings.insights_interval)
    with runtime.session() as session:
        ids = [a.id for a in collection.audience_accounts(session)]
    outcomes = []
    for account_id in ids:
        try:
            outcomes.append(
                collection.collect_audience(
                    runtime,
                    account_id,
                    limiter=limiter,
                    start_after=start_after,
                    deadline=deadline,
                    channel_factory=channel_factory,
                )
            )
        except Exception:
            # One account's surprise must not stop the others; its lease lapses and the next pass retries.
            log.exception("collecting the audience of account %s failed", account_id)
            outcomes.append(collection.Outcome(account_id, "failed", note="unexpected error"))
    try:
        posts = engagement.collect_engagement(
            runtime, limiter=limiter, now=now, deadline=deadline, channel_factory=channel_factory
        )
    except Exception:
        log.exception("reading engagement failed")
        posts = 0
    report = PassReport(tuple(outcomes), posts)
    log.info("insights pass: %s", report.summary())
    return report


def is_due(session: Session, interval: float, now: dt.datetime | None = None) -> bool:
    """Whether a pass has work: an account not collected within ``interval``, a scan ready to resume,
    or a post due a reading."""
    now = now or utcnow()
    accounts = collection.audience_accounts(session)
    if not accounts:
        return False
    ids = [a.id for a in accounts]
    recent = set(
        session.execute(
            select(AudienceCollection.account_id).where(
                AudienceCollection.account_id.in_(ids),
                AudienceCollection.started_at > now - dt.timedelta(seconds=interval),
            )
        ).scalars()
    )
    if set(ids) - recent:
        return True
    resumable = session.execute(
        select(func.count())
        .select_from(AudienceCollection)
        .where(
            AudienceCollection.state == CollectionState.RUNNING,
            or_(AudienceCollection.resume_at.is_(None), AudienceCollection.resume_at <= now),
            or_(AudienceCollection.lease_expires_at.is_(None), AudienceCollection.lease_expires_at < now),
        )
    ).scalar_one()
    return bool(resumable) or engagement.due_count(session, now) > 0


class Waker:
    """The scheduler's side: send a pass to the routine queue when one is due, at most every WAKE_EVERY."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.last = float("-inf")

    def __call__(self, runtime: Runtime, dispatcher: Dispatcher) -> bool:
        with self.lock:
            if time.monotonic() - self.last < WAKE_EVERY:
                return False
            self.last = time.monotonic()
        send = getattr(dispatcher, "send_insights", None)
        if send is None:
            return False
        with runtime.session() as session:
            if not is_due(session, runtime.settings.insights_interval):
                return False
        send()
        return True


wake_if_due = Waker()
