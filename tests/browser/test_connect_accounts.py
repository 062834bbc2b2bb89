"""An admin connects an X account by signing in with X and Facebook pages by Facebook Login, in
Chromium, through the live simulators' own sign-in pages; the pages Crier shows pass axe."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.conftest import make_user
from workflow.accounts.models import ChannelAccount


@pytest.fixture
def server_settings(simulators) -> dict:
    """The simulators' apps as Crier's X and Facebook apps."""
    return {"X_CONSUMER_KEY": simulators["x"].state.consumer_key,
            "X_CONSUMER_SECRET": simulators["x"].state.consumer_secret,
            "FACEBOOK_APP_ID": simulators["graph"].login.app_id,
            "FACEBOOK_APP_SECRET": simulators["graph"].login.app_secret}


@pytest.fixture
def admin(server):
    return make_user(server["session"], "ada", "admin")


def accounts_of(server, kind: str) -> list[ChannelAccount]:
    session = server["session"]
    session.expire_all()
    rows = list(session.execute(select(ChannelAccount).where(ChannelAccount.kind == kind)).scalars())
    session.rollback()
    return rows


def test_an_admin_signs_in_with_x_to_connect_an_account(server, admin, sign_in, audit_a11y):
    page = sign_in(admin)
    page.goto("/accounts")
    audit_a11y(page, "accounts page")
    page.get_by_label("Area (leave empty for force-wide)").first.fill("North")
    page.get_by_role("button", name="Sign in with X").click()
    page.wait_for_url(re.compile(re.escape(server["x"].url) + r"/oauth/authorize\?oauth_token="))
    expect(page.get_by_role("heading", name=re.compile("Authorize Crier"))).to_be_visible()
    page.get_by_label("Username").fill("browser_beat")
    page.get_by_role("button", name="Authorize app").click()
    page.wait_for_url(re.compile(r"/accounts$"))
    expect(page.get_by_text("@browser_beat is connected")).to_be_visible()
    expect(page.get_by_role("cell", name="@browser_beat", exact=True)).to_be_visible()
    [account] = accounts_of(server, "x")
    assert (account.name, account.area, account.settings["username"]) == ("@browser_beat", "North", "browser_beat")
    audit_a11y(page, "accounts page with the new account")


def test_cancelling_at_x_in_the_browser_connects_nothing(server, admin, sign_in):
    page = sign_in(admin)
    page.goto("/accounts")
    page.get_by_role("button", name="Sign in with X").click()
    page.wait_for_url(re.compile(re.escape(server["x"].url) + "/oauth/authorize"))
    page.get_by_role("button", name="Cancel").click()
    page.wait_for_url(re.compile(r"/accounts$"))
    expect(page.get_by_text("cancelled: nothing was connected")).to_be_visible()
    assert accounts_of(server, "x") == []


def test_an_admin_connects_facebook_pages_and_picks_which(server, admin, sign_in, audit_a11y):
    graph = server["graph"]
    north = graph.state.add_page("North Police Page")
    graph.state.add_page("South Police Page")
    page = sign_in(admin)
    page.goto("/accounts")
    page.get_by_label("Area of the new pages (leave empty for force-wide)").fill("North")
    page.get_by_role("button", name="Log in with Facebook").click()
    page.wait_for_url(re.compile(re.escape(graph.url) + r"/v21\.0/dialog/oauth\?"))
    expect(page.get_by_role("heading", name=re.compile("requesting access to your Pages"))).to_be_visible()
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(re.compile(r"/accounts/connect/facebook/\d+$"))
    expect(page.get_by_role("heading", name="Choose Facebook pages")).to_be_visible()
    audit_a11y(page, "page picker")
    page.get_by_label("South Police Page").uncheck()
    page.get_by_role("button", name="Connect the chosen pages").click()
    page.wait_for_url(re.compile(r"/accounts$"))
    expect(page.get_by_text("Connected: North Police Page.")).to_be_visible()
    [account] = accounts_of(server, "facebook")
    assert (account.name, account.area, account.settings["page_id"]) == ("North Police Page", "North",
                                                                          north.page_id)
