"""Bad input of every kind answers a 4xx with {"error": {"code", "message"}} saying
what is wrong, and never loses or half-writes a draft."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from tests.api.conftest import assert_error
from workflow.audit.models import AuditEvent
from workflow.messages import drafts, review
from workflow.messages.models import Incident, Message, MessageVersion

#: A valid publish time: within the year ahead that a new post may be scheduled.
SOON = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=30)).replace(microsecond=0).isoformat()
GOOD = "Road closed on the A1 after a collision."


@pytest.fixture
def world(session, api, officer, supervisor, website_account, snapshot, runtime):
    """An officer's draft and a submitted message, and a way to check nothing changed."""
    draft = drafts.create_draft(session, officer, {"body": GOOD, "accounts": [website_account.id]})
    waiting = drafts.create_draft(session, officer, {"body": GOOD + " Second.", "accounts": [website_account.id]})
    review.submit(session, officer, waiting.id)

    def counts():
        session.rollback()
        with runtime.session() as s:
            return tuple(s.execute(select(func.count()).select_from(model)).scalar_one()
                         for model in (Message, MessageVersion, Incident, AuditEvent))

    officer_client, supervisor_client = api(officer), api(supervisor)

    class World:
        def __init__(self):
            self.officer = officer_client
            self.supervisor = supervisor_client
            self.draft_id = draft.id
            self.waiting_id = waiting.id
            self.account = website_account.id
            self.before = (snapshot(draft.id), snapshot(waiting.id), counts())

        def rebase(self):
            self.before = (snapshot(draft.id), snapshot(waiting.id), counts())

        def unchanged(self, what):
            assert (snapshot(draft.id), snapshot(waiting.id), counts()) == self.before, what

    return World()


def check(world, response, status, code=None, field=None, what=""):
    assert_error(response, status, code, field)
    world.unchanged(what)


NOT_JSON = [b"{", b"nope", b"\xff\xfe", b'{"body": "x",}', b"{'body': 'x'}", b'{"body": NaN}'[:9]]
NOT_OBJECTS = [b"[]", b'"text"', b"1", b"null", b"true", b'[{"body": "x"}]']


def test_bodies_that_are_not_json_objects_are_400(world):
    routes = [("POST", "/messages"), ("PATCH", f"/messages/{world.draft_id}"),
              ("POST", f"/messages/{world.waiting_id}/approve"), ("POST", f"/messages/{world.waiting_id}/reject")]
    for method, path in routes:
        client = world.supervisor if path.endswith(("approve", "reject")) else world.officer
        for raw in NOT_JSON + NOT_OBJECTS + [b"", b"[" * 100_000]:
            response = client._call(method, path, data=raw, headers={"Content-Type": "application/json"})
            check(world, response, 400, "bad_request", what=(method, path, raw[:20]))
        # No body at all, and no content type.
        check(world, client._call(method, path), 400, "bad_request", what=(method, path, "empty"))


def test_a_body_over_the_size_limit_is_413(world):
    huge = b'{"body": "' + b"x" * (1024 * 1024 + 10) + b'"}'
    response = world.officer._call("POST", "/messages", data=huge, headers={"Content-Type": "application/json"})
    check(world, response, 413, "too_large")


