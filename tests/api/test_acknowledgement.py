"""Acknowledgement is part of verification: every legal and privacy finding of the version
is ticked off by its id before an approval counts, through the API (issue 11, point 3)."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from tests.api.conftest import assert_error, conforms
from workflow.audit.models import AuditEvent

M = "/messages/{message_id}"
#: Someone's own e-mail address: a privacy finding, a warning.
PERSONAL = ("Thank you to everyone who came to the open day. If you found a lost purse, please e-mail "
            "its owner at jane.doe1984@gmail.com.")
#: Details that may identify the complainant of a sexual offence: a serious finding.
SERIOUS = ("A 15-year-old girl was sexually assaulted on Mill Lane on Friday evening. The victim, a pupil at "
           "Oakfield Academy who lives on Mill Lane, was walking home when she was approached.")


@pytest.fixture
def officer_api(api, officer):
    return api(officer)


@pytest.fixture
def supervisor_api(api, supervisor):
    return api(supervisor)


def submitted(client, account_id: int, body: str) -> dict:
    created = client.post("/messages", json={"body": body, "accounts": [account_id]})
    assert created.status_code == 201, created.get_json()
    message_id = created.get_json()["id"]
    assert client.post(f"/messages/{message_id}/submit").status_code == 200
    return conforms(client.get(f"/messages/{message_id}"), "GET", M)


def findings(message: dict) -> list[dict]:
    return [p for problems in message["checks"].values() for p in problems
            if p.get("id") and p["code"].startswith(("legal.", "privacy."))]


def test_an_approval_without_every_finding_acknowledged_approves_nothing(officer_api, supervisor_api,
                                                                         website_account, session):
    message = submitted(officer_api, website_account.id, PERSONAL)
    found = findings(message)
    assert found and all(f["code"] == "privacy.personal_data" for f in found)
    assert all({"id", "severity", "start", "end", "why", "action"} <= set(f) for f in found)

    response = supervisor_api.post(f"/messages/{message['id']}/approve", json={"version": 1})
    error = assert_error(response, 409, "unacknowledged_checks", field="acknowledged")
    assert sorted(error["missing"]) == sorted(f["id"] for f in found)
    after = supervisor_api.get(f"/messages/{message['id']}").get_json()
    assert after["status"] == "awaiting_verification" and after["deliveries"] == [] and after["decisions"] == []

    partly = supervisor_api.post(f"/messages/{message['id']}/approve",
                                 json={"version": 1, "acknowledged": [found[0]["id"]] if len(found) > 1 else []})
    assert_error(partly, 409, "unacknowledged_checks")

    ids = [f["id"] for f in found]
    approved = supervisor_api.post(f"/messages/{message['id']}/approve", json={"version": 1, "acknowledged": ids})
    assert approved.status_code == 200, approved.get_json()
    assert conforms(approved, "POST", M + "/approve")["status"] == "approved"

    event = session.execute(select(AuditEvent).where(AuditEvent.action == "message.approved",
                                                     AuditEvent.message_id == message["id"])).scalar_one()
    details = json.loads(event.details)
    assert sorted(a["id"] for a in details["acknowledged"]) == sorted(ids)
    assert event.actor == "sam" and event.content_hash == message["versions"][-1]["content_hash"]


def test_a_serious_finding_needs_the_verifiers_reason(officer_api, supervisor_api, website_account):
    message = submitted(officer_api, website_account.id, SERIOUS)
    found = findings(message)
    assert any(f["severity"] == "serious" for f in found), found
    ids = [f["id"] for f in found]

    no_reason = supervisor_api.post(f"/messages/{message['id']}/approve", json={"version": 1, "acknowledged": ids})
    assert_error(no_reason, 422, "invalid")
    assert no_reason.get_json()["error"]["field"] == "note"

    approved = supervisor_api.post(f"/messages/{message['id']}/approve", json={
        "version": 1, "acknowledged": ids, "note": "Cleared with the SIO and the family liaison officer."})
    assert approved.status_code == 200, approved.get_json()


def test_an_acknowledgement_of_an_earlier_version_does_not_carry_over(officer_api, supervisor_api,
                                                                      website_account):
    message = submitted(officer_api, website_account.id, PERSONAL)
    old_ids = [f["id"] for f in findings(message)]
    edited = officer_api.patch(f"/messages/{message['id']}",
                               json={"body": PERSONAL.replace("jane.doe1984@gmail.com", "j.doe.1984@outlook.com")})
    assert edited.status_code == 200, edited.get_json()
    latest = officer_api.get(f"/messages/{message['id']}").get_json()
    new_ids = [f["id"] for f in findings(latest)]
    assert new_ids and set(new_ids).isdisjoint(old_ids)

    stale = supervisor_api.post(f"/messages/{message['id']}/approve", json={"version": 2, "acknowledged": old_ids})
    assert sorted(assert_error(stale, 409, "unacknowledged_checks")["missing"]) == sorted(new_ids)


@pytest.mark.parametrize("acknowledged", ["f-1", [1, 2], [{"id": "f-1"}], None])
def test_acknowledged_must_be_a_list_of_ids(officer_api, supervisor_api, website_account, acknowledged):
    message = submitted(officer_api, website_account.id, PERSONAL)
    response = supervisor_api.post(f"/messages/{message['id']}/approve",
                                   json={"version": 1, "acknowledged": acknowledged})
    assert_error(response, 422, "invalid")
    assert response.get_json()["error"]["field"] == "acknowledged"


def test_a_clean_text_needs_nothing_acknowledged(officer_api, supervisor_api, website_account):
    message = submitted(officer_api, website_account.id,
                        "The A38 northbound is closed between Junctions 4 and 5 for resurfacing tonight.")
    assert findings(message) == []
    assert supervisor_api.post(f"/messages/{message['id']}/approve", json={"version": 1}).status_code == 200
