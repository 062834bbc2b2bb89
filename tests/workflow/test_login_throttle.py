"""Login throttling: repeated failures lock an account for a while."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from tests.conftest import TEST_PASSWORD
from argon2 import PasswordHasher

from workflow import accounts, security
from workflow.errors import AuthenticationError, ThrottledError
from workflow.models import AuditEvent, User
from workflow.runtime import settings_of


@pytest.fixture(autouse=True)
def cheap_hashing(monkeypatch, session, officer, officer2):
    """Argon2 at its lowest cost: these tests are about counting, not hashing strength."""
    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(security, "_hasher", cheap)
    monkeypatch.setattr(security, "_DUMMY_HASH", cheap.hash("crier-no-such-user"))
    for user in (officer, officer2):
        user.password_hash = cheap.hash(TEST_PASSWORD)
    session.commit()


def fail(session, username: str, times: int) -> None:
    for _ in range(times):
        with pytest.raises(AuthenticationError):
            accounts.authenticate(session, username, "not the password")


def test_the_right_password_signs_in_and_a_wrong_one_does_not(session, officer):
    assert accounts.authenticate(session, "olivia", TEST_PASSWORD).id == officer.id
    fail(session, "olivia", 1)
    with pytest.raises(AuthenticationError):
        accounts.authenticate(session, "nobody", TEST_PASSWORD)


def test_repeated_failures_lock_the_account_even_for_the_right_password(session, officer):
    limit = settings_of(session).login_max_failures
    fail(session, "olivia", limit - 1)
    # One short of the limit: the right password still works...
    assert accounts.authenticate(session, "olivia", TEST_PASSWORD).id == officer.id
    fail(session, "olivia", limit)
    # ...but at the limit the account is locked, whatever the password.
    with pytest.raises(ThrottledError) as locked:
        accounts.authenticate(session, "olivia", TEST_PASSWORD)
    assert locked.value.status == 429
    assert "try again in" in locked.value.message
    with pytest.raises(ThrottledError):
        accounts.authenticate(session, "olivia", "not the password")
    user = session.get(User, officer.id)
    session.refresh(user)
    lock_seconds = settings_of(session).login_lock_seconds
    remaining = user.locked_until - dt.datetime.now(dt.timezone.utc)
    assert dt.timedelta(0) < remaining <= dt.timedelta(seconds=lock_seconds)
    locked_events = session.execute(
        select(AuditEvent).where(AuditEvent.action == "user.locked")).scalars().all()
    assert len(locked_events) == 1


def test_the_lock_ends_after_a_while_and_success_resets_the_count(session, officer):
    limit = settings_of(session).login_max_failures
    fail(session, "olivia", limit)
    with pytest.raises(ThrottledError):
        accounts.authenticate(session, "olivia", TEST_PASSWORD)

    # Let the lock run out (as if its time had passed).
    user = session.get(User, officer.id)
    user.locked_until = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=1)
    session.commit()
    assert accounts.authenticate(session, "olivia", TEST_PASSWORD).id == officer.id
    session.refresh(user)
    assert (user.failed_logins, user.locked_until) == (0, None)

    # A success in between resets the count: limit-1 failures twice do not lock.
    fail(session, "olivia", limit - 1)
    accounts.authenticate(session, "olivia", TEST_PASSWORD)
    fail(session, "olivia", limit - 1)
    assert accounts.authenticate(session, "olivia", TEST_PASSWORD).id == officer.id


def test_one_locked_account_does_not_lock_another(session, officer, officer2):
    fail(session, "olivia", settings_of(session).login_max_failures)
    with pytest.raises(ThrottledError):
        accounts.authenticate(session, "olivia", TEST_PASSWORD)
    assert accounts.authenticate(session, "oscar", TEST_PASSWORD).id == officer2.id


def test_a_deactivated_user_cannot_sign_in(session, officer):
    officer.active = False
    session.commit()
    with pytest.raises(AuthenticationError):
        accounts.authenticate(session, "olivia", TEST_PASSWORD)
