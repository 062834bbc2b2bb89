"""The two-person rule and the lifecycle through /api/v1, on SQLite and PostgreSQL."""
from __future__ import annotations

import hashlib
import threading

import pytest

from tests.api.conftest import assert_error, conforms
from tests.conftest import make_account

TEXT = "Road closed on the A1 after a collision. Please avoid the area."
M = "/messages/{message_id}"


@pytest.fixture
def clients(api, officer, officer2, supervisor, supervisor2, admin):
    return {"officer": api(officer), "officer2": api(officer2), "supervisor": api(supervisor),
            "supervisor2": api(supervisor2), "admin": api(admin)}


def create(client, account_ids, **fields) -> dict:
    response = client.post("/messages", json={"body": TEXT, "accounts": account_ids, **fields})
    assert response.status_code == 201, response.get_json()
    return conforms(response, "POST", "/messages")


def submit(client, message_id: int) -> dict:
    response = client.post(f"/messages/{message_id}/submit")
    assert response.status_code == 200, response.get_json()
    return conforms(response, "POST", M + "/submit")


def test_draft_submit_approve_through_the_api(clients, website_account, session):
    x = make_account(session, "x", "Force X")
    facebook = make_account(session, "facebook", "Force Facebook")
    officer, supervisor = clients["officer"], clients["supervisor"]
    created = create(officer, [website_account.id, x.id, facebook.id])
    assert (created["version"], created["status"]) == (1, "draft")
    assert created["content_hash"] == conforms(officer.get(f"/messages/{created['id']}"), "GET", M)[
        "versions"][0]["content_hash"]
    assert submit(officer, created["id"])["status"] == "awaiting_verification"

    response = supervisor.post(f"/messages/{created['id']}/approve",
                               json={"version": 1, "content_hash": created["content_hash"]})
    assert response.status_code == 200
    approved = conforms(response, "POST", M + "/approve")
    assert approved["status"] == "approved"
    assert sorted(d["account"] for d in approved["deliveries"]) == sorted([website_account.id, x.id,
                                                                          facebook.id])
    assert {d["state"] for d in approved["deliveries"]} == {"pending"}
    assert [(d["version"], d["decision"], d["reviewer"]) for d in approved["decisions"]] == [
        (1, "approved", "sam")]

    shown = conforms(officer.get(f"/messages/{created['id']}"), "GET", M)
    assert shown["status"] == "approved" and len(shown["deliveries"]) == 3


def test_an_officer_cannot_verify(clients, website_account, snapshot):
    created = create(clients["officer"], [website_account.id])
    submit(clients["officer"], created["id"])
    before = snapshot(created["id"])
    for who in ("officer", "officer2"):
        assert_error(clients[who].post(f"/messages/{created['id']}/approve", json={"version": 1}),
                     403, "forbidden")
        assert_error(clients[who].post(f"/messages/{created['id']}/reject", json={"reason": "No"}),
                     403, "forbidden")
    assert snapshot(created["id"]) == before


def test_the_author_cannot_verify(clients, website_account, snapshot):
    created = create(clients["supervisor"], [website_account.id])
    submit(clients["supervisor"], created["id"])
    before = snapshot(created["id"])
    response = clients["supervisor"].post(f"/messages/{created['id']}/approve", json={"version": 1})
    conforms(response, "POST", M + "/approve")
    assert_error(response, 403, "two_person_rule")
    assert snapshot(created["id"]) == before
    assert clients["supervisor2"].post(f"/messages/{created['id']}/approve",
                                       json={"version": 1}).status_code == 200


def test_a_supervisor_who_edited_cannot_verify_and_the_old_version_is_stale(clients, website_account,
                                                                             snapshot):
    created = create(clients["officer"], [website_account.id])
    submit(clients["officer"], created["id"])
    response = clients["supervisor"].patch(f"/messages/{created['id']}",
                                           json={"version": 1, "body": TEXT + " Updated 3pm."})
    assert response.status_code == 200
    edited = conforms(response, "PATCH", M)
    assert (edited["version"], edited["status"]) == (2, "awaiting_verification")
    assert edited["content_hash"] != created["content_hash"]
    before = snapshot(created["id"])

    assert_error(clients["supervisor"].post(f"/messages/{created['id']}/approve", json={"version": 2}),
                 403, "two_person_rule")
    stale = clients["supervisor2"].post(f"/messages/{created['id']}/approve", json={"version": 1})
    conforms(stale, "POST", M + "/approve")
    assert "version 2" in assert_error(stale, 409, "stale_version")["message"]
    wrong_hash = clients["supervisor2"].post(f"/messages/{created['id']}/approve",
                                             json={"version": 2, "content_hash": created["content_hash"]})
    assert_error(wrong_hash, 409, "stale_version")
    assert snapshot(created["id"]) == before

    ok = clients["supervisor2"].post(f"/messages/{created['id']}/approve",
                                     json={"version": 2, "content_hash": edited["content_hash"]})
    assert ok.status_code == 200


