"""Incidents through /api/v1: open one, list them, read one with its messages, rename, close, reopen."""
from __future__ import annotations

from sqlalchemy import select

from tests.api.conftest import assert_error, conforms
from workflow.audit.models import AuditEvent

I = "/incidents/{incident_id}"


def test_an_incident_is_opened_listed_read_with_its_messages_and_closed(api, officer, supervisor,
                                                                         website_account, session):
    client = api(officer)
    opened = client.post("/incidents", json={"title": "Flooding on the A38", "area": "North"})
    assert opened.status_code == 201, opened.get_json()
    incident = conforms(opened, "POST", "/incidents")
    assert (incident["title"], incident["area"], incident["status"]) == ("Flooding on the A38", "North", "open")
    assert incident["link"].endswith(f"/incidents/{incident['slug']}") and incident["closed_at"] is None

    first = client.post("/messages", json={"body": "The A38 is closed at Junction 4 because of flooding.",
                                           "accounts": [website_account.id], "incident": incident["id"]})
    second = client.post("/messages", json={"body": "The A38 is still closed: use the A5 instead.",
                                            "accounts": [website_account.id], "incident": incident["id"]})
    assert first.status_code == second.status_code == 201

    listed = conforms(api(supervisor).get("/incidents"), "GET", "/incidents")
    assert [i["id"] for i in listed["incidents"]] == [incident["id"]]
    shown = conforms(client.get(f"/incidents/{incident['id']}"), "GET", I)
    assert [m["id"] for m in shown["messages"]] == [first.get_json()["id"], second.get_json()["id"]]
    assert {m["kind"] for m in shown["messages"]} == {"incident"}

    closed = client.patch(f"/incidents/{incident['id']}", json={"status": "closed", "title": "A38 flooding"})
    assert closed.status_code == 200, closed.get_json()
    closed = conforms(closed, "PATCH", I)
    assert (closed["status"], closed["title"]) == ("closed", "A38 flooding") and closed["closed_at"]
    assert conforms(client.get("/incidents?status=open"), "GET", "/incidents")["incidents"] == []
    reopened = client.patch(f"/incidents/{incident['id']}", json={"status": "open"}).get_json()
    assert reopened["status"] == "open" and reopened["closed_at"] is None

    actions = [e.action for e in session.execute(select(AuditEvent).order_by(AuditEvent.id)).scalars()
               if e.action.startswith("incident.")]
    assert actions == ["incident.opened", "incident.renamed", "incident.closed", "incident.reopened"]


def test_bad_incident_input_is_refused_with_the_field_named(api, officer):
    client = api(officer)
    assert_error(client.post("/incidents", json={}), 422, "invalid", field="title")
    assert_error(client.post("/incidents", json={"title": "  "}), 422, "invalid", field="title")
    assert_error(client.post("/incidents", json={"title": "Fire", "severity": "high"}), 422, "invalid",
                 field="severity")
    assert_error(client.post("/incidents", json={"title": 7}), 422, "invalid", field="title")
    made = client.post("/incidents", json={"title": "Fire on Mill Lane"}).get_json()
    assert_error(client.patch(f"/incidents/{made['id']}", json={"status": "paused"}), 422, "invalid",
                 field="status")
    assert_error(client.get("/incidents?status=paused"), 422, "invalid", field="status")
    assert_error(client.get("/incidents/999999"), 404, "not_found")
    assert_error(client.patch("/incidents/999999", json={"status": "closed"}), 404, "not_found")


def test_reading_incidents_needs_a_token_and_nothing_more(api, officer):
    assert_error(api(None).get("/incidents"), 401, "unauthorized")
    assert api(officer).get("/incidents").status_code == 200
