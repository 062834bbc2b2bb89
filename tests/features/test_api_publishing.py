"""The publishing routes of the JSON API: withdraw, correct, decide on a held
message, pause and resume. Bad input is a 4xx with a reason, never a 500."""
from __future__ import annotations

import datetime as dt

from tests.features.support import deliveries, mark_sent, set_status
from workflow.core.database import utcnow
from workflow.messages import drafts, review
from workflow.messages.models import Message


def create(api_client, accounts, **fields):
    data = {"body": "The ring road is closed at junction 4.", "accounts": [accounts["x"].id,
                                                                           accounts["website"].id], **fields}
    response = api_client.post("/messages", json=data)
    assert response.status_code == 201, response.get_json()
    message_id = response.get_json()["id"]
    assert api_client.post(f"/messages/{message_id}/submit").status_code == 200
    return message_id


def approve(api_client, message_id, version=1):
    response = api_client.post(f"/messages/{message_id}/approve", json={"version": version})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def error_of(response, status):
    assert response.status_code == status, response.get_json()
    body = response.get_json()["error"]
    assert body["code"] and body["message"]
    return body


def test_withdraw_through_the_api(api, session, officer, officer2, supervisor, accounts, dispatcher):
    author, reviewer = api(officer), api(supervisor)
    message_id = create(author, accounts, incident={"title": "Ring road collision"})
    approve(reviewer, message_id)
    mark_sent(session, deliveries(session, message_id))
    set_status(session, session.get(Message, message_id), "published")
    error_of(author.post(f"/messages/{message_id}/withdraw", json={}), 422)
    error_of(author.post(f"/messages/{message_id}/withdraw", data="not json",
                         headers={"Content-Type": "application/json"}), 400)
    error_of(api(officer2).post(f"/messages/{message_id}/withdraw", json={"reason": "x"}), 403)
    error_of(api(None).post(f"/messages/{message_id}/withdraw", json={"reason": "x"}), 401)
    error_of(author.post("/messages/999999/withdraw", json={"reason": "x"}), 404)
    response = author.post(f"/messages/{message_id}/withdraw", json={"reason": "Wrong junction"})
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "withdrawn"
    pulls = [d for d in body["deliveries"] if d["purpose"] == "withdraw"]
    assert len(pulls) == 2 and {d["state"] for d in pulls} == {"pending"}
    error_of(author.post(f"/messages/{message_id}/withdraw", json={"reason": "again"}), 409)


def test_correct_through_the_api(api, session, officer, supervisor, supervisor2, accounts, dispatcher):
    author, reviewer = api(officer), api(supervisor)
    message_id = create(author, accounts, incident={"title": "Ring road collision"})
    error_of(author.post(f"/messages/{message_id}/correct", json={"body": "x", "change_note": "y"}), 409)
    approve(reviewer, message_id)
    sent = deliveries(session, message_id)
    mark_sent(session, sent)
    set_status(session, session.get(Message, message_id), "published")
    error_of(author.post(f"/messages/{message_id}/correct", json={"change_note": "Junction 5"}), 422)
    error_of(author.post(f"/messages/{message_id}/correct", json={"body": "Junction 5 closed."}), 422)
    error_of(author.post(f"/messages/{message_id}/correct",
                         json={"body": "Junction 5 closed.", "change_note": "J5", "variants": ["no"]}), 422)
    error_of(author.post(f"/messages/{message_id}/correct",
                         json={"body": "Junction 5 closed.", "change_note": "J5", "variants": {"999": "x"}}), 422)
    response = author.post(f"/messages/{message_id}/correct",
                           json={"body": "The ring road is closed at junction 5.", "change_note": "Junction 5"})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["status"], body["version"], body["change_note"]) == ("awaiting_verification", 2, "Junction 5")
    error_of(author.post(f"/messages/{message_id}/approve", json={"version": 2}), 403)
    approved = approve(api(supervisor2), message_id, 2)
    fixes = [d for d in approved["deliveries"] if d["purpose"] == "correct"]
    assert len(fixes) == 2 and {d["version"] for d in fixes} == {2}
    assert approved["versions"][-1]["change_note"] == "Junction 5"


def create_late(session, officer, accounts, past: str) -> int:
    """A draft whose time has passed while it waited (the API takes only times from now on)."""
    message = drafts.create_draft(session, officer, {"body": "The ring road is closed at junction 4.",
                                                       "accounts": [accounts["x"].id, accounts["website"].id],
                                                       "publish_at": past})
    review.submit(session, officer, message.id)
    return message.id


