"""The legal context on incidents and messages, through /api/v1 (issue 11, point 2): recorded and
audited, read by the checks, and a change of it voids an approval, not yet publishing, whose
findings changed; an approval whose findings did not change stays; a published message is not
touched. On SQLite and PostgreSQL, with a race between a change and an approval."""
from __future__ import annotations

import datetime as dt
import json
import threading

import pytest
from sqlalchemy import select

from tests.api.conftest import assert_error, conforms
from tests.api.test_acknowledgement import findings
from workflow.audit.models import AuditEvent
from workflow.delivery.models import Delivery
from workflow.delivery.send import deliver
from workflow.messages.checks import CONTEXT_FIELDS

I = "/incidents/{incident_id}"
M = "/messages/{message_id}"
#: Names someone arrested, not charged: legal.arrested_named (serious) until a charge is recorded.
ARREST = ("Officers investigating a burglary in Tottington have arrested John Smith, 34, on suspicion of "
          "burglary. He remains in custody.")
#: A routine post: no finding whatever the context, except a reporting restriction.
ROAD = "The A38 northbound is closed between Junctions 4 and 5 for resurfacing tonight."
AUTHORITY = {"officer": "Supt Jane Rowe", "reason": "He is wanted for further offences and the public may be at risk."}


@pytest.fixture
def officer_api(api, officer):
    return api(officer)


@pytest.fixture
def supervisor_api(api, supervisor):
    return api(supervisor)


def none_ticked(**ticked: bool) -> dict[str, bool]:
    return {name: ticked.get(name, False) for name in CONTEXT_FIELDS}


def open_incident(client, **legal: bool) -> dict:
    response = client.post("/incidents", json={"title": "Burglaries in Tottington",
                                               **({"legal": legal} if legal else {})})
    assert response.status_code == 201, response.get_json()
    return conforms(response, "POST", "/incidents")


def submitted(client, account_id: int, body: str, **fields) -> dict:
    created = client.post("/messages", json={"body": body, "accounts": [account_id], **fields})
    assert created.status_code == 201, created.get_json()
    message_id = created.get_json()["id"]
    assert client.post(f"/messages/{message_id}/submit").status_code == 200
    return conforms(client.get(f"/messages/{message_id}"), "GET", M)


def approve(client, message: dict, **extra) -> dict:
    ids = [f["id"] for f in findings(message)]
    response = client.post(f"/messages/{message['id']}/approve",
                           json={"version": message["version"], "acknowledged": ids, **extra})
    assert response.status_code == 200, response.get_json()
    return conforms(response, "POST", M + "/approve")


def events(session, action: str) -> list[dict]:
    session.rollback()
    rows = session.execute(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).scalars()
    found = [{"message_id": e.message_id, "actor": e.actor, **json.loads(e.details)} for e in rows]
    session.rollback()  # on SQLite an open transaction would hold the write lock
    return found


def test_an_incidents_legal_context_is_recorded_read_changed_and_audited(officer_api, supervisor_api, session):
    incident = open_incident(officer_api, arrest_made=True)
    assert incident["legal"] == none_ticked(arrest_made=True)
    path = f"/incidents/{incident['id']}"

    changed = supervisor_api.patch(path, json={"legal": {"charged": True, "arrest_made": False}})
    assert changed.status_code == 200, changed.get_json()
    assert conforms(changed, "PATCH", I)["legal"] == none_ticked(charged=True)
    assert conforms(officer_api.get(path), "GET", I)["legal"] == none_ticked(charged=True)
    listed = conforms(officer_api.get("/incidents"), "GET", "/incidents")["incidents"]
    assert listed[0]["legal"] == none_ticked(charged=True)
    # The same flags again change nothing, and record nothing.
    assert officer_api.patch(path, json={"legal": {"charged": True}}).status_code == 200

    recorded = events(session, "incident.legal_context_changed")
    assert [(e["actor"], e["previous"], e["legal"]) for e in recorded] == [
        ("olivia", none_ticked(), none_ticked(arrest_made=True)),
        ("sam", none_ticked(arrest_made=True), none_ticked(charged=True))]