BAD_DRAFTS = [
    ({"accounts": "ACCOUNTS"}, "body"),
    ({"body": GOOD}, "accounts"),
    ({"body": None, "accounts": "ACCOUNTS"}, "body"),
    ({"body": 42, "accounts": "ACCOUNTS"}, "body"),
    ({"body": ["a"], "accounts": "ACCOUNTS"}, "body"),
    ({"body": "", "accounts": "ACCOUNTS"}, "body"),
    ({"body": "  \n\t ", "accounts": "ACCOUNTS"}, "body"),
    ({"body": "x" * 5001, "accounts": "ACCOUNTS"}, "body"),
    ({"body": "a\x00b", "accounts": "ACCOUNTS"}, "body"),
    ({"body": "lone \udc80 surrogate", "accounts": "ACCOUNTS"}, "body"),
    ({"body": GOOD, "accounts": []}, "accounts"),
    ({"body": GOOD, "accounts": "1"}, "accounts"),
    ({"body": GOOD, "accounts": ["1"]}, "accounts"),
    ({"body": GOOD, "accounts": [True]}, "accounts"),
    ({"body": GOOD, "accounts": [1.5]}, "accounts"),
    ({"body": GOOD, "accounts": {"1": 1}}, "accounts"),
    ({"body": GOOD, "accounts": [999_999]}, "accounts"),
    ({"body": GOOD, "accounts": [2**62]}, "accounts"),
    ({"body": GOOD, "accounts": [10**30]}, "accounts"),
    ({"body": GOOD, "accounts": [-1]}, "accounts"),
    ({"body": GOOD, "accounts": "ACCOUNTS", "variants": []}, "variants"),
    ({"body": GOOD, "accounts": "ACCOUNTS", "variants": "short"}, "variants"),
    ({"body": GOOD, "accounts": "ACCOUNTS", "variants": {"abc": "text"}}, "variants"),
    ({"body": GOOD, "accounts": "ACCOUNTS", "variants": {"999999": "text"}}, "variants"),
    ({"body": GOOD, "accounts": "ACCOUNTS", "variants": {"ACCOUNT": ""}}, "variants"),
    ({"body": GOOD, "accounts": "ACCOUNTS", "variants": {"ACCOUNT": 5}}, "variants"),
    ({"body": GOOD, "accounts": "ACCOUNTS", "incident": True}, "incident"),
    ({"body": GOOD, "accounts": "ACCOUNTS", "incident": 1.5}, "incident"),
    ({"body": GOOD, "accounts": "ACCOUNTS", "incident": 999_999}, "incident"),
    ({"body": GOOD, "accounts": "ACCOUNTS", "incident": "no-such-incident"}, "incident"),
    ({"body": GOOD, "accounts": "ACCOUNTS", "incident": {"title": ""}}, "incident"),
    ({"body": GOOD, "accounts": "ACCOUNTS", "incident": {"title": "Fire", "area": 5}}, "incident"),
    ({"body": GOOD, "accounts": "ACCOUNTS", "incident": ["Fire"]}, "incident"),
    ({"body": GOOD, "accounts": "ACCOUNTS", "kind": "urgent"}, "kind"),
    ({"body": GOOD, "accounts": "ACCOUNTS", "publish_at": 1767225600}, "publish_at"),
    ({"body": GOOD, "accounts": "ACCOUNTS", "publish_at": "tomorrow at nine"}, "publish_at"),
    ({"body": GOOD, "accounts": "ACCOUNTS", "publish_at": "2026-02-30T09:00:00Z"}, "publish_at"),
    ({"body": GOOD, "accounts": "ACCOUNTS", "publish_at": "2026-13-01T09:00:00Z"}, "publish_at"),
    ({"body": GOOD, "accounts": "ACCOUNTS", "publish_at": "1999-12-31T23:59:59Z"}, "publish_at"),
    ({"body": GOOD, "accounts": "ACCOUNTS", "publish_at": "9999-12-31T23:59:59Z"}, "publish_at"),
    ({"body": GOOD, "accounts": "ACCOUNTS", "publish_at": {"at": "9am"}}, "publish_at"),
    ({"body": GOOD, "accounts": "ACCOUNTS", "recurrence": "FREQ=WEEKLY;BYDAY=MO"}, "recurrence"),
    ({"body": GOOD, "accounts": "ACCOUNTS", "publish_at": SOON, "recurrence": "EVERY MONDAY"},
     "recurrence"),
    ({"body": GOOD, "accounts": "ACCOUNTS", "publish_at": SOON, "recurrence": "FREQ=MINUTELY"},
     "recurrence"),
    ({"body": GOOD, "accounts": "ACCOUNTS", "publish_at": SOON,
      "recurrence": "FREQ=DAILY;UNTIL=20200101T000000"}, "recurrence"),
    ({"body": GOOD, "accounts": "ACCOUNTS", "publish_at": SOON,
      "recurrence": "DTSTART:20300107T090000\nRRULE:FREQ=DAILY"}, "recurrence"),
    ({"body": GOOD, "accounts": "ACCOUNTS", "publish_at": SOON, "recurrence": 7}, "recurrence"),
    ({"body": GOOD, "accounts": "ACCOUNTS", "publish_at": SOON,
      "recurrence": "FREQ=DAILY;" + "BYHOUR=9;" * 100}, "recurrence"),
    ({"body": GOOD, "accounts": "ACCOUNTS", "kind": "incident", "publish_at": SOON,
      "recurrence": "FREQ=DAILY"}, "recurrence"),
    ({"body": GOOD, "accounts": "ACCOUNTS", "change_note": ""}, "change_note"),
    ({"body": GOOD, "accounts": "ACCOUNTS", "change_note": 3}, "change_note"),
]


def _fill(data, account: int):
    out = dict(data)
    if out.get("accounts") == "ACCOUNTS":
        out["accounts"] = [account]
    if isinstance(out.get("variants"), dict):
        out["variants"] = {(str(account) if k == "ACCOUNT" else k): v for k, v in out["variants"].items()}
    return out


