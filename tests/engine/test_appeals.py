"""The appeal lifecycle end to end (issue 11, point 6), through the API, real worker and
scheduler processes, the X and Graph simulators and the website, on PostgreSQL and Redis.

A missing-person appeal (made from the library's template, corrected once, followed by a
second appeal message) goes out everywhere; the person is found; the found update is
verified and goes out; every appeal post comes down on X, Facebook and the website,
exactly once. A rejected found update takes nothing down.
"""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from tests.conftest import ApiClient
from tests.engine.conftest import add_facebook, add_website, add_x, all_settled, describe, wait_for
from workflow.audit.models import AuditEvent
from workflow.delivery.models import Delivery
from workflow.delivery.sweeper import close_found_appeals
from workflow.messages.models import Message

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

VALUES = {"name": "Alan Reeve", "age": "67", "location": "Bishopton", "time": "3pm Tuesday",
          "description": "5ft 10in with grey hair and a blue anorak", "reference": "412"}


@pytest.fixture
def desk(engine_app, rt, people):
    from workflow.accounts.tokens import create_token

    officer, supervisor = people
    with rt.session() as s:
        tokens = {"officer": create_token(s, officer, "tests"), "supervisor": create_token(s, supervisor, "tests")}
    return {name: ApiClient(engine_app.test_client(), token) for name, token in tokens.items()}


@pytest.fixture
def channels(rt, x_sim, graph_sim):
    return [add_x(rt, x_sim, "Force X"), add_facebook(rt, graph_sim, "Force Facebook"), add_website(rt)]


def approve(desk, message_id: int) -> dict:
    """The supervisor approves the latest version, acknowledging each finding with a reason."""
    shown = desk["supervisor"].get(f"/messages/{message_id}").get_json()
    ids = sorted({p["id"] for ps in shown["checks"].values() for p in ps if p.get("id")})
    response = desk["supervisor"].post(f"/messages/{message_id}/approve", json={
        "version": shown["version"], "acknowledged": ids, "note": "a missing person appeal: the family agreed"})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def publish_appeal(desk, channels) -> tuple[int, int]:
    """The appeal from the template, corrected once, and a later appeal message: all out everywhere."""
    officer = desk["officer"]
    templates = officer.get("/templates").get_json()["templates"]
    template = next(t for t in templates if t["key"] == "missing_person_appeal")
    filled = officer.post(f"/templates/{template['id']}/fill", json={"values": VALUES}).get_json()
    assert filled["missing"] == []
    created = officer.post("/messages", json={"body": filled["text"], "accounts": channels,
                                              "template": template["id"], "values": VALUES,
                                              "incident": {"title": "Missing: Alan Reeve"}})
    assert created.status_code == 201, created.get_json()
    appeal = created.get_json()["id"]
    assert officer.post(f"/messages/{appeal}/submit").status_code == 200
    approve(desk, appeal)
    return appeal, officer.get(f"/messages/{appeal}").get_json()["incident"]


def settled(rt, *message_ids: int) -> bool:
    return all(all_settled(rt, m) for m in message_ids)


def statuses(rt, *message_ids: int) -> list[str]:
    with rt.session() as s:
        return [str(s.get(Message, m).status) for m in message_ids]