@pytest.mark.parametrize("legal, field", [
    ({"arrested": True}, "legal"), ({"charged": "yes"}, "legal"), ({"charged": None}, "legal"),
    ({"charged": 1}, "legal"), ([True], "legal"), ("charged", "legal")])
def test_a_bad_legal_context_is_refused_naming_it(officer_api, website_account, legal, field):
    incident = open_incident(officer_api)
    before = officer_api.get(f"/incidents/{incident['id']}").get_json()
    assert_error(officer_api.patch(f"/incidents/{incident['id']}", json={"legal": legal}), 422, "invalid", field)
    assert_error(officer_api.post("/incidents", json={"title": "Fire", "legal": legal}), 422, "invalid", field)
    assert_error(officer_api.post("/messages", json={"body": ROAD, "accounts": [website_account.id],
                                                     "legal": legal}), 422, "invalid", field)
    assert officer_api.get(f"/incidents/{incident['id']}").get_json() == before


def test_an_unknown_flag_is_named_with_the_flags_there_are(officer_api):
    incident = open_incident(officer_api)
    error = assert_error(officer_api.patch(f"/incidents/{incident['id']}", json={"legal": {"arrested": True}}),
                         422, "invalid", "legal")
    assert "legal.arrested" in error["message"] and "arrest_made" in error["message"]


def test_a_messages_own_context_adds_to_its_incidents_and_the_checks_read_it(officer_api, website_account):
    # Without a context, naming someone arrested is a serious finding.
    alone = submitted(officer_api, website_account.id, ARREST)
    assert {f["code"] for f in findings(alone)} == {"legal.arrested_named"}
    assert alone["legal"] == alone["legal_in_effect"] == none_ticked()

    # A message with no incident carries its own: after charge, the name is expected.
    charged = submitted(officer_api, website_account.id, ARREST, legal={"charged": True})
    assert findings(charged) == [] and charged["legal"] == none_ticked(charged=True)

    # In an incident, the message's own flags add to the incident's.
    incident = open_incident(officer_api, charged=True)
    inside = submitted(officer_api, website_account.id, ARREST, incident=incident["id"],
                       legal={"reporting_restriction": True})
    assert inside["legal"] == none_ticked(reporting_restriction=True)
    assert inside["legal_in_effect"] == none_ticked(charged=True, reporting_restriction=True)
    assert {f["code"] for f in findings(inside)} == {"legal.reporting_restriction"}
    # Unticking on the message never unticks the incident's flag.
    edited = officer_api.patch(f"/messages/{inside['id']}", json={"legal": {"charged": False,
                                                                           "reporting_restriction": False}})
    assert edited.status_code == 200, edited.get_json()
    shown = conforms(officer_api.get(f"/messages/{inside['id']}"), "GET", M)
    assert shown["version"] == 1, "a change of context alone makes no new version"
    assert shown["legal_in_effect"] == none_ticked(charged=True) and findings(shown) == []


def test_an_incident_opened_with_a_message_carries_its_legal_context(officer_api, website_account):
    created = officer_api.post("/messages", json={"body": ARREST, "accounts": [website_account.id],
                                                  "incident": {"title": "Burglary", "legal": {"charged": True}}})
    assert created.status_code == 201, created.get_json()
    assert findings(conforms(created, "POST", "/messages")) == []
    shown = officer_api.get(f"/messages/{created.get_json()['id']}").get_json()
    assert shown["legal"] == none_ticked() and shown["legal_in_effect"] == none_ticked(charged=True)
    assert_error(officer_api.post("/messages", json={"body": ARREST, "accounts": [website_account.id],
                                                     "incident": {"title": "Burglary", "legal": {"x": True}}}),
                 422, "invalid", "incident")


def test_a_death_without_the_family_told_and_identification_flags_the_name(officer_api, website_account):
    text = ("A man has died after a collision on the A56 in Bury on Saturday. He has been named as "
            "Peter Jones, 52, from Ramsbottom. His family have been informed.")
    incident = open_incident(officer_api)
    message = submitted(officer_api, website_account.id, text, incident=incident["id"])
    assert findings(message) == [], "the text says the family knows: quiet"
    path = f"/incidents/{incident['id']}"
    officer_api.patch(path, json={"legal": {"death": True}})
    strict = officer_api.get(f"/messages/{message['id']}").get_json()
    assert [(f["code"], f["severity"]) for f in findings(strict)] == [("legal.deceased_unconfirmed", "serious")]
    officer_api.patch(path, json={"legal": {"family_informed": True, "formally_identified": True}})
    assert findings(officer_api.get(f"/messages/{message['id']}").get_json()) == []


