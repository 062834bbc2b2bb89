"""Insight passes in the real engine: the scheduler sends them to the routine queue, so a worker of the
incident queue alone never runs one (and never delays an incident post behind one), and a routine
worker collects every audience and reads the posts' figures."""
from __future__ import annotations

import pytest
import redis
from sqlalchemy import select

from tests.engine.conftest import add_x, all_settled, approve_message, describe, wait_for
from workflow.accounts.channel_accounts import account_credentials, get_account
from workflow.insights import gazetteer
from workflow.insights.models import AudienceCollection, PostEngagement

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


def complete(rt) -> list[AudienceCollection]:
    with rt.session() as s:
        query = select(AudienceCollection).where(AudienceCollection.state == "complete")
        return list(s.execute(query).scalars())


def readings(rt) -> int:
    with rt.session() as s:
        return len(s.execute(select(PostEngagement).where(PostEngagement.readings > 0)).scalars().all())


@pytest.mark.slow
def test_the_scheduler_s_passes_run_on_the_routine_queue_only(rt, people, x_sim, processes, broker):
    north = add_x(rt, x_sim, "North X", area="North")
    with rt.session() as s:
        gazetteer.ensure_demo(s)
        user_id = account_credentials(s, get_account(s, north))["user_id"]
    x_sim.audience.populate(user_id, 2500)
    processes.worker(queues="incident", name="incident@%h")
    processes.scheduler()
    message_id = approve_message(rt, people, [north], "Officers are at the scene of a fire in Burslem.",
                                 incident={"title": "Burslem fire"})
    wait_for(lambda: all_settled(rt, message_id), "the incident post", describe=describe(rt, processes))
    # The scheduler sends a pass to the routine queue, where it waits: the incident worker never takes it.
    queue = redis.Redis.from_url(broker)
    wait_for(lambda: any(b"crier.insights.collect" in m for m in queue.lrange("routine", 0, -1)),
             "the scheduler to send an insights pass to the routine queue", describe=processes.logs)
    assert complete(rt) == [] and x_sim.audience.calls.get("followers", 0) == 0
    processes.worker(queues="routine", name="routine@%h")
    wait_for(lambda: complete(rt), "a routine worker to collect the audience", describe=processes.logs)
    [row] = complete(rt)
    assert (row.followers, row.followers_read) == (2500, 2500) and row.local_followers > 0
    wait_for(lambda: readings(rt) == 1, "the incident post's first reading", describe=processes.logs)
