"""The sweeper's wake-ups and the shared posting limits."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from workflow.core.config import Settings
from workflow.core.database import utcnow
from workflow.delivery import leases as delivery
from workflow.delivery import ratelimit, sweeper
from workflow.delivery.models import Delivery
from workflow.messages import drafts, review


class Recorder:
    def __init__(self):
        self.sent: list[tuple[int, str]] = []

    def dispatch(self, ids):
        raise AssertionError("the sweeper routes its wake-ups itself")

    def send(self, routed, countdown=None):
        self.sent.extend(routed)
        return len(routed)


@pytest.fixture
def one_delivery(session, officer, supervisor, website_account):
    m = drafts.create_draft(session, officer, {"body": "Lost dog found in the park.",
                                                 "accounts": [website_account.id]})
    review.submit(session, officer, m.id)
    review.approve(session, supervisor, m.id, m.current_version)
    d_id = session.execute(select(Delivery.id).where(Delivery.message_id == m.id)).scalar_one()
    session.commit()
    return d_id


def test_the_sweeper_wakes_a_delivery_whose_wake_up_was_lost_once_per_window(runtime, one_delivery):
    rec = Recorder()
    now = utcnow()
    # Just dispatched by the approval: left alone for now.
    assert sweeper.wake_due(runtime, rec, now=now) == 0
    later = now + dt.timedelta(seconds=sweeper.redispatch_after(runtime.settings.sweep_interval) + 1)
    assert sweeper.wake_due(runtime, rec, now=later) == 1
    assert rec.sent == [(one_delivery, "routine")]
    # A second scheduler in the same window finds nothing left to wake.
    assert sweeper.wake_due(runtime, Recorder(), now=later) == 0


def test_the_sweeper_wakes_due_retries_and_lapsed_leases_but_not_live_ones(runtime, one_delivery):
    now = utcnow()
    with runtime.session() as s:
        s.execute(update(Delivery).where(Delivery.id == one_delivery).values(
            state="retrying", next_attempt_at=now + dt.timedelta(seconds=30), updated_at=now))
        s.commit()
    assert sweeper.wake_due(runtime, Recorder(), now=now + dt.timedelta(seconds=29)) == 0
    assert sweeper.wake_due(runtime, Recorder(), now=now + dt.timedelta(seconds=31)) == 1
    with runtime.session() as s:
        s.execute(update(Delivery).where(Delivery.id == one_delivery).values(
            state="sending", lease_owner="dead-worker/1", lease_expires_at=now + dt.timedelta(seconds=60),
            updated_at=now))
        s.commit()
    assert sweeper.wake_due(runtime, Recorder(), now=now + dt.timedelta(seconds=59)) == 0
    assert sweeper.wake_due(runtime, Recorder(), now=now + dt.timedelta(seconds=61)) == 1


def test_held_and_finished_deliveries_are_never_woken(runtime, one_delivery):
    later = utcnow() + dt.timedelta(hours=1)
    for state in ("held", "sent", "failed", "cancelled"):
        with runtime.session() as s:
            s.execute(update(Delivery).where(Delivery.id == one_delivery).values(state=state))
            s.commit()
        assert sweeper.wake_due(runtime, Recorder(), now=later) == 0, state


# Posting limits -----------------------------------------------------------------------------------

def test_limits_come_from_the_settings_per_platform(runtime):
    limits = ratelimit.limits_for(runtime.settings, "x", 7)
    assert limits == [ratelimit.Limit("account:7", 100, 900.0)]
    assert ratelimit.limits_for(runtime.settings, "website", 7) == []
    with pytest.raises(ValueError):
        ratelimit.parse_limit("often")


def _burst(limiter) -> None:
    limits = [ratelimit.Limit("account:1", 3, 60), ratelimit.Limit("app:x", 5, 60)]
    assert [limiter.acquire(limits) for _ in range(3)] == [0, 0, 0]
    wait = limiter.acquire(limits)
    assert 0 < wait <= 60
    # Another account shares only the app-wide window: two more fit, then it is full.
    other = [ratelimit.Limit("account:2", 3, 60), ratelimit.Limit("app:x", 5, 60)]
    assert [limiter.acquire(other) for _ in range(2)] == [0, 0]
    assert limiter.acquire(other) > 0
    # A refused request took nothing: account 1 is still at 3 of 3.
    assert limiter.acquire([ratelimit.Limit("account:1", 4, 60)]) == 0


def test_sqlite_limiter_keeps_a_burst_inside_the_window(tmp_path):
    _burst(ratelimit.SQLiteLimiter(tmp_path / "rl.sqlite3"))


@pytest.mark.redis
def test_redis_limiter_keeps_a_burst_inside_the_window(broker):
    _burst(ratelimit.RedisLimiter(broker, prefix="crier-test:"))


def test_a_worker_on_both_queues_polls_incident_first():
    from workflow.delivery import workers as celery_app

    # Redis polls queues in sorted order: the incident queue must sort first.
    assert sorted(celery_app.QUEUES) == list(celery_app.QUEUES) == ["incident", "routine"]
    options = celery_app.broker_options("redis://127.0.0.1:6379/0", None)
    assert options["queue_order_strategy"] == "sorted"
    settings = Settings(database_url="sqlite://", broker_url="redis://", secret_key="k")
    soft, hard = delivery.time_limits(settings)
    # Above the adapters' timeouts, soft below hard, and a redelivery only
    # long after a running delivery would have been killed.
    assert settings.connect_timeout + settings.read_timeout < soft < hard
    assert options["visibility_timeout"] > 2 * hard