def test_a_context_change_voids_the_approval_whose_findings_changed_and_keeps_the_other(
        officer_api, supervisor_api, website_account, session):
    incident = open_incident(officer_api, arrest_made=True)
    arrest = submitted(officer_api, website_account.id, ARREST, incident=incident["id"])
    road = submitted(officer_api, website_account.id, ROAD, incident=incident["id"])
    approve(supervisor_api, arrest, authority=AUTHORITY, note="Named on the SIO's authority.")
    assert approve(supervisor_api, road)["status"] == "approved"

    changed = officer_api.patch(f"/incidents/{incident['id']}", json={"legal": {"charged": True}})
    assert changed.status_code == 200, changed.get_json()

    voided = conforms(officer_api.get(f"/messages/{arrest['id']}"), "GET", M)
    assert voided["status"] == "awaiting_verification" and voided["version"] == 1
    assert "legal context" in voided["rejection_reason"] and "Verify it again" in voided["rejection_reason"]
    assert [(d["decision"], d["voided"]) for d in voided["decisions"]] == [("approved", True)]
    assert [d["state"] for d in voided["deliveries"]] == ["cancelled"]
    assert findings(voided) == []

    kept = officer_api.get(f"/messages/{road['id']}").get_json()
    assert kept["status"] == "approved" and kept["rejection_reason"] is None
    assert [(d["decision"], d["voided"]) for d in kept["decisions"]] == [("approved", False)]
    assert [d["state"] for d in kept["deliveries"]] == ["pending"]

    recorded = events(session, "message.approval_voided")
    assert [(e["message_id"], e["actor"]) for e in recorded] == [(arrest["id"], "olivia")]
    assert recorded[0]["reason"] == voided["rejection_reason"] and recorded[0]["cancelled_deliveries"]

    # Verified again under the new context, it needs nothing acknowledged and no authority.
    again = supervisor_api.post(f"/messages/{arrest['id']}/approve", json={"version": 1})
    assert again.status_code == 200, again.get_json()
    assert again.get_json()["status"] == "approved" and again.get_json()["rejection_reason"] is None


def test_a_messages_own_context_change_voids_its_scheduled_approval(officer_api, supervisor_api,
                                                                     website_account, session):
    soon = (dt.datetime.now(dt.UTC) + dt.timedelta(days=3)).isoformat(timespec="seconds")
    message = submitted(officer_api, website_account.id, ROAD, publish_at=soon, kind="routine")
    assert approve(supervisor_api, message)["status"] == "scheduled"
    changed = officer_api.patch(f"/messages/{message['id']}", json={"legal": {"reporting_restriction": True}})
    assert changed.status_code == 200, changed.get_json()
    conforms(changed, "PATCH", M)
    shown = officer_api.get(f"/messages/{message['id']}").get_json()
    assert (shown["status"], shown["version"]) == ("awaiting_verification", 1)
    assert [f["code"] for f in findings(shown)] == ["legal.reporting_restriction"]
    assert [e["message_id"] for e in events(session, "message.legal_context_changed")] == [message["id"]]
    assert [e["message_id"] for e in events(session, "message.approval_voided")] == [message["id"]]


def test_only_the_author_or_a_supervisor_changes_a_messages_own_context(api, officer, officer2, website_account):
    message = submitted(api(officer), website_account.id, ROAD)
    refused = api(officer2).patch(f"/messages/{message['id']}", json={"legal": {"charged": True}})
    assert_error(refused, 403, "forbidden")
    assert api(officer).get(f"/messages/{message['id']}").get_json()["legal"] == none_ticked()


