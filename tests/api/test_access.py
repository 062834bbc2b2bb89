"""Who may call what: a valid Bearer token on every endpoint, and the role each needs."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from tests.api.conftest import DOCUMENT, assert_error
from tests.conftest import ApiClient
from workflow.accounts import tokens as accounts
from workflow.accounts.models import ApiToken
from workflow.messages import drafts, review

BODIES = {
    ("POST", "/accounts"): {"kind": "website", "name": "Another website"},
    ("POST", "/messages"): {"body": "Road closed.", "accounts": [1]},
    ("PATCH", "/messages/{message_id}"): {"body": "Road closed until 6pm."},
    ("POST", "/messages/{message_id}/approve"): {"version": 1},
    ("POST", "/messages/{message_id}/reject"): {"reason": "Too vague"},
    ("POST", "/messages/{message_id}/withdraw"): {"reason": "Sent by mistake"},
    ("POST", "/messages/{message_id}/correct"): {"body": "Road open.", "change_note": "Reopened"},
    ("POST", "/messages/{message_id}/schedule"): {"publish_now": True},
    ("POST", "/pause"): {"reason": "Major incident"},
    ("PATCH", "/users/{username}"): {"email": "olivia@police.example"},
    ("POST", "/incidents"): {"title": "Flooding on the A38"},
    ("PATCH", "/incidents/{incident_id}"): {"status": "closed"},
    ("POST", "/templates"): {"name": "Cordon", "body": "A cordon is in place at {location}."},
    ("PATCH", "/templates/{template_id}"): {"body": "{road} is closed {location}."},
    ("POST", "/templates/{template_id}/fill"): {"values": {}},
    ("POST", "/messages/{message_id}/found"): {},
    ("PATCH", "/me/notifications"): {"email": True},
    ("PUT", "/me/duty"): {"on_duty": True},
}
#: Operations only some roles may call; every other one is open to every signed-in user.
RESTRICTED = {
    ("POST", "/accounts"): {"admin"},
    ("POST", "/messages/{message_id}/approve"): {"supervisor", "admin"},
    ("POST", "/messages/{message_id}/reject"): {"supervisor", "admin"},
    ("POST", "/messages/{message_id}/schedule"): {"supervisor", "admin"},
    ("POST", "/pause"): {"supervisor", "admin"},
    ("DELETE", "/pause"): {"supervisor", "admin"},
    ("GET", "/users"): {"admin"},
    ("PATCH", "/users/{username}"): {"admin"},
    ("POST", "/templates"): {"supervisor", "admin"},
    ("PATCH", "/templates/{template_id}"): {"supervisor", "admin"},
    ("DELETE", "/templates/{template_id}"): {"supervisor", "admin"},
    ("PUT", "/me/duty"): {"supervisor", "admin"},
    ("GET", "/notices"): {"supervisor", "admin"},
}


def operations():
    for path, item in DOCUMENT["paths"].items():
        for method in item:
            if method != "parameters" and path != "/openapi.json":
                yield method.upper(), path


OPERATIONS = sorted(operations())


def call(client: ApiClient, method: str, path: str, message_id: int = 1):
    return client._call(method, path.format(message_id=message_id, username="olivia", incident_id=1, template_id=1,
                                            account_id=1),
                        json=BODIES.get((method, path)))


def test_every_operation_is_listed_here():
    assert {op for op in RESTRICTED} <= set(OPERATIONS)
    assert {op for op in BODIES} <= set(OPERATIONS)
    assert len(OPERATIONS) >= 15


@pytest.mark.parametrize("header", [
    None,
    "Bearer",
    "Bearer ",
    "Bearer crier_not-a-real-token",
    "Basic b2xpdmlhOnBhc3N3b3Jk",
    "crier_not-a-real-token",
], ids=["none", "empty", "blank", "unknown", "basic", "no-scheme"])
def test_every_operation_needs_a_valid_token(app, header):
    client = ApiClient(app.test_client(), None)
    headers = {"Authorization": header} if header is not None else {}
    for method, path in OPERATIONS:
        response = client._call(method, path.format(message_id=1, username="olivia", incident_id=1, template_id=1,
                                            account_id=1), json=BODIES.get((method, path)),
                                headers=headers)
        assert_error(response, 401, "unauthorized")
        assert response.headers["WWW-Authenticate"].startswith("Bearer"), (method, path)


def test_the_openapi_document_needs_no_token(app):
    assert app.test_client().get("/api/v1/openapi.json").status_code == 200


def test_a_revoked_token_is_refused(app, session, officer, api):
    client = api(officer)
    assert client.get("/accounts").status_code == 200
    row = session.execute(select(ApiToken).where(ApiToken.user_id == officer.id)).scalar_one()
    row.revoked_at = dt.datetime.now(dt.timezone.utc)
    session.commit()
    for method, path in OPERATIONS:
        assert_error(call(client, method, path), 401, "unauthorized")


def test_a_deactivated_users_token_is_refused(session, officer, api):
    client = api(officer)
    assert client.get("/messages").status_code == 200
    officer.active = False
    session.commit()
    assert_error(client.get("/messages"), 401, "unauthorized")


def test_a_token_is_stored_only_as_its_hash(session, officer):
    token = accounts.create_token(session, officer, "laptop")
    row = session.execute(select(ApiToken).where(ApiToken.user_id == officer.id)).scalar_one()
    assert token not in (row.token_hash, row.prefix, row.name)
    assert len(row.token_hash) == 64 and token.startswith(row.prefix)


def test_each_role_is_refused_exactly_the_operations_it_may_not_call(session, api, officer, supervisor, admin,
                                                                      website_account, snapshot):
    clients = {"officer": api(officer), "supervisor": api(supervisor), "admin": api(admin)}
    # Written and submitted by the officer, so the officer may act on it as its author.
    message = drafts.create_draft(session, officer, {"body": "Road closed.", "accounts": [website_account.id]})
    review.submit(session, officer, message.id)
    for method, path in OPERATIONS:
        for role, client in clients.items():
            allowed = RESTRICTED.get((method, path), {"officer", "supervisor", "admin"})
            before = snapshot(message.id)
            response = call(client, method, path, message.id)
            if role in allowed:
                assert response.status_code not in (401, 403), (role, method, path, response.get_json())
            else:
                assert_error(response, 403, "forbidden")
                assert snapshot(message.id) == before, (role, method, path)
    # None of that left a half-made change: the audit chain still holds.
    from workflow.audit import chain as audit
    session.rollback()
    assert audit.verify_chain(session)[1] is None


def test_wrong_methods_answer_405_in_the_error_shape(api, officer):
    client = api(officer)
    for method, path in (("DELETE", "/messages"), ("PUT", "/messages/1"), ("GET", "/messages/1/approve"),
                         ("PATCH", "/accounts"), ("POST", "/openapi.json")):
        assert_error(client._call(method, path), 405, "method_not_allowed")


def test_unknown_paths_answer_404_in_the_error_shape(api, officer):
    client = api(officer)
    for path in ("/nothing", "/messages/abc", "/messages/-1", "/messages/1/explode", "/messages/1.5"):
        assert_error(client.get(path), 404, "not_found")
