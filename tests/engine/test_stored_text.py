"""Workers send the posts stored and hashed with the verified version, never a fresh rendering.

A worker with another public base URL, a changed rendering rule (a template or
library upgrade) or a platform whose rules changed since verification must not
send words nobody verified: it sends the stored posts, or fails the delivery
with the reason.
"""
from __future__ import annotations

import json

import pytest

from channels.x import XChannel
from tests.engine.conftest import (
    add_facebook,
    add_website,
    add_x,
    all_settled,
    approve_message,
    delivery_rows,
    describe,
    wait_for,
)
from workflow.delivery import send as delivery
from workflow.insights.visits import tag_of
from workflow.messages.models import MessageVersion

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

BODY = ("Road closure: the A38 is closed in both directions between junctions 4 and 5 after a collision. "
        "Please avoid the area; diversions are signed via the A5 and the ring road.")


def stored_posts(rt, message_id: int) -> tuple[dict[str, list[str]], str]:
    with rt.session() as s:
        version = s.query(MessageVersion).filter_by(message_id=message_id, number=1).one()
        content = json.loads(version.content)
    return {k: v["posts"] for k, v in content["rendered"].items()}, content["link"]


@pytest.mark.slow
def test_a_worker_with_another_public_url_sends_the_verified_link(rt, people, x_sim, graph_sim, processes):
    x = add_x(rt, x_sim, "Force X")
    fb = add_facebook(rt, graph_sim, "Force Facebook")
    web = add_website(rt)
    message_id = approve_message(rt, people, [x, fb, web], BODY)
    posts, link = stored_posts(rt, message_id)
    assert link.startswith("https://police.example/news/")

    processes.worker(extra_env={"CRIER_PUBLIC_BASE_URL": "https://somewhere-else.example"})
    wait_for(lambda: all_settled(rt, message_id), "every delivery to settle", describe=describe(rt, processes))

    assert {d.state for d in delivery_rows(rt, message_id)} == {"sent"}
    assert [p["text"] for p in x_sim.posts] == posts[str(x)]
    assert link in x_sim.posts[-1]["text"]
    [page_post] = graph_sim.posts
    # Each channel's link is the verified one with its account's tag (docs/insights.md).
    assert (page_post["message"], page_post["link"]) == (posts[str(fb)][0], f"{link}?via={tag_of(fb)}")
    assert "somewhere-else" not in json.dumps([x_sim.posts, graph_sim.posts])


def test_a_changed_rendering_rule_never_changes_what_is_sent(rt, people, x_sim, monkeypatch):
    x = add_x(rt, x_sim, "Force X")
    message_id = approve_message(rt, people, [x], BODY + " Updates to follow as we have them.")
    posts, _ = stored_posts(rt, message_id)
    # A template or library upgrade after verification: X would now render the text differently.
    monkeypatch.setattr(XChannel, "render", classmethod(lambda cls, text, link=None: [f"NEW RULES: {text}"]))

    [row] = delivery_rows(rt, message_id)
    outcome = delivery.deliver(rt, row.id, owner="test/1")

    assert outcome.status == "sent"
    assert [p["text"] for p in x_sim.posts] == posts[str(x)]
    assert not any("NEW RULES" in p["text"] for p in x_sim.posts)


def test_a_stored_post_the_channel_can_no_longer_carry_fails_with_the_reason(rt, people, x_sim, monkeypatch):
    x = add_x(rt, x_sim, "Force X")
    message_id = approve_message(rt, people, [x], "The A38 has reopened. Thank you for your patience.")
    # X's rules changed after verification: the stored post is now too long for it.
    monkeypatch.setattr(XChannel, "part_problems",
                        classmethod(lambda cls, part: ["It is 290 of 280 characters as X counts them."]))

    [row] = delivery_rows(rt, message_id)
    outcome = delivery.deliver(rt, row.id, owner="test/1")

    assert outcome.status == "failed"
    [row] = delivery_rows(rt, message_id)
    assert row.state == "failed"
    assert "can no longer carry the verified text" in row.last_error
    assert "290 of 280" in row.last_error
    assert x_sim.posts == [] and x_sim.create_count == 0
