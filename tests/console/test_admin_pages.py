"""Admin console pages for people and channel accounts: admins only, effective at once."""
from __future__ import annotations

from tests.api.conftest import assert_error
from tests.console.conftest import sign_in
from workflow.accounts.models import ChannelAccount, User
from workflow.audit.models import AuditEvent


def test_only_admins_reach_the_admin_pages(app, officer, supervisor):
    for person in (officer, supervisor):
        console = sign_in(app, person)
        assert console.get("/users").status_code == 403
        assert console.get("/accounts").status_code == 403
        assert console.post("/users/olivia", {"role": "admin", "active": "yes"}).status_code == 403


def test_an_admin_changes_a_role_and_the_persons_token_stops_at_once(app, api, session, officer, admin):
    theirs = api(officer)
    console = sign_in(app, admin)
    page = console.get("/users").get_data(as_text=True)
    assert "olivia" in page and "ada" in page
    response = console.post("/users/olivia", {"role": "supervisor", "active": "yes",
                                              "email": "olivia@police.example"})
    assert response.status_code == 302
    session.expire_all()
    person = session.query(User).filter_by(username="olivia").one()
    assert (person.role, person.email) == ("supervisor", "olivia@police.example")
    session.rollback()  # on SQLite an open read holds the write lock
    assert_error(theirs.get("/accounts"), 401)
    assert session.query(AuditEvent).filter_by(action="user.updated").count() == 1


def test_the_last_admin_is_kept_and_the_page_says_why(app, admin):
    console = sign_in(app, admin)
    response = console.post("/users/ada", {"role": "admin", "active": "no"})
    assert response.status_code == 409
    assert "last active admin" in response.get_data(as_text=True)


def test_an_admin_disables_and_enables_an_account(app, session, admin, channel_accounts):
    page_id = channel_accounts["facebook"].id
    session.commit()
    console = sign_in(app, admin)
    assert "Force Facebook" in console.get("/accounts").get_data(as_text=True)
    assert console.post(f"/accounts/{page_id}", {"enabled": "no"}).status_code == 302
    session.expire_all()
    assert session.get(ChannelAccount, page_id).status == "disabled"
    session.rollback()  # on SQLite an open read holds the write lock
    assert console.post(f"/accounts/{page_id}", {"enabled": "yes"}).status_code == 302
    session.expire_all()
    assert session.get(ChannelAccount, page_id).status == "active"