def test_a_found_update_that_goes_out_takes_the_whole_appeal_down_everywhere_exactly_once(
        rt, engine_app, desk, channels, x_sim, graph_sim, processes):
    processes.worker()
    processes.scheduler()
    officer = desk["officer"]
    appeal, incident = publish_appeal(desk, channels)
    wait_for(lambda: statuses(rt, appeal) == ["published"], "the appeal to go out", describe=describe(rt, processes))

    # A correction (X: a reply of its own) and a later appeal message, both out.
    corrected = officer.post(f"/messages/{appeal}/correct", json={
        "body": officer.get(f"/messages/{appeal}").get_json()["versions"][0]["body"].replace(
            "3pm", "4pm").replace("412", "413"),
        "change_note": "Last seen at 4pm, not 3pm"})
    assert corrected.status_code == 200, corrected.get_json()
    approve(desk, appeal)
    later = officer.post("/messages", json={
        "body": "We are still looking for Alan Reeve, 67, missing from Bishopton. Please share this appeal "
                "and call 101 quoting incident 412 if you have seen him.",
        "accounts": channels, "incident": incident, "appeal_of": appeal})
    assert later.status_code == 201, later.get_json()
    later_id = later.get_json()["id"]
    assert officer.get(f"/messages/{later_id}").get_json()["appeal"] == "missing_person"
    officer.post(f"/messages/{later_id}/submit")
    approve(desk, later_id)
    wait_for(lambda: settled(rt, appeal, later_id) and statuses(rt, appeal, later_id) == ["published"] * 2,
             "the correction and the later appeal to go out", describe=describe(rt, processes))
    # X: the appeal, its correction (a reply) and the later appeal; Facebook: the appeal (edited) and the later one.
    assert any("4pm" in p["text"] for p in x_sim.posts) and any("still looking" in p["text"] for p in x_sim.posts)
    assert len(graph_sim.posts) == 2
    web = engine_app.test_client()
    appeal_slug = officer.get(f"/messages/{appeal}").get_json()["slug"]
    assert web.get(f"/news/{appeal_slug}").status_code == 200
    live = officer.get("/appeals?live=true").get_json()
    assert [(a["id"], a["status"], a["messages"]) for a in live["appeals"]] == [(appeal, "live", [appeal, later_id])]

    # Found: one request drafts the update and sends it for verification.
    found = officer.post(f"/messages/{later_id}/found", json={})
    assert found.status_code == 201, found.get_json()
    update = found.get_json()
    assert update["status"] == "awaiting_verification"
    text = officer.get(f"/messages/{update['id']}").get_json()
    body = text["versions"][0]["body"]
    assert "Alan Reeve" in body and "Bishopton" in body and "found safe" in body
    assert "grey hair" not in body and "anorak" not in body
    assert text["closes_appeal"] == appeal and text["appeal"] is None
    assert sorted(text["versions"][0]["accounts"]) == sorted(channels)
    # The officer who reported it cannot verify it; nothing comes down before it is verified and out.
    assert officer.post(f"/messages/{update['id']}/approve", json={"version": 1}).status_code == 403
    assert officer.post(f"/messages/{appeal}/found", json={}).status_code == 409
    assert officer.get("/appeals?live=true").get_json()["appeals"][0]["status"] == "closing"
    assert statuses(rt, appeal, later_id) == ["published", "published"]

    approve(desk, update["id"])
    wait_for(lambda: statuses(rt, appeal, later_id) == ["withdrawn", "withdrawn"]
             and settled(rt, appeal, later_id, update["id"]),
             "the appeal to be withdrawn everywhere", describe=describe(rt, processes))
    assert statuses(rt, update["id"]) == ["published"]
    # Only the found update is left on X and Facebook; the appeal pages are gone from the website.
    assert x_sim.posts and all("found safe" in p["text"] or "delete their posts" in p["text"] for p in x_sim.posts)
    assert [p["message"][:40] for p in graph_sim.posts] == [body[:40]]
    assert web.get(f"/news/{appeal_slug}").status_code == 410
    assert web.get(f"/news/{officer.get(f'/messages/{later_id}').get_json()['slug']}").status_code == 410
    assert web.get(f"/news/{update['slug']}").status_code == 200

    # Exactly once: one withdrawal per live post, one closing event, and another pass changes nothing.
    assert close_found_appeals(rt) == 0
    with rt.session() as s:
        withdrawals = s.execute(select(Delivery).where(Delivery.purpose == "withdraw")).scalars().all()
        parents = [d.parent_id for d in withdrawals]
        assert len(parents) == len(set(parents)) == 3 + 2 + 2  # X 3 posts, Facebook 2, website 2
        assert {d.state for d in withdrawals} == {"sent"}
        closed = s.execute(select(AuditEvent).where(AuditEvent.action == "appeal.closed")).scalars().all()
        assert len(closed) == 1 and closed[0].message_id == appeal
        details = json.loads(closed[0].details)
        assert details["withdrawn"] == [appeal, later_id] and details["verified_by"] == "sam"
        assert s.execute(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "message.withdrawn")).scalar_one() == 2
    after = officer.get("/appeals").get_json()["appeals"]
    assert [(a["id"], a["status"], a["found_update"]) for a in after] == [(appeal, "closed", update["id"])]
    assert officer.get("/appeals?live=true").get_json()["appeals"] == []
    assert officer.post(f"/messages/{appeal}/found", json={}).status_code == 409


def test_a_rejected_found_update_takes_nothing_down(rt, engine_app, desk, channels, x_sim, graph_sim, processes):
    processes.worker()
    officer, supervisor = desk["officer"], desk["supervisor"]
    appeal, _ = publish_appeal(desk, channels)
    wait_for(lambda: statuses(rt, appeal) == ["published"], "the appeal to go out", describe=describe(rt, processes))
    update = officer.post(f"/messages/{appeal}/found", json={
        "text": "Alan Reeve, missing from Bishopton, has been found safe. Thank you for sharing our appeal."})
    assert update.status_code == 201, update.get_json()
    update_id = update.get_json()["id"]
    rejected = supervisor.post(f"/messages/{update_id}/reject", json={"reason": "Not confirmed by the family"})
    assert rejected.status_code == 200
    # The sweeper's pass finds nothing to close; the appeal stays up everywhere.
    assert close_found_appeals(rt) == 0
    assert statuses(rt, appeal) == ["published"]
    assert all("Can you help" in p["text"] or p["text"].startswith("2/2") for p in x_sim.posts)
    assert len(graph_sim.posts) == 1
    with rt.session() as s:
        assert s.execute(select(Delivery).where(Delivery.purpose == "withdraw")).scalars().all() == []
        assert s.execute(select(Delivery).where(Delivery.message_id == update_id)).scalars().all() == []
    assert officer.get("/appeals?live=true").get_json()["appeals"][0]["status"] == "closing"
    # The rejected update is withdrawn as a draft: the appeal can be closed by a fresh one later.
    assert officer.post(f"/messages/{update_id}/withdraw", json={"reason": "family not yet told"}).status_code == 200
    assert officer.get("/appeals?live=true").get_json()["appeals"][0]["status"] == "live"
    again = officer.post(f"/messages/{appeal}/found", json={})
    assert again.status_code == 201, again.get_json()
