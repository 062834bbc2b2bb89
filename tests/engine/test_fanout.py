"""End to end: approval -> real worker processes -> simulators, on PostgreSQL and Redis."""
from __future__ import annotations

import pytest

from tests.engine.conftest import (
    add_facebook,
    add_website,
    add_x,
    all_settled,
    approve_message,
    delivery_rows,
    describe,
    message_status,
    wait_for,
)

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]


def test_approval_reaches_each_channel_exactly_once(rt, people, x_sim, graph_sim, processes):
    x = add_x(rt, x_sim, "Force X")
    fb = add_facebook(rt, graph_sim, "Force Facebook")
    web = add_website(rt)
    processes.worker()
    body = "The A1 northbound is closed at junction 4 after a collision. Please avoid the area."
    message_id = approve_message(rt, people, [x, fb, web], body)

    wait_for(lambda: all_settled(rt, message_id), "every delivery to settle", describe=describe(rt, processes))
    rows = {d.account_id: d for d in delivery_rows(rt, message_id)}
    assert {d.state for d in rows.values()} == {"sent"}, describe(rt, processes)()
    assert len(x_sim.posts) == 1 and x_sim.posts[0]["text"].startswith("The A1 northbound is closed")
    assert len(graph_sim.posts) == 1 and graph_sim.posts[0]["message"].startswith("The A1 northbound")
    assert rows[x].remote_id == x_sim.posts[0]["id"]
    assert rows[fb].remote_id == graph_sim.posts[0]["id"]
    assert rows[web].url and rows[web].url.startswith("https://police.example/")
    assert message_status(rt, message_id) == "published"


def test_an_incident_update_overtakes_a_routine_backlog(rt, people, x_sim, graph_sim, processes):
    routine_accounts = [add_facebook(rt, graph_sim, f"Ward {i} Facebook", area=f"Ward {i}") for i in range(20)]
    force = add_x(rt, x_sim, "Force X")
    graph_sim.latency.seconds = 0.2
    backlog = approve_message(rt, people, routine_accounts, "Community meeting on Thursday at the library.")
    incident = approve_message(rt, people, [force], "Major incident: avoid the city centre.",
                               incident={"title": "City centre incident"})
    # One worker, one delivery at a time, both queues: the backlog is queued first.
    processes.worker(concurrency=1)
    wait_for(lambda: all_settled(rt), "every delivery to settle", describe=describe(rt, processes))
    (urgent,) = delivery_rows(rt, incident)
    routine_times = sorted(d.sent_at for d in delivery_rows(rt, backlog))
    assert urgent.queue == "incident"
    # At most the one routine post already taken when the worker started went first.
    assert urgent.sent_at < routine_times[1], (urgent.sent_at, routine_times[:3])
