"""Reading an account's audience: its follower count and where its followers live, as counts.

X: the follower count from ``public_metrics``, then every follower's profile
location, 1,000 a page. Each page is matched to the gazetteer and thrown away
at once; only counts per place, the running totals and X's page token are
stored, in one transaction per page, so a scan stopped by a rate limit (ours,
or X's 429 with ``x-rate-limit-reset``), a crash or a deploy resumes at the
page after the last one counted and never counts a page twice. Facebook: the
follower count, and Meta's own followers per city where Meta gives them.

A collection is leased while one process works on it, so two workers never
scan the same account at once.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import logging
import time
from typing import Callable

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from channels.audience import AudienceReader, FollowerPage, PaginationExpiredError, RateLimitedError
from channels.base import Channel, ChannelError, PermanentError, TransientError, make_channel
from workflow.accounts import channel_accounts
from workflow.accounts.models import AccountStatus, ChannelAccount
from workflow.core.database import utcnow
from workflow.core.runtime import Runtime, channel_config
from workflow.core.unit_of_work import transaction
from workflow.delivery.ratelimit import Limiter, NoLimiter
from workflow.insights import gazetteer
from workflow.insights.limits import read_limits, take_slot
from workflow.insights.matching import Matcher
from workflow.insights.models import AudienceCollection, CollectionState, PlaceCount

log = logging.getLogger("crier.insights")

CS = CollectionState
#: How long one process holds a collection (renewed at every page).
LEASE = dt.timedelta(minutes=10)
#: Wait after a failure that names no time.
DEFAULT_WAIT = 900.0


@dataclasses.dataclass(frozen=True)
class Outcome:
    """What one account's turn did: ``complete``, ``waiting`` (for a window), ``failed`` or ``skipped``."""

    account_id: int
    status: str
    pages: int = 0
    note: str | None = None


def target_areas(account: ChannelAccount) -> set[str] | None:
    """The areas whose followers are local to ``account``: its own, or the whole force (None)."""
    return {account.area} if account.area else None


def audience_accounts(session: Session) -> list[ChannelAccount]:
    """The accounts whose audience Crier reads: active X and Facebook accounts, exercises left out."""
    return list(
        session.execute(
            select(ChannelAccount)
            .where(
                ChannelAccount.kind.in_(["x", "facebook"]),
                ChannelAccount.status == AccountStatus.ACTIVE,
                ChannelAccount.exercise.is_(False),
            )
            .order_by(ChannelAccount.id)
        ).scalars()
    )


