"""People and access, effective at once: the admin API and the CLI, on SQLite and PostgreSQL."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from tests.api.conftest import assert_error, conforms
from tests.conftest import make_account
from tests.console.conftest import sign_in
from web.cli import cli
from workflow.accounts.models import ChannelAccount
from workflow.audit.models import AuditEvent
from workflow.delivery.models import Delivery
from workflow.messages import drafts, review


def test_only_admins_see_and_change_users(api, officer, supervisor, admin):
    for who in (officer, supervisor):
        assert_error(api(who).get("/users"), 403, "forbidden")
        assert_error(api(who).patch(f"/users/{officer.username}", json={"role": "admin"}), 403, "forbidden")
    listed = conforms(api(admin).get("/users"), "GET", "/users")
    assert {u["username"] for u in listed["users"]} == {"olivia", "sam", "ada"}
    assert all("password" not in json.dumps(u) for u in listed["users"])


def test_disabling_a_user_ends_their_tokens_and_sessions_at_once(app, api, session, officer, admin):
    console = sign_in(app, officer)
    theirs = api(officer)
    assert theirs.get("/accounts").status_code == 200
    changed = api(admin).patch("/users/olivia", json={"active": False})
    assert conforms(changed, "PATCH", "/users/{username}")["active"] is False
    assert_error(theirs.get("/accounts"), 401)
    assert console.get("/").status_code in (302, 401)
    actions = [e.action for e in session.execute(select(AuditEvent)).scalars()]
    assert "user.updated" in actions


def test_a_role_change_revokes_tokens_and_the_email_is_checked(api, session, officer, admin):
    theirs = api(officer)
    boss = api(admin)
    assert conforms(boss.patch("/users/olivia", json={"role": "supervisor"}), "PATCH",
                    "/users/{username}")["role"] == "supervisor"
    assert_error(theirs.get("/accounts"), 401)
    assert_error(boss.patch("/users/olivia", json={"email": "not an address"}), 422, field="email")
    assert boss.patch("/users/olivia", json={"email": "olivia@police.example"}).get_json()["email"] == \
        "olivia@police.example"
    assert_error(boss.patch("/users/olivia", json={"nickname": "liv"}), 422, field="nickname")
    assert_error(boss.patch("/users/nobody", json={"active": False}), 404)


def test_the_last_admin_cannot_be_disabled_or_demoted(api, admin):
    boss = api(admin)
    assert_error(boss.patch("/users/ada", json={"active": False}), 409)
    assert_error(boss.patch("/users/ada", json={"role": "officer"}), 409)


@pytest.fixture
def crier(app, runtime):
    runner = app.test_cli_runner()

    def run(*args: str, input: str | None = None):
        return runner.invoke(cli, args=list(args), input=input, catch_exceptions=False)

    return run


def test_user_commands(crier, session, api, admin):
    assert crier("user", "add", "omar", "--role", "officer", "--email", "omar@police.example",
                 input="a long enough password\n").exit_code == 0
    listed = crier("user", "list").output
    assert "omar\tofficer\tactive\tomar@police.example" in listed
    assert crier("user", "set-role", "omar", "supervisor").exit_code == 0
    assert crier("user", "set-email", "omar", "o.r@police.example").exit_code == 0
    assert crier("user", "disable", "omar").exit_code == 0
    assert "omar\tsupervisor\tdisabled\to.r@police.example" in crier("user", "list").output
    assert crier("user", "enable", "omar").exit_code == 0
    assert crier("user", "set-password", "omar", input="another long password\n").exit_code == 0
    assert crier("user", "set-password", "omar", input="short\n").exit_code != 0
    assert crier("user", "disable", "nobody").exit_code != 0
    assert crier("user", "disable", "ada").exit_code != 0  # the last admin


def test_token_commands(crier, api, officer):
    client = api(officer)
    listed = crier("token", "list", "olivia").output.strip().splitlines()
    assert len(listed) == 1
    token_id = listed[0].split("\t")[0]
    assert token_id.isdigit()
    assert client.headers["Authorization"].split()[1] not in crier("token", "list").output
    assert crier("token", "revoke", token_id).exit_code == 0
    assert_error(client.get("/accounts"), 401)
    assert "revoked" in crier("token", "list", "olivia").output
    assert crier("token", "revoke", "999999").exit_code != 0


def test_account_commands(crier, session, officer, supervisor):
    site = make_account(session, "website", "Force website")
    page = make_account(session, "facebook", "North Facebook", area="North")
    assert crier("account", "disable", str(page.id)).exit_code == 0
    assert f"{page.id}\tfacebook\tNorth Facebook\tNorth\tdisabled" in crier("account", "list").output
    assert crier("account", "enable", str(page.id)).exit_code == 0
    # Unsettled deliveries keep an account.
    m = drafts.create_draft(session, officer, {"body": "Road closed.", "accounts": [site.id, page.id]})
    review.submit(session, officer, m.id)
    review.approve(session, supervisor, m.id, 1)
    assert crier("account", "remove", str(page.id)).exit_code != 0
    for d in session.execute(select(Delivery)).scalars():
        d.state = "sent"
    session.commit()
    assert crier("account", "remove", str(page.id)).exit_code == 0
    assert "North Facebook" not in crier("account", "list").output
    assert crier("account", "remove", str(page.id)).exit_code != 0
    unused = make_account(session, "website", "Spare website").id
    session.commit()
    assert crier("account", "remove", str(unused)).exit_code == 0
    session.expire_all()
    assert session.get(ChannelAccount, unused) is None
