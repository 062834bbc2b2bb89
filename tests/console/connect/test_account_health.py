"""Account health: recorded from real posts and checks against the simulators, shown in the
console and the API, "reconnect needed" set by a 401 and cleared by signing in again; and the
admin's edits of area, exercise flag and access."""
from __future__ import annotations

import json

import pytest
from markupsafe import escape

from tests.api.conftest import assert_error
from tests.conftest import make_account, make_user
from tests.console.conftest import sign_in
from tests.console.connect.support import connect_x, fresh
from tests.features.support import approved, deliveries
from workflow.accounts.models import ChannelAccount
from workflow.audit.models import AuditEvent
from workflow.core.database import utcnow
from workflow.delivery.send import deliver


@pytest.fixture
def desk(session):
    return {"officer": make_user(session, "olivia", "officer"), "supervisor": make_user(session, "sam", "supervisor")}


def post_to(runtime, session, desk, account_id: int, body: str):
    """A message approved for the account and sent by this process to the simulator: its delivery."""
    message = approved(session, desk["officer"], desk["supervisor"], [account_id], utcnow(), body=body)
    message_id = message.id
    [delivery_id] = [d.id for d in deliveries(session, message_id)]
    session.rollback()
    deliver(runtime, delivery_id, owner="health-test/1")
    [delivery] = deliveries(session, message_id)
    session.expunge(delivery)
    session.rollback()
    return delivery


def the_account(session, account_id: int) -> ChannelAccount:
    [account] = fresh(session, ChannelAccount, id=account_id)
    return account


def test_a_401_on_a_post_needs_a_reconnect_and_signing_in_again_clears_it(app, runtime, session, admin, desk, x_sim,
                                                                          api):
    console = sign_in(app, admin)
    connect_x(console, x_sim, "health_beat")
    [account] = fresh(session, ChannelAccount, kind="x")
    connected_at = account.last_success_at

    sent = post_to(runtime, session, desk, account.id, "Road closed on Mill Lane until further notice.")
    assert sent.state == "sent"
    after_post = the_account(session, account.id)
    assert after_post.last_success_at > connected_at and after_post.last_error_at is None

    assert x_sim.revoke("health_beat")  # the account holder withdrew Crier's access at X
    failed = post_to(runtime, session, desk, account.id, "Mill Lane has reopened to traffic.")
    assert failed.state == "failed"
    broken = the_account(session, account.id)
    assert broken.reconnect_needed and broken.status == "reconnect"
    assert broken.last_error_at is not None and "Reconnect the account" in broken.last_error
    assert broken.last_success_at == after_post.last_success_at

    [shown] = [a for a in api(admin).get("/accounts").get_json()["accounts"] if a["id"] == account.id]
    assert shown["health"]["reconnect_needed"] is True
    assert shown["health"]["last_error"] == broken.last_error
    assert shown["health"]["last_error_at"] and shown["health"]["last_success_at"]
    page = console.get("/accounts").get_data(as_text=True)
    assert "reconnect needed" in page and str(escape(broken.last_error)) in page
    home = console.get("/").get_data(as_text=True)
    assert "must be reconnected" in home and f'href="/accounts#account-{account.id}"' in home

    # Disabling and enabling does not hide it: only new credentials do.
    assert console.post(f"/accounts/{account.id}", {"enabled": "no"}).status_code == 302
    assert console.post(f"/accounts/{account.id}", {"enabled": "yes"}).status_code == 302
    assert the_account(session, account.id).status == "reconnect"

    answer = connect_x(console, x_sim, "health_beat", {"account": str(account.id)})
    assert answer.status_code == 302
    fixed = the_account(session, account.id)
    assert not fixed.reconnect_needed and fixed.status == "active" and fixed.status_reason is None
    [shown] = [a for a in api(admin).get("/accounts").get_json()["accounts"] if a["id"] == account.id]
    assert shown["health"]["reconnect_needed"] is False
    assert post_to(runtime, session, desk, account.id, "Mill Lane is open again.").state == "sent"


def test_a_check_records_health_and_a_refused_check_needs_a_reconnect(app, session, admin, x_sim):
    console = sign_in(app, admin)
    connect_x(console, x_sim, "checked_beat")
    [account] = fresh(session, ChannelAccount, kind="x")
    answer = console.post(f"/accounts/{account.id}/check", follow_redirects=True)
    assert "accepted its credentials" in answer.get_data(as_text=True)
    assert the_account(session, account.id).last_success_at > account.last_success_at
    x_sim.revoke("checked_beat")
    answer = console.post(f"/accounts/{account.id}/check", follow_redirects=True)
    assert "refused the check" in answer.get_data(as_text=True)
    refused = the_account(session, account.id)
    assert refused.reconnect_needed and refused.last_error_at is not None
    events = [json.loads(e.details) for e in fresh(session, AuditEvent, action="account.checked")]
    assert [e["ok"] for e in sorted(events, key=lambda e: "error" in e)] == [True, False]


def test_an_admin_sets_area_and_exercise_flag_from_the_console(app, session, admin):
    account = make_account(session, "website", "Force website")
    console = sign_in(app, admin)
    assert console.post(f"/accounts/{account.id}/settings", {"area": "West", "exercise": "yes"}).status_code == 302
    changed = the_account(session, account.id)
    assert (changed.area, changed.exercise) == ("West", True)
    assert console.post(f"/accounts/{account.id}/settings", {"area": ""}).status_code == 302
    changed = the_account(session, account.id)
    assert (changed.area, changed.exercise) == (None, False)
    assert len(fresh(session, AuditEvent, action="account.updated")) == 2
    too_long = console.post(f"/accounts/{account.id}/settings", {"area": "x" * 121})
    assert too_long.status_code == 422 and "up to 120" in too_long.get_data(as_text=True)


def test_the_exercise_flag_stays_while_a_post_is_unsettled(app, session, admin, desk):
    account = make_account(session, "website", "Force website")
    approved(session, desk["officer"], desk["supervisor"], [account.id], utcnow(), body="Appeal for witnesses.")
    session.rollback()
    console = sign_in(app, admin)
    answer = console.post(f"/accounts/{account.id}/settings", {"area": "", "exercise": "yes"})
    assert answer.status_code == 409 and "unsettled" in answer.get_data(as_text=True)
    assert the_account(session, account.id).exercise is False


def test_only_admins_change_accounts(app, session, desk, api):
    account = make_account(session, "website", "Force website")
    for person in desk.values():
        console = sign_in(app, person)
        assert console.post(f"/accounts/{account.id}/settings", {"area": "West"}).status_code == 403
        assert console.post(f"/accounts/{account.id}/check").status_code == 403
    shown = api(desk["officer"]).get("/accounts").get_json()["accounts"][0]
    assert shown["health"] == {"last_success_at": None, "last_error_at": None, "last_error": None,
                               "reconnect_needed": False}
    assert_error(api(None).get("/accounts"), 401)