def test_decision_on_a_held_message_through_the_api(api, session, officer, supervisor, supervisor2, accounts,
                                                    dispatcher):
    author, reviewer = api(officer), api(supervisor)
    past = (utcnow() - dt.timedelta(hours=1)).isoformat()
    message_id = create_late(session, officer, accounts, past)
    assert approve(reviewer, message_id)["status"] == "held"
    assert dispatcher.ids == []
    path = f"/messages/{message_id}/schedule"
    error_of(author.post(path, json={"publish_now": True}), 403)
    error_of(reviewer.post(path, json={}), 422)
    error_of(reviewer.post(path, json={"publish_now": "yes"}), 422)
    error_of(reviewer.post(path, json={"publish_at": "next tuesday"}), 422)
    error_of(reviewer.post(path, json={"publish_at": past}), 422)
    error_of(reviewer.post(path, json={"publish_now": True, "publish_at": past}), 422)
    later = (utcnow() + dt.timedelta(days=1)).isoformat()
    response = api(supervisor2).post(path, json={"publish_at": later})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "scheduled"
    error_of(reviewer.post(path, json={"publish_now": True}), 409)


def test_publish_now_through_the_api(api, session, officer, supervisor, accounts, dispatcher):
    author, reviewer = api(officer), api(supervisor)
    message_id = create_late(session, officer, accounts, (utcnow() - dt.timedelta(hours=1)).isoformat())
    approve(reviewer, message_id)
    response = reviewer.post(f"/messages/{message_id}/schedule", json={"publish_now": True})
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "approved"
    assert sorted(dispatcher.ids) == sorted(d["id"] for d in body["deliveries"])


def test_pause_routes(api, session, officer, supervisor, admin, accounts, dispatcher):
    boss, desk = api(supervisor), api(officer)
    assert desk.get("/pause").get_json() == {"pauses": []}
    error_of(desk.post("/pause", json={"reason": "Incident"}), 403)
    error_of(boss.post("/pause", json={}), 422)
    error_of(boss.post("/pause", json={"reason": "Incident", "areas": "North"}), 422)
    error_of(boss.post("/pause", json={"reason": "Incident", "areas": ["Nowhere"]}), 422)
    error_of(boss.post("/pause", json={"reason": "Incident", "accounts": [True]}), 422)
    error_of(boss.post("/pause", data="[", headers={"Content-Type": "application/json"}), 400)
    response = boss.post("/pause", json={"reason": "Major incident declared"})
    assert response.status_code == 201
    everything = response.get_json()
    assert (everything["reason"], everything["active"], everything["created_by"]) == (
        "Major incident declared", True, "sam")
    north = api(admin).post("/pause", json={"reason": "North incident", "areas": ["North"],
                                            "accounts": [accounts["x"].id]}).get_json()
    assert (north["areas"], north["accounts"]) == (["North"], [accounts["x"].id])
    listed = desk.get("/pause").get_json()["pauses"]
    assert [p["id"] for p in listed] == [everything["id"], north["id"]]

    error_of(desk.delete("/pause"), 403)
    error_of(boss.delete("/pause?id=abc"), 422)
    error_of(boss.delete("/pause?id=99999"), 404)
    response = boss.delete(f"/pause?id={everything['id']}")
    assert response.status_code == 200
    lifted = response.get_json()["lifted"]
    assert [(p["id"], p["active"], p["lifted_by"]) for p in lifted] == [(everything["id"], False, "sam")]
    error_of(boss.delete(f"/pause?id={everything['id']}"), 409)
    assert [p["id"] for p in desk.get("/pause").get_json()["pauses"]] == [north["id"]]
    assert [p["id"] for p in boss.delete("/pause").get_json()["lifted"]] == [north["id"]]
    assert desk.get("/pause").get_json() == {"pauses": []}


def test_routine_post_approved_through_the_api_during_a_pause_is_held(api, session, officer, supervisor,
                                                                      accounts, dispatcher):
    boss = api(supervisor)
    assert boss.post("/pause", json={"reason": "Major incident declared"}).status_code == 201
    routine = create(api(officer), accounts, body="Bike marking at the library today.")
    body = approve(boss, routine)
    assert {d["state"] for d in body["deliveries"]} == {"held"}
    assert all(d["last_error"].startswith("held by pause #") for d in body["deliveries"])
    incident = create(api(officer), accounts, incident={"title": "Flooding"}, body="The A1 is closed.")
    assert {d["state"] for d in approve(boss, incident)["deliveries"]} == {"pending"}
    assert boss.delete("/pause").status_code == 200
    states = {d["state"] for d in api(officer).get(f"/messages/{routine}").get_json()["deliveries"]}
    assert states == {"pending"}
