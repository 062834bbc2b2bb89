"""Fixtures for the publishing features: accounts and a recording dispatcher."""
from __future__ import annotations

import pytest

from tests.conftest import make_account
from tests.features.support import RecordingDispatcher


@pytest.fixture
def dispatcher(runtime, session):
    recorder = RecordingDispatcher()
    runtime.set_dispatcher(recorder)
    session.info["crier.dispatcher"] = recorder
    return recorder


@pytest.fixture
def accounts(session):
    """Force-wide X, Facebook and website accounts, and a North-area Facebook page."""
    return {
        "x": make_account(session, "x", "Force X"),
        "facebook": make_account(session, "facebook", "Force Facebook"),
        "website": make_account(session, "website", "Force website"),
        "north": make_account(session, "facebook", "North Facebook", area="North"),
    }