def _claim(
    session: Session,
    account: ChannelAccount,
    now: dt.datetime,
    *,
    start_after: dt.datetime | None,
) -> AudienceCollection | None:
    """Its running collection (leased to us) or a new one if the last began before ``start_after``."""
    running = session.execute(
        select(AudienceCollection)
        .where(AudienceCollection.account_id == account.id, AudienceCollection.state == CS.RUNNING)
        .order_by(AudienceCollection.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    if running is None:
        latest = session.execute(
            select(AudienceCollection.started_at)
            .where(AudienceCollection.account_id == account.id)
            .order_by(AudienceCollection.started_at.desc())
            .limit(1)
        ).scalar_one_or_none()
        if start_after is not None and latest is not None and latest > start_after:
            return None
        running = AudienceCollection(
            account_id=account.id,
            state=CS.RUNNING,
            started_at=now,
            followers_read=0,
            pages=0,
            lease_expires_at=now + LEASE,
        )
        session.add(running)
        session.flush()
        return running
    if running.resume_at is not None and running.resume_at > now:
        return None
    won = session.execute(
        update(AudienceCollection)
        .where(
            AudienceCollection.id == running.id,
            or_(AudienceCollection.lease_expires_at.is_(None), AudienceCollection.lease_expires_at < now),
        )
        .values(lease_expires_at=now + LEASE)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not won:
        return None
    session.refresh(running)
    return running


class _Scan:
    """One account's turn: the collection row, the matcher and the channel."""

    def __init__(
        self,
        runtime: Runtime,
        collection_id: int,
        account: ChannelAccount,
        matcher: Matcher,
        limiter: Limiter,
        deadline: float,
    ):
        self.runtime = runtime
        self.collection_id = collection_id
        self.account_id = account.id
        self.kind = str(account.kind)
        self.areas = target_areas(account)
        self.matcher = matcher
        self.limiter = limiter
        self.deadline = deadline
        self.pages = 0

    def limits(self, read: str) -> list:
        return read_limits(self.runtime.settings, self.kind, self.account_id, read)

    def save(self, change: Callable[[AudienceCollection, Session], None]) -> None:
        with self.runtime.session() as session, transaction(session):
            row = session.get(AudienceCollection, self.collection_id)
            row.lease_expires_at = utcnow() + LEASE  # renewed; a change that ends the turn clears it
            change(row, session)

    def count(
        self, row: AudienceCollection, session: Session, places: collections.Counter, read: int, local: int
    ) -> None:
        existing = {p.place: p for p in row.places}
        for (area, place), number in places.items():
            if place in existing:
                existing[place].followers += number
            else:
                session.add(PlaceCount(collection_id=row.id, place=place, area=area, followers=number))
        row.followers_read = (row.followers_read or 0) + read
        row.local_followers = (row.local_followers or 0) + local

    def wait(self, seconds: float, note: str | None = None) -> Outcome:
        until = utcnow() + dt.timedelta(seconds=max(1.0, seconds))

        def change(row: AudienceCollection, _: Session) -> None:
            row.resume_at, row.lease_expires_at = until, None
            row.note = note

        self.save(change)
        return Outcome(self.account_id, "waiting", self.pages, note)

    def finish(self, state: CollectionState, note: str | None = None) -> Outcome:
        def change(row: AudienceCollection, _: Session) -> None:
            row.state, row.finished_at, row.note = state, utcnow(), note
            row.cursor, row.resume_at, row.lease_expires_at = None, None, None

        self.save(change)
        return Outcome(self.account_id, str(state), self.pages, note)

    def page(self, page: FollowerPage) -> None:
        places: collections.Counter = collections.Counter()
        for location in page.locations:
            found = self.matcher.match_place(location, self.areas)
            if found is not None:
                places[found] += 1
        local = sum(places.values())

        def change(row: AudienceCollection, session: Session) -> None:
            self.count(row, session, places, len(page.locations), local)
            row.cursor, row.pages, row.note = page.next_token, (row.pages or 0) + 1, None

        self.save(change)
        self.pages += 1

    def restart(self) -> None:
        def change(row: AudienceCollection, session: Session) -> None:
            for place in list(row.places):
                session.delete(place)
            row.followers_read, row.local_followers, row.cursor, row.pages = 0, 0, None, 0

        self.save(change)


def _scan_x(scan: _Scan, channel: AudienceReader, row: AudienceCollection) -> Outcome:
    if row.followers is None:
        if take_slot(scan.limiter, scan.limits("users"), "X user") > 0:
            return scan.wait(60.0, "waiting for X's user look-up window")
        followers = channel.audience().followers

        def store(r: AudienceCollection, _: Session) -> None:
            r.followers = followers

        scan.save(store)
    cursor, restarted = row.cursor, False
    if row.pages and not cursor:
        return scan.finish(CS.COMPLETE)
    while True:
        if time.monotonic() > scan.deadline:
            return scan.wait(1.0, "this pass ran out of time; the next goes on from here")
        wait = take_slot(scan.limiter, scan.limits("followers"), "X followers")
        if wait > 0:
            return scan.wait(wait, "waiting for X's follower window")
        try:
            page = channel.follower_locations(cursor)
        except RateLimitedError as exc:
            return scan.wait(exc.retry_after or DEFAULT_WAIT, "X's follower window is used up")
        except PaginationExpiredError:
            if restarted:
                raise
            scan.restart()
            cursor, restarted = None, True
            continue
        scan.page(page)
        cursor = page.next_token
        if not cursor:
            return scan.finish(CS.COMPLETE)
        if page.remaining == 0 and page.reset_at:
            return scan.wait(page.reset_at - time.time(), "X's follower window is used up")


def _read_facebook(scan: _Scan, channel: AudienceReader) -> Outcome:
    if take_slot(scan.limiter, scan.limits("page"), "Facebook Page") > 0:
        return scan.wait(300.0, "waiting for the Page's Graph window")
    audience = channel.audience()
    places: collections.Counter = collections.Counter()
    read = 0
    for city, number in (audience.places or {}).items():
        read += number
        found = scan.matcher.match_place(city, scan.areas)
        if found is not None:
            places[found] += number

    def change(row: AudienceCollection, session: Session) -> None:
        row.followers = audience.followers
        if audience.places is not None:
            scan.count(row, session, places, read, sum(places.values()))

    scan.save(change)
    return scan.finish(CS.COMPLETE, audience.note)


def collect_audience(
    runtime: Runtime,
    account_id: int,
    *,
    limiter: Limiter | None = None,
    start_after: dt.datetime | None = None,
    deadline: float | None = None,
    channel_factory: Callable[..., Channel] = make_channel,
) -> Outcome:
    """One turn at one account's audience: start a collection (if the last began before ``start_after``;
    None: always) or resume the running one, until it completes, waits for a window or the ``deadline``."""
    limiter = limiter or NoLimiter()
    now = utcnow()
    with runtime.session() as session:
        with transaction(session):
            account = session.get(ChannelAccount, account_id)
            if account is None or account.status != AccountStatus.ACTIVE:
                return Outcome(account_id, "skipped")
            row = _claim(session, account, now, start_after=start_after)
            if row is None:
                return Outcome(account_id, "skipped")
            credentials = channel_accounts.account_credentials(session, account)
            scan = _Scan(
                runtime,
                row.id,
                account,
                gazetteer.matcher(session),
                limiter,
                deadline if deadline is not None else time.monotonic() + 600,
            )
        session.expunge(row)
    try:
        channel = channel_factory(scan.kind, credentials, channel_config(runtime.settings))
    except PermanentError as exc:
        return scan.finish(CS.FAILED, exc.message)
    try:
        if not isinstance(channel, AudienceReader):
            return scan.finish(CS.FAILED, "this channel has no audience to read")
        if scan.kind == "x":
            return _scan_x(scan, channel, row)
        return _read_facebook(scan, channel)
    except TransientError as exc:
        return scan.wait(exc.retry_after or DEFAULT_WAIT, exc.message)
    except PermanentError as exc:
        if exc.reconnect:
            with runtime.session() as session, transaction(session):
                channel_accounts.mark_reconnect(session, session.get(ChannelAccount, account_id), exc.message)
        return scan.finish(CS.FAILED, exc.message)
    except ChannelError as exc:
        return scan.wait(DEFAULT_WAIT, exc.message)
    finally:
        channel.close()
