"""No edit or correction while a version is being published, on SQLite and PostgreSQL.

While any delivery of the message is claimed by a worker, retrying, or of
unknown outcome, its verified words may go live at any moment: an edit would
void an approval that can no longer be stopped, and the message would claim
to await verification while the old words went out.
"""
from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.api.conftest import assert_error, conforms
from tests.conftest import make_account
from tests.console.conftest import sign_in
from workflow.delivery import leases as delivery
from workflow.delivery.models import Delivery
from workflow.messages.models import Decision, Message, MessageVersion

TEXT = "Road closed on the A1 after a collision. Please avoid the area."
M = "/messages/{message_id}"


@pytest.fixture
def approved(api, session, officer, supervisor, website_account):
    """An approved message on X and the website; returns its id and the X account's id."""
    x = make_account(session, "x", "Force X")
    author, reviewer = api(officer), api(supervisor)
    created = author.post("/messages", json={"body": TEXT, "accounts": [x.id, website_account.id]}).get_json()
    assert author.post(f"/messages/{created['id']}/submit").status_code == 200
    answer = reviewer.post(f"/messages/{created['id']}/approve", json={"version": 1})
    assert answer.status_code == 200, answer.get_json()
    x_id = x.id
    session.commit()  # on SQLite an open transaction would hold the write lock
    return created["id"], x_id


def x_delivery(session, message_id: int, account_id: int) -> Delivery:
    session.expire_all()
    return session.execute(select(Delivery).where(Delivery.message_id == message_id,
                                                  Delivery.account_id == account_id)).scalar_one()


def put_in_flight(session, runtime, message_id: int, account_id: int, state: str) -> Delivery:
    d = x_delivery(session, message_id, account_id)
    # A real claim, as a worker makes it; then the state the test needs.
    assert delivery.claim_delivery(session, d.id, "worker-a/task-1") is not None
    d = x_delivery(session, message_id, account_id)
    if state != "sending":
        d.state, d.lease_owner, d.lease_expires_at = state, None, None
    session.commit()  # on SQLite an open transaction would hold the write lock
    return d


def snapshot(session, message_id: int) -> tuple:
    session.expire_all()
    message = session.get(Message, message_id)
    versions = session.execute(select(MessageVersion.number).where(
        MessageVersion.message_id == message_id)).scalars().all()
    voided = session.execute(select(Decision.voided_at).where(Decision.message_id == message_id)).scalars().all()
    states = sorted(session.execute(select(Delivery.state).where(Delivery.message_id == message_id)).scalars())
    return message.status, message.current_version, versions, voided, states


@pytest.mark.parametrize("state", ["sending", "retrying", "unknown"])
def test_an_edit_while_a_post_is_in_flight_answers_409_and_changes_nothing(
        api, session, runtime, officer, supervisor, approved, state):
    message_id, x = approved
    put_in_flight(session, runtime, message_id, x, state)
    before = snapshot(session, message_id)

    for client in (api(officer), api(supervisor)):
        response = client.patch(f"/messages/{message_id}", json={"body": "Road reopened on the A1."})
        error = assert_error(response, 409, "publishing_in_progress")
        conforms(response, "PATCH", M)
        assert "being published" in error["message"] and "Force X" in error["message"]

    assert snapshot(session, message_id) == before
    assert x_delivery(session, message_id, x).state == state


def test_a_correction_while_a_post_is_in_flight_answers_409(api, session, runtime, officer, approved):
    message_id, x = approved
    web = session.execute(select(Delivery).where(Delivery.message_id == message_id,
                                                 Delivery.account_id != x)).scalar_one()
    web.state, web.remote_id = "sent", "live-page"
    session.commit()
    put_in_flight(session, runtime, message_id, x, "retrying")
    session.get(Message, message_id).status = "partially_published"
    session.commit()
    before = snapshot(session, message_id)

    response = api(officer).post(f"/messages/{message_id}/correct",
                                 json={"body": "Road reopened on the A1.", "change_note": "Reopened"})
    assert_error(response, 409, "publishing_in_progress")
    assert snapshot(session, message_id) == before


def test_once_every_post_has_settled_the_correction_path_applies(api, session, runtime, officer, approved):
    message_id, x = approved
    put_in_flight(session, runtime, message_id, x, "unknown")
    assert api(officer).patch(f"/messages/{message_id}", json={"body": "Later text."}).status_code == 409
    for d in session.execute(select(Delivery).where(Delivery.message_id == message_id)).scalars():
        d.state, d.remote_id, d.lease_owner = "sent", f"r{d.id}", None
    session.get(Message, message_id).status = "published"
    session.commit()

    edit = api(officer).patch(f"/messages/{message_id}", json={"body": "Later text."})
    assert_error(edit, 409, "invalid_state")  # live: a correction, not an edit
    corrected = api(officer).post(f"/messages/{message_id}/correct",
                                  json={"body": "Road reopened on the A1.", "change_note": "Reopened"})
    assert corrected.status_code == 200, corrected.get_json()
    assert corrected.get_json()["status"] == "awaiting_verification"


def test_a_pending_post_does_not_block_an_edit_and_is_cancelled(api, session, officer, approved):
    message_id, x = approved
    response = api(officer).patch(f"/messages/{message_id}", json={"body": "Road reopened on the A1."})
    assert response.status_code == 200, response.get_json()
    assert set(snapshot(session, message_id)[4]) == {"cancelled"}


def test_the_console_refuses_the_edit_and_says_why(app, session, runtime, officer, approved):
    message_id, x = approved
    console = sign_in(app, officer)
    put_in_flight(session, runtime, message_id, x, "sending")

    page = console.get(f"/messages/{message_id}/edit")
    assert "being published right now" in page.get_data(as_text=True)
    response = console.post(f"/messages/{message_id}/edit",
                            {"body": "Road reopened on the A1.", "accounts": [str(x)], "version": "1"})
    assert response.status_code == 409
    assert "being published right now" in response.get_data(as_text=True)
    assert session.get(Message, message_id).current_version == 1
