"""A supervisor sets up the second factor in Chromium at the first sign-in, and
signs in with a code the next time; every page of it passes axe."""
from __future__ import annotations

import re
import time

import pyotp
import pytest
from playwright.sync_api import expect

from tests.conftest import TEST_PASSWORD
from workflow.accounts.models import User

from .conftest import WAIT_MS


@pytest.fixture
def server_settings() -> dict:
    return {"REQUIRE_2FA": True}


def _fresh_code(server, user_id: int, secret: str) -> str:
    session = server["session"]
    session.expire_all()
    last = session.get(User, user_id).totp_last_step or 0
    session.rollback()
    totp = pyotp.TOTP(secret)
    return totp.generate_otp(max(last + 1, totp.timecode(time.time())))


def _password_step(page, username: str) -> None:
    page.goto("/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_a_supervisor_enrols_then_signs_in_with_a_code(server, users, browser, audit_a11y):
    supervisor = users["supervisor"]
    context = browser.new_context(base_url=server["url"], locale="en-GB", timezone_id="Europe/London")
    context.set_default_timeout(WAIT_MS)
    try:
        page = context.new_page()
        _password_step(page, supervisor.username)
        page.wait_for_url(re.compile(r"/login/enrol$"))
        expect(page.get_by_role("img", name="QR code to add Crier to your authenticator app")).to_be_visible()
        audit_a11y(page, "enrol")
        secret = page.locator("#totp-secret").inner_text().strip()

        page.get_by_label("Code from your app").fill("000000" if pyotp.TOTP(secret).now() != "000000" else "111111")
        page.get_by_role("button", name="Turn on and sign in").click()
        expect(page.get_by_role("alert")).to_contain_text("That code is not right")
        audit_a11y(page, "enrol with an error")

        page.get_by_label("Code from your app").fill(pyotp.TOTP(secret).now())
        page.get_by_role("button", name="Turn on and sign in").click()
        expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
        codes = page.get_by_role("list", name="Recovery codes").get_by_role("listitem")
        expect(codes).to_have_count(10)
        audit_a11y(page, "recovery codes")
        page.get_by_role("link", name=re.compile("continue to Crier")).click()
        page.wait_for_url(re.compile(r"/$"))
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()
        page.get_by_role("button", name="Sign out").click()
        page.wait_for_url(re.compile(r"/login$"))

        _password_step(page, supervisor.username)
        page.wait_for_url(re.compile(r"/login/code$"))
        audit_a11y(page, "second factor")
        page.get_by_label("Code").fill(_fresh_code(server, supervisor.id, secret))
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(re.compile(r"/$"))
        expect(page.get_by_role("heading", name="Waiting for verification")).to_be_visible()
    finally:
        context.close()