def test_bad_drafts_are_422_naming_the_field_and_save_nothing(world):
    for data, field in BAD_DRAFTS:
        response = world.officer.post("/messages", json=_fill(data, world.account))
        check(world, response, 422, "invalid", field, what=data)


def test_bad_edits_are_422_and_leave_the_draft_as_it_was(world):
    for data, field in BAD_DRAFTS:
        data = _fill(data, world.account)
        if field not in data or field in ("kind", "incident") or data.get("kind") == "incident":
            continue  # fields left out keep their values; kind and incident are fixed at creation
        response = world.officer.patch(f"/messages/{world.draft_id}", json=data)
        check(world, response, 422, "invalid", field, what=data)
    for version in ("1", 1.5, True, [1]):
        response = world.officer.patch(f"/messages/{world.draft_id}", json={"version": version, "body": GOOD})
        check(world, response, 422, "invalid", "version", what=version)


UNKNOWN_IDS = [999_999, 2**62, 2**63, 10**30, 0]


def test_unknown_message_ids_are_404_on_every_route(world):
    for message_id in UNKNOWN_IDS:
        calls = [
            (world.officer, "GET", f"/messages/{message_id}", None),
            (world.officer, "PATCH", f"/messages/{message_id}", {"body": GOOD}),
            (world.officer, "POST", f"/messages/{message_id}/submit", None),
            (world.supervisor, "POST", f"/messages/{message_id}/approve", {"version": 1}),
            (world.supervisor, "POST", f"/messages/{message_id}/reject", {"reason": "No"}),
            (world.officer, "POST", f"/messages/{message_id}/withdraw", {"reason": "Mistake"}),
            (world.officer, "POST", f"/messages/{message_id}/correct", {"body": GOOD, "change_note": "Fix"}),
            (world.supervisor, "POST", f"/messages/{message_id}/schedule", {"publish_now": True}),
        ]
        for client, method, path, body in calls:
            check(world, client._call(method, path, json=body), 404, "not_found", what=(method, path))


def test_bad_approvals_and_rejections_leave_the_message_waiting(world):
    approve = f"/messages/{world.waiting_id}/approve"
    reject = f"/messages/{world.waiting_id}/reject"
    for body, status, field in [
        ({}, 422, "version"), ({"version": "1"}, 422, "version"), ({"version": None}, 422, "version"),
        ({"version": 1, "content_hash": ["x"]}, 422, "content_hash"), ({"version": 10**30}, 422, "version"),
        ({"version": 2}, 409, None), ({"version": 1, "content_hash": "0" * 64}, 409, None),
    ]:
        check(world, world.supervisor.post(approve, json=body), status, field=field, what=body)
    for body in ({}, {"reason": ""}, {"reason": "  "}, {"reason": ["no"]}, {"reason": "x" * 2001}):
        check(world, world.supervisor.post(reject, json=body), 422, "invalid", "reason", what=body)
    # Submitting what is already waiting, or approving a draft: the wrong state.
    check(world, world.officer.post(f"/messages/{world.waiting_id}/submit"), 409, "invalid_state")
    check(world, world.supervisor.post(f"/messages/{world.draft_id}/approve", json={"version": 1}),
          409, "invalid_state")


def test_bad_list_queries_are_422(world):
    check(world, world.officer.get("/messages?status=shouting"), 422, "invalid", "status")
    check(world, world.officer.get("/messages?limit=lots"), 422, "invalid", "limit")
    assert world.officer.get("/messages?limit=100000").status_code == 200


def test_bad_accounts_are_refused_and_nothing_is_added(world, api, admin, session):
    client = api(admin)
    world.rebase()  # making the admin's token is an audited change of its own
    for body, field in [
        ({"kind": "myspace", "name": "Old"}, "kind"), ({"name": "No kind"}, "kind"),
        ({"kind": "website"}, "name"), ({"kind": "website", "name": ""}, "name"),
        ({"kind": "website", "name": "x" * 121}, "name"), ({"kind": "website", "name": 5}, "name"),
        ({"kind": "website", "name": "Site", "area": 5}, "area"),
        ({"kind": "x", "name": "X", "credentials": {}}, "credentials"),
        ({"kind": "x", "name": "X", "credentials": "not json"}, "credentials"),
        ({"kind": "facebook", "name": "FB", "credentials": ["page"]}, "credentials"),
    ]:
        check(world, client.post("/accounts", json=body), 422, "invalid", field, what=body)
    assert len(client.get("/accounts").get_json()["accounts"]) == 1
