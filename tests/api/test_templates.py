"""The template library through the API (issue 11, point 5): who may manage it, what a
template may say, filling it, and a filled template going through the checks and the
two-person rule like any draft."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from tests.api.conftest import assert_error, conforms
from workflow.audit.models import AuditEvent
from workflow.messages.checks import run
from workflow.messages.library import LIBRARY
from workflow.messages.placeholders import fill, placeholders

T = "/templates/{template_id}"
ROAD = "{road} is closed at {location} until {time}. Please find another route."


@pytest.fixture
def clients(api, officer, officer2, supervisor, supervisor2, admin):
    return {"officer": api(officer), "officer2": api(officer2), "supervisor": api(supervisor),
            "supervisor2": api(supervisor2), "admin": api(admin), "nobody": api(None)}


def by_key(client, key: str) -> dict:
    listed = conforms(client.get("/templates"), "GET", "/templates")["templates"]
    return next(t for t in listed if t["key"] == key)


def test_the_library_ships_every_template_the_desk_needs(clients):
    listed = conforms(clients["officer"].get("/templates"), "GET", "/templates")["templates"]
    names = {t["name"] for t in listed}
    assert names == {"Holding statement", "Road closure", "Road reopening", "Missing person appeal", "Found safe",
                     "Witness appeal", "Arrest update", "Charge update", "Court result", "Scam warning",
                     "Major incident holding statement"}
    assert len(listed) == len(LIBRARY)
    missing = next(t for t in listed if t["key"] == "missing_person_appeal")
    assert missing["appeal"] == "missing_person" and "name" in missing["placeholders"]
    arrest = next(t for t in listed if t["key"] == "arrest_update")
    # Naming at arrest is exceptional: the arrest update has no {name}; the charge update has.
    assert "name" not in arrest["placeholders"]
    charge = next(t for t in listed if t["key"] == "charge_update")
    assert {"name", "age", "town", "charge", "court", "court_date"} <= set(charge["placeholders"])
    found = next(t for t in listed if t["key"] == "found_safe")
    assert "description" not in found["placeholders"]
    # Asking again writes nothing twice.
    assert len(clients["admin"].get("/templates").get_json()["templates"]) == len(LIBRARY)


@pytest.mark.parametrize("role,status", [("officer", 403), ("nobody", 401), ("supervisor", 201), ("admin", 201)])
def test_only_supervisors_and_admins_create_templates(clients, role, status):
    response = clients[role].post("/templates", json={"name": "Road closure (planned)", "body": ROAD,
                                                       "kind": "routine"})
    if status != 201:
        assert_error(response, status)
        names = [t["name"] for t in clients["admin"].get("/templates").get_json()["templates"]]
        assert "Road closure (planned)" not in names
        return
    made = conforms(response, "POST", "/templates")
    assert made["placeholders"] == ["road", "location", "time"] and made["kind"] == "routine"
    assert made["key"] is None and made["revision"] == 1 and made["retired"] is False


def test_officers_may_not_edit_or_retire_but_may_read_and_fill(clients):
    template = by_key(clients["officer"], "road_closure")
    path = f"/templates/{template['id']}"
    assert_error(clients["officer"].patch(path, json={"body": "Changed {road}."}), 403, "forbidden")
    assert_error(clients["officer"].delete(path), 403, "forbidden")
    assert conforms(clients["officer"].get(path), "GET", T)["body"] == template["body"]
    filled = conforms(clients["officer"].post(f"{path}/fill", json={"values": {"road": "The A38"}}), "POST",
                      T + "/fill")
    assert filled == {"text": template["body"].replace("{road}", "The A38"),
                      "missing": ["location", "reason"]}


@pytest.mark.parametrize("body,why", [
    ("Road closed at {location", "never closed"),
    ("Road closed at location}", "no opening brace"),
    ("Road closed at {Location}", "not a placeholder name"),
    ("Road closed at {loc ation}", "not a placeholder name"),
    ("Road closed at {}", "not a placeholder name"),
    ("Road closed at {{location}}", "never closed"),
    ("Road closed at {location.__class__}", "not a placeholder name"),
    ("Road closed at {0}", "not a placeholder name"),
    ("Closed at {location} {time:%H}", "not a placeholder name"),
    ("Closed\u202e at {location}", "invisible"),
])
def test_a_template_with_bad_placeholders_is_refused_naming_why(clients, body, why):
    response = clients["supervisor"].post("/templates", json={"name": "Broken", "body": body})
    error = assert_error(response, 422, "invalid", "body")
    assert why in error["message"]
    assert all(t["name"] != "Broken" for t in clients["admin"].get("/templates?retired=true").get_json()["templates"])


def test_other_refusals(clients, website_account):
    sup = clients["supervisor"]
    assert_error(sup.post("/templates", json={"name": "Found safe", "body": "Found."}), 409, "template_name_taken",
                 "name")
    assert_error(sup.post("/templates", json={"name": "X", "body": "Hi {name}", "colour": "red"}), 422,
                 field="colour")
    assert_error(sup.post("/templates", json={"name": "X", "body": "Hi", "kind": "urgent"}), 422, field="kind")
    assert_error(sup.post("/templates", json={"name": "X", "body": "Hi", "accounts": [999]}), 422,
                 field="accounts")
    assert_error(sup.post("/templates", json={"name": "X", "body": "Hi", "appeal": "lost_dog"}), 422,
                 field="appeal")
    assert_error(sup.post("/templates", json={"name": "X", "body": "x" * 5001}), 422, field="body")
    assert_error(sup.get("/templates/999999"), 404, "not_found")
    assert_error(sup.patch(f"/templates/{by_key(sup, 'road_closure')['id']}", json={}), 422)
    assert_error(sup.get("/templates?retired=maybe"), 422, field="retired")
    made = sup.post("/templates", json={"name": "Cordon", "body": "Cordon at {location}.",
                                        "accounts": [website_account.id]}).get_json()
    assert made["accounts"] == [website_account.id]
    fill = f"/templates/{made['id']}/fill"
    assert_error(clients["officer"].post(fill, json={"values": {"road": "A1"}}), 422, field="values")
    assert_error(clients["officer"].post(fill, json={"values": {"location": 7}}), 422, field="values")
    assert_error(clients["officer"].post(fill, json={"values": {"location": "the\u200bpark"}}), 422,
                 field="values")


def test_fill_reports_missing_placeholders_and_never_reads_a_value_as_a_template(clients):
    made = clients["admin"].post("/templates", json={"name": "Cordon", "body": "Cordon at {location} since "
                                                     "{time}; {location} is closed."}).get_json()
    fill = f"/templates/{made['id']}/fill"
    empty = conforms(clients["officer"].post(fill, json={}), "POST", T + "/fill")
    assert empty == {"text": made["body"], "missing": ["location", "time"]}
    blank = clients["officer"].post(fill, json={"values": {"location": "  ", "time": None}}).get_json()
    assert blank["missing"] == ["location", "time"]
    sneaky = clients["officer"].post(fill, json={"values": {"location": "{time}", "time": "9am"}}).get_json()
    assert sneaky == {"text": "Cordon at {time} since 9am; {time} is closed.", "missing": []}


def test_edit_and_retire_are_audited_and_retired_templates_leave_the_picker(clients, session):
    sup = clients["supervisor"]
    template = by_key(sup, "road_reopening")
    path = f"/templates/{template['id']}"
    edited = conforms(sup.patch(path, json={"body": "{road} is open again {location}. Thank you."}), "PATCH", T)
    assert edited["revision"] == 2 and edited["updated_by"] == "sam" and edited["placeholders"] == ["road",
                                                                                                     "location"]
    retired = conforms(clients["admin"].delete(path), "DELETE", T)
    assert retired["retired"] is True and retired["retired_at"]
    assert clients["admin"].delete(path).status_code == 200  # retiring twice changes nothing
    assert template["id"] not in [t["id"] for t in sup.get("/templates").get_json()["templates"]]
    assert template["id"] in [t["id"] for t in sup.get("/templates?retired=true").get_json()["templates"]]
    assert_error(clients["officer"].post(f"{path}/fill", json={}), 409, "invalid_state")
    back = sup.patch(path, json={"retired": False}).get_json()
    assert back["retired"] is False
    events = session.execute(select(AuditEvent).where(AuditEvent.action.like("template.%"))
                             .order_by(AuditEvent.id)).scalars().all()
    assert [(e.action, e.actor) for e in events] == [("template.edited", "sam"), ("template.retired", "ada"),
                                                     ("template.restored", "sam")]
    details = json.loads(events[0].details)
    assert details["changed"] == ["body"] and details["text"].startswith("{road} is open again")


def test_a_filled_template_is_an_ordinary_draft_checked_and_verified_by_someone_else(clients, website_account):
    officer, sup = clients["officer"], clients["supervisor"]
    template = by_key(officer, "missing_person_appeal")
    filled = officer.post(f"/templates/{template['id']}/fill", json={"values": {
        "name": "Alan Reeve", "age": "67", "location": "Bishopton", "time": "3pm on Tuesday",
        "description": "white, 5ft 10in, with grey hair, wearing a blue coat"}}).get_json()
    assert filled["missing"] == ["reference"]
    created = officer.post("/messages", json={"body": filled["text"], "accounts": [website_account.id],
                                              "template": template["id"]})
    message = conforms(created, "POST", "/messages")
    # Made from the missing person template: an appeal, and its unfilled {reference} blocks submission.
    shown = officer.get(f"/messages/{message['id']}").get_json()
    assert shown["template"] == template["id"] and shown["appeal"] == "missing_person"
    unfilled = [p for p in shown["checks"][str(website_account.id)] if p["code"] == "template_unfilled"]
    assert unfilled and unfilled[0]["level"] == "error" and "{reference}" in unfilled[0]["message"]
    assert_error(officer.post(f"/messages/{message['id']}/submit"), 422, "invalid", "body")
    fixed = officer.patch(f"/messages/{message['id']}",
                          json={"body": filled["text"].replace("{reference}", "incident 123 of 4 May")})
    assert fixed.status_code == 200
    assert officer.post(f"/messages/{message['id']}/submit").get_json()["status"] == "awaiting_verification"
    # The author may not verify it, whatever it was made from; a supervisor who did not write it may.
    assert_error(officer.post(f"/messages/{message['id']}/approve", json={"version": 2}), 403)
    own = sup.post("/messages", json={"body": "Road closed.", "accounts": [website_account.id],
                                      "template": by_key(sup, "road_closure")["id"]}).get_json()
    sup.post(f"/messages/{own['id']}/submit")
    assert_error(sup.post(f"/messages/{own['id']}/approve", json={"version": 1}), 403, "two_person_rule")
    checks = sup.get(f"/messages/{message['id']}").get_json()["checks"]
    ids = [p["id"] for ps in checks.values() for p in ps if p.get("id")]
    approved = sup.post(f"/messages/{message['id']}/approve", json={"version": 2, "acknowledged": ids,
                                                                    "note": "a missing person appeal"})
    assert approved.status_code == 200, approved.get_json()
    assert approved.get_json()["status"] in ("approved", "publishing", "published")


def test_a_template_cannot_be_named_when_retired_or_unknown(clients, website_account):
    officer = clients["officer"]
    template = by_key(officer, "scam_warning")
    clients["supervisor"].delete(f"/templates/{template['id']}")
    body = {"body": "Scam warning.", "accounts": [website_account.id]}
    assert_error(officer.post("/messages", json={**body, "template": template["id"]}), 422, field="template")
    assert_error(officer.post("/messages", json={**body, "template": 424242}), 422, field="template")
    assert_error(officer.post("/messages", json={**body, "values": {"area": "Leeds"}}), 422, field="values")


SAMPLE = {"description": "a collision", "location": "Market Street", "road": "The A38", "reason": "a collision",
          "name": "John Smith", "age": "34", "time": "3pm", "reference": "incident 123", "person": "man",
          "town": "Leeds", "offence": "burglary", "charge": "burglary", "court": "Leeds Magistrates' Court",
          "court_date": "Monday 7 June", "sentence": "four years in prison", "area": "Headingley"}


@pytest.mark.parametrize("key,body", [(row[0], row[4]) for row in LIBRARY], ids=[row[0] for row in LIBRARY])
def test_each_shipped_template_filled_raises_no_finding(key, body):
    """The library's own wording never cries wolf: filled with ordinary values, the check engine stays quiet."""
    assert set(placeholders(body)) <= set(SAMPLE), key
    filled = fill(body, SAMPLE)
    assert filled.missing == []
    assert [(f.code, filled.text[f.start:f.end]) for f in run(filled.text)] == []
