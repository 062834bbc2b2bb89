"""Fixtures for the public website tests."""
from __future__ import annotations

import pytest

from tests.conftest import make_account


@pytest.fixture
def site_accounts(session):
    """The force website and the force's X account."""
    return {
        "website": make_account(session, "website", "Force website"),
        "x": make_account(session, "x", "Force X"),
    }


class PublicClient:
    """The app's test client; it ends the test session's transaction before each request,
    since on SQLite an open transaction holds the write lock the app would wait for."""

    def __init__(self, client, session):
        self.client = client
        self.session = session

    def get(self, *args, **kwargs):
        self.session.commit()
        return self.client.get(*args, **kwargs)

    def head(self, *args, **kwargs):
        self.session.commit()
        return self.client.head(*args, **kwargs)


@pytest.fixture
def client(app, session):
    return PublicClient(app.test_client(), session)
