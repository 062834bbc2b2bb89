"""Short leases kept alive by a heartbeat, and what a worker that takes a
lapsed lease over may do: reconcile at once, but post only once the old
attempt's platform call can no longer land. On SQLite and PostgreSQL."""
from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import update

from channels.base import PublishResult
from tests.conftest import make_account
from tests.engine.test_delivery_unit import Scripted, approved, fresh, make_due, run  # noqa: F401
from workflow.core.database import utcnow
from workflow.delivery import jobs, send
from workflow.delivery import leases as delivery_leases
from workflow.delivery.models import Delivery


def lapse_lease_of_dead_worker(runtime, d_id: int, ago: float = 0.5) -> dt.datetime:
    """A worker claimed the delivery and died; its lease lapsed ``ago`` seconds ago. Returns the lapse time."""
    lapsed_at = utcnow() - dt.timedelta(seconds=ago)
    with runtime.session() as s:
        assert delivery_leases.claim_delivery(s, d_id, "dead-worker/1") is not None
        s.execute(update(Delivery).where(Delivery.id == d_id).values(lease_expires_at=lapsed_at))
        s.commit()
    return fresh(runtime, d_id).lease_expires_at


def test_renewal_extends_only_the_owners_lease(runtime, website_account, approved):
    (d_id,) = approved([website_account.id])
    with runtime.session() as s:
        assert delivery_leases.claim_delivery(s, d_id, "worker-a/1") is not None
    before = fresh(runtime, d_id).lease_expires_at
    later = utcnow() + dt.timedelta(seconds=3)
    with runtime.session() as s:
        assert not delivery_leases.renew_lease(s, d_id, "worker-b/1", now=later)
        assert fresh(runtime, d_id).lease_expires_at == before
        assert delivery_leases.renew_lease(s, d_id, "worker-a/1", now=later)
    assert fresh(runtime, d_id).lease_expires_at > before


def test_the_heartbeat_renews_well_inside_the_lease(runtime):
    settings = runtime.settings
    assert delivery_leases.heartbeat_interval(settings) <= settings.lease_seconds / 3
    long_beat = dataclasses.replace(settings, lease_seconds=10, heartbeat_seconds=60)
    assert delivery_leases.heartbeat_interval(long_beat) <= 10 / 3
    assert delivery_leases.heartbeat_interval(dataclasses.replace(settings, lease_seconds=10, heartbeat_seconds=3)) == 3


def test_a_lease_lost_before_the_call_means_no_platform_call(runtime, website_account, approved):
    (d_id,) = approved([website_account.id])
    channel = Scripted(publish=[PublishResult("page-1")])

    def taken_over_while_preparing(*args):
        # The worker stalled between claim and call; another took the delivery.
        with runtime.session() as s:
            s.execute(update(Delivery).where(Delivery.id == d_id).values(lease_owner="worker-b/1"))
            s.commit()
        return channel

    outcome = send.deliver(runtime, d_id, owner="worker-a/1", channel_factory=taken_over_while_preparing)
    assert outcome.status == "lease_lost"
    assert channel.calls == []
    d = fresh(runtime, d_id)
    assert d.lease_owner == "worker-b/1" and d.remote_id is None


def test_a_thread_stops_at_the_part_where_its_lease_was_lost(runtime, session, approved):
    x = make_account(session, "x", "Force X")
    body = " ".join(f"Update {n}: officers remain at the scene on Station Road while the cordon stays in "
                    f"place and forensic teams complete their work." for n in range(1, 6))
    (d_id,) = approved([x.id], body=body)
    posted: list[str] = []

    def lose_the_lease_after_one_part(post, on_part, already):
        posted.append("p1")
        on_part("p1")
        with runtime.session() as s:
            s.execute(update(Delivery).where(Delivery.id == d_id).values(lease_owner="worker-b/1"))
            s.commit()
        for part in ("p2", "p3"):
            posted.append(part)
            on_part(part)
        return PublishResult("p1", None, tuple(posted))

    assert run(runtime, d_id, Scripted(publish=[lose_the_lease_after_one_part])).status == "lease_lost"
    # p2 reached the platform before its store found the lease gone; p3 never did.
    assert posted == ["p1", "p2"]
    d = fresh(runtime, d_id)
    assert d.posted_parts == ["p1"] and d.lease_owner == "worker-b/1"


def test_a_lapsed_lease_is_reconciled_at_once_but_not_reposted_while_its_call_may_land(runtime, website_account,
                                                                                     approved):
    (d_id,) = approved([website_account.id])
    settings = runtime.settings
    # A post started just before the lease was last renewed may land up to
    # the adapters' timeouts after that; take the lease over well inside it.
    lapsed_at = lapse_lease_of_dead_worker(
        runtime, d_id, ago=max(0.0, settings.connect_timeout + settings.read_timeout - settings.lease_seconds) / 2)
    # Taken over: the platform has no post yet, but the old call may still land.
    early = Scripted(find=[None], publish=[PublishResult("page-2")])
    assert run(runtime, d_id, early, owner="worker-b/1").status == "unknown"
    assert [c[0] for c in early.calls] == ["find_recent"]
    d = fresh(runtime, d_id)
    assert d.state == "unknown" and d.lease_owner is None
    bound = delivery_leases.in_flight_until(runtime.settings, lapsed_at)
    assert d.next_attempt_at >= bound - dt.timedelta(seconds=0.01)
    # The old call landed meanwhile: the next attempt finds it and posts nothing.
    make_due(runtime, d_id)
    late = Scripted(find=[PublishResult("page-1", "https://police.example/news/page-1")])
    assert run(runtime, d_id, late, owner="worker-b/1").status == "sent"
    assert [c[0] for c in late.calls] == ["find_recent"]
    assert fresh(runtime, d_id).remote_id == "page-1"


def test_a_lapsed_lease_whose_call_can_no_longer_land_is_posted_after_reconciling(runtime, website_account,
                                                                                 approved):
    (d_id,) = approved([website_account.id])
    settings = runtime.settings
    bound = settings.connect_timeout + settings.read_timeout + jobs.IN_FLIGHT_MARGIN - settings.lease_seconds + 1
    lapse_lease_of_dead_worker(runtime, d_id, ago=bound)
    absent = Scripted(find=[None], publish=[PublishResult("page-2")])
    assert run(runtime, d_id, absent, owner="worker-b/1").status == "sent"
    assert [c[0] for c in absent.calls] == ["find_recent", "publish"]


def test_a_post_after_a_long_look_up_starts_only_under_a_renewed_lease(runtime, website_account, approved):
    (d_id,) = approved([website_account.id])
    settings = runtime.settings
    lapse_lease_of_dead_worker(runtime, d_id, ago=settings.connect_timeout + settings.read_timeout + 5)

    def slow_look_up_meanwhile_taken_over(post):
        # This worker stalled in the look-up long enough to lose its lease.
        with runtime.session() as s:
            s.execute(update(Delivery).where(Delivery.id == d_id).values(lease_owner="worker-c/1"))
            s.commit()
        return None

    channel = Scripted(find=[slow_look_up_meanwhile_taken_over], publish=[PublishResult("page-2")])
    assert run(runtime, d_id, channel, owner="worker-b/1").status == "lease_lost"
    assert [c[0] for c in channel.calls] == ["find_recent"]
    assert fresh(runtime, d_id).lease_owner == "worker-c/1"