def test_an_officer_cannot_edit_or_submit_someone_elses_message(clients, website_account, snapshot):
    created = create(clients["officer"], [website_account.id])
    before = snapshot(created["id"])
    assert_error(clients["officer2"].patch(f"/messages/{created['id']}", json={"body": "Mine now."}),
                 403, "forbidden")
    assert_error(clients["officer2"].post(f"/messages/{created['id']}/submit"), 403, "forbidden")
    assert snapshot(created["id"]) == before


def test_an_edit_after_approval_voids_it_and_cancels_the_deliveries(clients, website_account):
    created = create(clients["officer"], [website_account.id])
    submit(clients["officer"], created["id"])
    clients["supervisor"].post(f"/messages/{created['id']}/approve", json={"version": 1})

    edited = clients["officer"].patch(f"/messages/{created['id']}", json={"body": TEXT + " Now open."})
    assert edited.status_code == 200
    assert edited.get_json()["status"] == "awaiting_verification"
    shown = clients["officer"].get(f"/messages/{created['id']}").get_json()
    assert [d["voided"] for d in shown["decisions"]] == [True]
    assert [d["state"] for d in shown["deliveries"]] == ["cancelled"]
    assert clients["supervisor"].post(f"/messages/{created['id']}/approve",
                                      json={"version": 2}).status_code == 200


def test_an_edit_naming_an_old_version_is_a_conflict(clients, website_account, snapshot):
    created = create(clients["officer"], [website_account.id])
    clients["officer"].patch(f"/messages/{created['id']}", json={"version": 1, "body": "Second."})
    before = snapshot(created["id"])
    assert_error(clients["officer"].patch(f"/messages/{created['id']}", json={"version": 1, "body": "Third."}),
                 409, "stale_version")
    assert snapshot(created["id"]) == before


def test_a_rejection_needs_a_reason_and_returns_the_draft_to_its_author(clients, website_account, snapshot):
    created = create(clients["officer"], [website_account.id])
    submit(clients["officer"], created["id"])
    before = snapshot(created["id"])
    for body in ({}, {"reason": ""}, {"reason": "   "}, {"reason": None}, {"reason": 7}):
        response = clients["supervisor"].post(f"/messages/{created['id']}/reject", json=body)
        conforms(response, "POST", M + "/reject")
        assert_error(response, 422, "invalid", "reason")
    assert snapshot(created["id"]) == before

    response = clients["supervisor"].post(f"/messages/{created['id']}/reject",
                                          json={"reason": "Do not name the road yet"})
    assert response.status_code == 200
    rejected = conforms(response, "POST", M + "/reject")
    assert (rejected["status"], rejected["rejection_reason"]) == ("rejected", "Do not name the road yet")

    edited = clients["officer"].patch(f"/messages/{created['id']}", json={"body": "A road is closed."})
    assert (edited.status_code, edited.get_json()["status"], edited.get_json()["version"]) == (200, "draft", 2)
    assert submit(clients["officer"], created["id"])["status"] == "awaiting_verification"
    assert clients["supervisor"].post(f"/messages/{created['id']}/approve",
                                      json={"version": 2}).status_code == 200


def test_approving_twice_or_before_submission_is_a_conflict(clients, website_account):
    created = create(clients["officer"], [website_account.id])
    assert_error(clients["supervisor"].post(f"/messages/{created['id']}/approve", json={"version": 1}),
                 409, "invalid_state")
    submit(clients["officer"], created["id"])
    assert clients["supervisor"].post(f"/messages/{created['id']}/approve", json={"version": 1}).status_code == 200
    assert_error(clients["supervisor2"].post(f"/messages/{created['id']}/approve", json={"version": 1}),
                 409)


def test_approval_needs_an_integer_version_and_a_string_hash(clients, website_account, snapshot):
    created = create(clients["officer"], [website_account.id])
    submit(clients["officer"], created["id"])
    before = snapshot(created["id"])
    path = f"/messages/{created['id']}/approve"
    assert_error(clients["supervisor"].post(path, json={}), 422, "invalid", "version")
    for version in ("1", 1.5, True, None, [1]):
        assert_error(clients["supervisor"].post(path, json={"version": version}), 422, "invalid", "version")
    assert_error(clients["supervisor"].post(path, json={"version": 1, "content_hash": 5}), 422, "invalid",
                 "content_hash")
    assert_error(clients["supervisor"].post(path, json={"version": 1,
                                                        "content_hash": hashlib.sha256(b"x").hexdigest()}),
                 409, "stale_version")
    assert snapshot(created["id"]) == before


def test_two_supervisors_approving_at_once_through_the_api(app, clients, website_account, session, runtime):
    officer = clients["officer"]
    for _ in range(10):
        created = create(officer, [website_account.id])
        submit(officer, created["id"])
        barrier = threading.Barrier(2)
        statuses: list[int] = []

        def approve(client):
            barrier.wait(timeout=30)
            response = client.post(f"/messages/{created['id']}/approve", json={"version": 1})
            statuses.append(response.status_code)
            if response.status_code != 200:
                assert_error(response, 409)

        threads = [threading.Thread(target=approve, args=(clients[who],)) for who in ("supervisor", "supervisor2")]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert sorted(statuses) == [200, 409]
        shown = officer.get(f"/messages/{created['id']}").get_json()
        assert [d["decision"] for d in shown["decisions"]] == ["approved"]
        assert len(shown["deliveries"]) == 1
