"""Every success answer has exactly the documented shape, including the
withdraw, correct, held-decision and pause routes."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import update

from tests.api.conftest import conforms
from workflow.delivery.models import Delivery
from workflow.messages import drafts, review
from workflow.messages.models import Message

M = "/messages/{message_id}"


def _approved(officer, supervisor, accounts, **fields) -> int:
    created = conforms(officer.post("/messages", json={"body": "Road closed on the A1.", "accounts": accounts,
                                                       **fields}), "POST", "/messages")
    conforms(officer.post(f"/messages/{created['id']}/submit"), "POST", M + "/submit")
    conforms(supervisor.post(f"/messages/{created['id']}/approve", json={"version": 1}), "POST", M + "/approve")
    return created["id"]


def test_lists_and_views(api, officer, supervisor, website_account):
    client = api(officer)
    message_id = _approved(client, api(supervisor), [website_account.id])
    listed = conforms(client.get("/messages"), "GET", "/messages")
    assert [m["id"] for m in listed["messages"]] == [message_id]
    assert conforms(client.get("/messages?status=approved&limit=5"), "GET", "/messages")["messages"]
    shown = conforms(client.get(f"/messages/{message_id}"), "GET", M)
    assert set(shown["checks"]) == {"all", str(website_account.id)}
    conforms(client.get("/accounts"), "GET", "/accounts")
    conforms(client.get("/openapi.json"), "GET", "/openapi.json")


def test_withdraw(api, officer, supervisor, website_account):
    client = api(officer)
    message_id = _approved(client, api(supervisor), [website_account.id])
    response = client.post(f"/messages/{message_id}/withdraw", json={"reason": "Sent too early"})
    assert response.status_code == 200, response.get_json()
    assert conforms(response, "POST", M + "/withdraw")["status"] == "withdrawn"


def test_correct_a_live_message(api, officer, supervisor, website_account, session):
    client = api(officer)
    message_id = _approved(client, api(supervisor), [website_account.id])
    # As if the worker had published it.
    session.execute(update(Delivery).where(Delivery.message_id == message_id).values(
        state="sent", remote_id="news-1", url="https://police.example/news/1",
        sent_at=dt.datetime.now(dt.timezone.utc)))
    session.execute(update(Message).where(Message.id == message_id).values(status="published"))
    session.commit()
    response = client.post(f"/messages/{message_id}/correct",
                           json={"body": "Road closed on the A1 northbound.", "change_note": "Direction added"})
    assert response.status_code == 200, response.get_json()
    corrected = conforms(response, "POST", M + "/correct")
    assert (corrected["version"], corrected["status"], corrected["change_note"]) == (
        2, "awaiting_verification", "Direction added")


def test_decide_on_a_held_message(api, session, officer, supervisor, website_account):
    client, boss = api(officer), api(supervisor)
    past = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=2)).isoformat()
    # Its time passed while it waited (the API takes only times from now on).
    draft = drafts.create_draft(session, officer, {"body": "Road closed on the A1.",
                                                     "accounts": [website_account.id], "publish_at": past})
    review.submit(session, officer, draft.id)
    message_id = draft.id
    conforms(boss.post(f"/messages/{message_id}/approve", json={"version": 1}), "POST", M + "/approve")
    assert client.get(f"/messages/{message_id}").get_json()["status"] == "held"
    response = boss.post(f"/messages/{message_id}/schedule", json={"publish_now": True})
    assert response.status_code == 200, response.get_json()
    assert conforms(response, "POST", M + "/schedule")["status"] == "approved"


def test_pause_and_lift(api, officer, supervisor, website_account):
    boss = api(supervisor)
    created = boss.post("/pause", json={"reason": "Major incident in the city centre"})
    assert created.status_code == 201, created.get_json()
    pause = conforms(created, "POST", "/pause")
    assert pause["active"] is True
    listed = conforms(api(officer).get("/pause"), "GET", "/pause")
    assert [p["id"] for p in listed["pauses"]] == [pause["id"]]
    lifted = boss.delete(f"/pause?id={pause['id']}&reason=Incident+over")
    assert lifted.status_code == 200, lifted.get_json()
    assert [p["active"] for p in conforms(lifted, "DELETE", "/pause")["lifted"]] == [False]