def test_a_published_message_is_not_touched_but_its_findings_are_refreshed(officer_api, supervisor_api,
                                                                           website_account, session, runtime):
    incident = open_incident(officer_api)
    message = submitted(officer_api, website_account.id, ROAD, incident=incident["id"])
    approve(supervisor_api, message)
    session.rollback()
    delivery_id = session.execute(select(Delivery.id).where(Delivery.message_id == message["id"])).scalar_one()
    session.rollback()  # on SQLite an open transaction would hold the write lock
    deliver(runtime, delivery_id, owner="legal-test")
    assert officer_api.get(f"/messages/{message['id']}").get_json()["status"] == "published"

    assert officer_api.patch(f"/incidents/{incident['id']}",
                             json={"legal": {"reporting_restriction": True}}).status_code == 200
    shown = officer_api.get(f"/messages/{message['id']}").get_json()
    assert shown["status"] == "published" and [d["voided"] for d in shown["decisions"]] == [False]
    assert [f["code"] for f in findings(shown)] == ["legal.reporting_restriction"]
    assert events(session, "message.approval_voided") == []


def test_naming_someone_arrested_needs_the_authorising_officer(officer_api, supervisor_api, website_account,
                                                                session):
    message = submitted(officer_api, website_account.id, ARREST)
    ids = [f["id"] for f in findings(message)]
    path = f"/messages/{message['id']}/approve"

    refused = supervisor_api.post(path, json={"version": 1, "acknowledged": ids, "note": "Agreed with the SIO."})
    error = assert_error(refused, 422, "authority_required", field="authority")
    assert error["missing"] == ids and ids[0] in error["message"] and "legal.arrested_named" in error["message"]
    after = supervisor_api.get(f"/messages/{message['id']}").get_json()
    assert after["status"] == "awaiting_verification" and after["decisions"] == [] and after["deliveries"] == []

    for partial in ({"officer": "Supt Jane Rowe"}, {"officer": "Supt Jane Rowe", "reason": "   "}):
        assert_error(supervisor_api.post(path, json={"version": 1, "acknowledged": ids, "authority": partial}),
                     422, "invalid", "authority")
    assert_error(supervisor_api.post(path, json={"version": 1, "acknowledged": ids,
                                                 "authority": {**AUTHORITY, "rank": "Supt"}}), 422, "invalid",
                 "authority")

    # The authority's reason is the reason for the serious finding it covers.
    approved = supervisor_api.post(path, json={"version": 1, "acknowledged": ids, "authority": AUTHORITY})
    assert approved.status_code == 200, approved.get_json()
    recorded = events(session, "message.approved")
    assert recorded[0]["authority"] == AUTHORITY
    assert [a["code"] for a in recorded[0]["acknowledged"]] == ["legal.arrested_named"]


@pytest.mark.parametrize("round_", range(6))
def test_a_context_change_racing_an_approval_never_leaves_an_approval_of_other_findings(
        app, api, officer, supervisor, website_account, session, round_):
    """Whoever wins, the message ends awaiting verification with nothing live: either the approval
    came first and the change voided it, or the change came first and the approval, which did not
    acknowledge the new finding, was refused."""
    author, reviewer = api(officer), api(supervisor)
    incident = open_incident(author)
    message = submitted(author, website_account.id, ROAD, incident=incident["id"])
    session.rollback()
    barrier = threading.Barrier(2)
    answers: dict[str, object] = {}

    def approve_it():
        barrier.wait(timeout=30)
        answers["approve"] = reviewer.post(f"/messages/{message['id']}/approve", json={"version": 1})

    def change_it():
        barrier.wait(timeout=30)
        answers["change"] = author.patch(f"/incidents/{incident['id']}",
                                         json={"legal": {"reporting_restriction": True}})

    threads = [threading.Thread(target=approve_it), threading.Thread(target=change_it)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a request hung"

    assert answers["change"].status_code == 200, answers["change"].get_json()
    approved = answers["approve"]
    if approved.status_code != 200:
        assert_error(approved, 409, "unacknowledged_checks")
    shown = author.get(f"/messages/{message['id']}").get_json()
    assert shown["status"] == "awaiting_verification", (approved.status_code, shown)
    assert all(d["voided"] for d in shown["decisions"])
    assert all(d["state"] == "cancelled" for d in shown["deliveries"])
    assert [f["code"] for f in findings(shown)] == ["legal.reporting_restriction"]
    voided = [e["message_id"] for e in events(session, "message.approval_voided")]
    assert voided == ([message["id"]] if approved.status_code == 200 else [])
