"""Appeals through the API on both back ends: marking, the found update's refusals, the
closing step run directly (the engine test runs it through real workers), and the reminder
of appeals still live after CRIER_APPEAL_REMIND_AFTER."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select, update

from tests.api.conftest import assert_error, conforms
from tests.features.support import audit_actions, deliveries, mark_sent
from workflow.core.database import utcnow
from workflow.delivery import send as delivery
from workflow.messages import appeals
from workflow.messages.models import Message

VALUES = {"name": "Mary Vale", "age": "81", "location": "Hexley", "time": "noon", "reference": "57",
          "description": "5ft 2in, with white hair, wearing a red coat"}


@pytest.fixture
def desk(api, officer, officer2, supervisor, supervisor2):
    return {"officer": api(officer), "officer2": api(officer2), "supervisor": api(supervisor),
            "supervisor2": api(supervisor2)}


@pytest.fixture
def ids(accounts, session):
    """The accounts' ids, read once: touching an expired row later would hold SQLite's write lock."""
    out = {name: a.id for name, a in accounts.items()}
    session.commit()
    return out


def template_id(client, key: str) -> int:
    return next(t["id"] for t in client.get("/templates").get_json()["templates"] if t["key"] == key)


def approve(client, message_id: int) -> None:
    shown = client.get(f"/messages/{message_id}").get_json()
    ids = sorted({p["id"] for ps in shown["checks"].values() for p in ps if p.get("id")})
    response = client.post(f"/messages/{message_id}/approve", json={"version": shown["version"], "acknowledged": ids,
                                                                     "note": "appeal agreed with the family"})
    assert response.status_code == 200, response.get_json()


def live_appeal(session, desk, ids, **fields) -> int:
    """A missing person appeal from the template, approved and sent on every account."""
    officer = desk["officer"]
    tid = template_id(officer, "missing_person_appeal")
    text = officer.post(f"/templates/{tid}/fill", json={"values": VALUES}).get_json()["text"]
    targets = [ids[k] for k in ("x", "facebook", "website")]
    created = officer.post("/messages", json={"body": text, "accounts": targets, "template": tid, "values": VALUES,
                                              **fields})
    assert created.status_code == 201, created.get_json()
    message_id = created.get_json()["id"]
    officer.post(f"/messages/{message_id}/submit")
    approve(desk["supervisor"], message_id)
    session.expire_all()
    mark_sent(session, deliveries(session, message_id))
    session.execute(update(Message).where(Message.id == message_id).values(status="published",
                                                                            published_at=utcnow()))
    session.commit()
    return message_id


def test_the_found_update_is_drafted_from_the_template_without_the_description(session, desk, ids):
    appeal = live_appeal(session, desk, ids)
    found = desk["officer2"].post(f"/messages/{appeal}/found")
    update_ = conforms(found, "POST", "/messages/{message_id}/found")
    assert found.status_code == 201, update_
    assert update_["status"] == "awaiting_verification"
    shown = desk["officer2"].get(f"/messages/{update_['id']}").get_json()
    body = shown["versions"][0]["body"]
    assert body.startswith("Mary Vale, who was reported missing from Hexley, has been found safe.")
    assert "red coat" not in body and "white hair" not in body and "81" not in body
    assert shown["closes_appeal"] == appeal and shown["author"] == "oscar"
    assert json.loads(audit_actions(session, appeal)[-1].details)["found_update"] == update_["id"]
    session.commit()  # SQLite: the app needs the write lock this read holds
    # Verified like any other message: not by the officer who reported it.
    assert_error(desk["officer2"].post(f"/messages/{update_['id']}/approve", json={"version": 1}), 403)
    assert_error(desk["officer"].post(f"/messages/{appeal}/found"), 409, "invalid_state")


def test_found_refusals(session, desk, ids):
    officer = desk["officer"]
    plain = officer.post("/messages", json={"body": "Road closed.", "accounts": [ids["x"]]}).get_json()
    assert_error(officer.post(f"/messages/{plain['id']}/found"), 409, "not_an_appeal")
    assert_error(officer.post("/messages/999999/found"), 404)
    appeal = live_appeal(session, desk, ids)
    assert_error(officer.post(f"/messages/{appeal}/found", json={"text": "Mary Vale (5ft 2in, with white hair, "
                                                                 "wearing a red coat) is found."}), 422, field="text")
    assert_error(officer.post(f"/messages/{appeal}/found", json={"values": {"description": "tall"}}), 422,
                 field="values")
    assert_error(officer.post(f"/messages/{appeal}/found", json={"reason": "x"}), 422, field="reason")
    assert_error(officer.post(f"/messages/{appeal}/found", json={"values": {"age": "81"}}), 422, field="values")
    # An appeal marked by hand has no recorded name: the update says it without one, unless it is given.
    marked = officer.post("/messages", json={"body": "Have you seen Jo? Call 101.", "accounts": [ids["x"]],
                                             "appeal": "missing_person"}).get_json()
    nameless = officer.post(f"/messages/{marked['id']}/found")
    assert nameless.status_code == 201, nameless.get_json()
    text = officer.get(f"/messages/{nameless.get_json()['id']}").get_json()["versions"][0]["body"]
    assert text == appeals.FOUND_WITHOUT_NAME
    officer.post(f"/messages/{nameless.get_json()['id']}/withdraw", json={"reason": "say the name"})
    made = officer.post(f"/messages/{marked['id']}/found", json={"values": {"name": "Jo", "location": "Hexley"}})
    assert made.status_code == 201, made.get_json()
    named = officer.get(f"/messages/{made.get_json()['id']}").get_json()["versions"][0]["body"]
    assert named.startswith("Jo, who was reported missing from Hexley, has been found safe.")
    assert session.get(Message, marked["id"]).appeal_closed_at is None


def test_marking_an_appeal_and_continuing_one(session, desk, ids):
    officer = desk["officer"]
    made = officer.post("/messages", json={"body": "Have you seen Jo? Call 101.",
                                           "accounts": [ids["x"]]}).get_json()
    path = f"/messages/{made['id']}"
    assert officer.get(path).get_json()["appeal"] is None
    marked = officer.patch(path, json={"appeal": "missing_person"})
    assert marked.status_code == 200 and marked.get_json()["version"] == 1  # no new version
    assert officer.get(path).get_json()["appeal"] == "missing_person"
    assert_error(officer.patch(path, json={"appeal": "lost_dog"}), 422, field="appeal")
    assert_error(desk["officer2"].patch(path, json={"appeal": None}), 403)
    later = officer.post("/messages", json={"body": "Still looking for Jo.", "accounts": [ids["x"]],
                                            "appeal_of": made["id"]}).get_json()
    assert officer.get(f"/messages/{later['id']}").get_json()["appeal_of"] == made["id"]
    assert_error(officer.patch(path, json={"appeal": None}), 409, "invalid_state")
    plain = officer.post("/messages", json={"body": "Road closed.", "accounts": [ids["x"]]}).get_json()
    assert_error(officer.post("/messages", json={"body": "More.", "accounts": [ids["x"]],
                                                 "appeal_of": plain["id"]}), 422, field="appeal_of")
    assert [e.action for e in audit_actions(session, made["id"])].count("message.appeal_marked") == 1


def test_closing_withdraws_every_live_post_once_and_a_rejection_closes_nothing(session, desk, ids,
                                                                                 dispatcher):
    appeal = live_appeal(session, desk, ids)
    found_id = desk["officer"].post(f"/messages/{appeal}/found").get_json()["id"]
    desk["supervisor"].post(f"/messages/{found_id}/reject", json={"reason": "not confirmed"})
    assert appeals.found_updates_out(session) == []
    assert appeals.close_if_found(session, found_id) == []
    assert deliveries(session, appeal, purpose="withdraw") == []
    session.commit()
    # Edited and sent again, then verified and out: now the appeal closes, once.
    desk["officer"].patch(f"/messages/{found_id}", json={"body": "Mary Vale has been found safe. Thank you."})
    desk["officer"].post(f"/messages/{found_id}/submit")
    approve(desk["supervisor2"], found_id)
    session.expire_all()
    mark_sent(session, deliveries(session, found_id))
    session.execute(update(Message).where(Message.id == found_id).values(published_at=utcnow()))
    session.commit()
    assert appeals.found_updates_out(session) == [found_id]
    assert appeals.close_if_found(session, found_id) == [appeal]
    pulls = deliveries(session, appeal, purpose="withdraw")
    assert sorted(d.parent_id for d in pulls) == sorted(d.id for d in deliveries(session, appeal, purpose="publish"))
    assert set(dispatcher.ids) >= {d.id for d in pulls}
    assert appeals.close_if_found(session, found_id) == [] and appeals.found_updates_out(session) == []
    assert len(deliveries(session, appeal, purpose="withdraw")) == 3
    closed = [e for e in audit_actions(session, appeal) if e.action == "appeal.closed"]
    assert len(closed) == 1 and json.loads(closed[0].details)["verified_by"] == "sunita"


def test_appeals_live_too_long_are_listed_as_overdue(session, desk, ids):
    officer = desk["officer"]
    old = live_appeal(session, desk, ids)
    recent = live_appeal(session, desk, ids, incident={"title": "Missing: Mary Vale (2)"})
    not_out = officer.post("/messages", json={"body": "Have you seen Jo?", "accounts": [ids["x"]],
                                              "appeal": "missing_person"}).get_json()["id"]
    session.execute(update(Message).where(Message.id == old).values(
        published_at=utcnow() - dt.timedelta(seconds=86400 + 60)))
    session.execute(update(Message).where(Message.id == recent).values(
        published_at=utcnow() - dt.timedelta(seconds=3600)))
    session.commit()
    live = conforms(officer.get("/appeals?live=true"), "GET", "/appeals")
    assert live["remind_after"] == 86400
    assert [(a["id"], a["status"], a["overdue"]) for a in live["appeals"]] == [(recent, "live", False),
                                                                               (old, "live", True)]
    assert live["appeals"][1]["live_seconds"] >= 86400
    overdue = officer.get("/appeals?overdue=true").get_json()["appeals"]
    assert [a["id"] for a in overdue] == [old]
    every = officer.get("/appeals").get_json()["appeals"]
    assert [(a["id"], a["status"]) for a in every] == [(not_out, "not_out"), (recent, "live"), (old, "live")]
    assert_error(officer.get("/appeals?live=perhaps"), 422, field="live")
    assert session.execute(select(Message.id).where(Message.appeal_closed_at.is_not(None))).first() is None


def test_the_engine_closes_the_appeal_as_soon_as_the_found_update_lands(runtime, session, desk, ids, app):
    """No sweeper here: the delivery that puts the found update live withdraws the appeal itself."""
    officer = desk["officer"]
    tid = template_id(officer, "missing_person_appeal")
    text = officer.post(f"/templates/{tid}/fill", json={"values": VALUES}).get_json()["text"]
    appeal = officer.post("/messages", json={"body": text, "accounts": [ids["website"]], "template": tid,
                                             "values": VALUES}).get_json()["id"]
    officer.post(f"/messages/{appeal}/submit")
    approve(desk["supervisor"], appeal)
    web = app.test_client()

    def run_pending(message_id: int) -> list[str]:
        session.expire_all()
        pending = [d.id for d in deliveries(session, message_id) if d.state == "pending"]
        session.commit()  # SQLite: the engine needs the write lock
        return [delivery.deliver(runtime, i, owner="appeal-tests").status for i in pending]

    assert run_pending(appeal) == ["sent"]
    slug = officer.get(f"/messages/{appeal}").get_json()["slug"]
    assert web.get(f"/news/{slug}").status_code == 200
    found_id = officer.post(f"/messages/{appeal}/found").get_json()["id"]
    approve(desk["supervisor"], found_id)
    assert run_pending(found_id) == ["sent"]
    session.expire_all()
    assert session.get(Message, appeal).status == "withdrawn"
    assert session.get(Message, appeal).appeal_closed_at is not None
    session.commit()
    assert run_pending(appeal) == ["sent"]  # the withdrawal itself
    assert web.get(f"/news/{slug}").status_code == 410
    assert web.get(f"/news/{officer.get(f'/messages/{found_id}').get_json()['slug']}").status_code == 200
