"""Console fixtures: a signed-in test client per user, and the three kinds of account."""
from __future__ import annotations

import re

import pytest

from tests.conftest import TEST_PASSWORD, make_account

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = CSRF_RE.search(html)
    assert found, "the page carries no CSRF token"
    return found.group(1)


class ConsoleClient:
    """A test client signed in to the console, that knows its CSRF token."""

    def __init__(self, client, token: str):
        self.client = client
        self.token = token

    def get(self, path: str, **kw):
        return self.client.get(path, **kw)

    def post(self, path: str, data: dict | None = None, **kw):
        form = {"csrf_token": self.token, **(data or {})}
        return self.client.post(path, data=form, **kw)

    def post_json(self, path: str, payload: dict, csrf: bool = True):
        headers = {"X-CSRFToken": self.token} if csrf else {}
        return self.client.post(path, json=payload, headers=headers)


def sign_in(app, user) -> ConsoleClient:
    client = app.test_client()
    token = csrf_of(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"csrf_token": token, "username": user.username,
                                           "password": TEST_PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)
    page = client.get("/").get_data(as_text=True)
    return ConsoleClient(client, csrf_of(page))


@pytest.fixture
def console(app):
    return lambda user: sign_in(app, user)


@pytest.fixture
def channel_accounts(session):
    """A force-wide X, Facebook and website account, and one X account of an area."""
    return {
        "x": make_account(session, "x", "Force X"),
        "facebook": make_account(session, "facebook", "Force Facebook"),
        "website": make_account(session, "website", "Force website"),
        "x_north": make_account(session, "x", "North X", area="North"),
    }
