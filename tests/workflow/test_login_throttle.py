"""Sign-in throttling: by client address, and a bounded slowdown per username;
never a lock-out of the real user, and nothing that tells which usernames exist."""
from __future__ import annotations

import dataclasses
import uuid

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from tests.conftest import REDIS_URL, TEST_PASSWORD, _service_missing
from workflow.accounts import signin
from workflow.audit.chain import details_of
from workflow.audit.models import AuditEvent
from workflow.core import security
from workflow.core.config import Settings
from workflow.core.errors import AuthenticationError, ThrottledError
from workflow.core.runtime import settings_of


@pytest.fixture(autouse=True)
def cheap_hashing(monkeypatch, session, officer, officer2):
    """Argon2 at its lowest cost: these tests are about counting, not hashing strength."""
    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(security, "_hasher", cheap)
    monkeypatch.setattr(security, "_DUMMY_HASH", cheap.hash("crier-no-such-user"))
    for user in (officer, officer2):
        user.password_hash = cheap.hash(TEST_PASSWORD)
    session.commit()


@pytest.fixture
def waits(session):
    """The delays the throttle asked for, instead of sleeping them."""
    asked: list[float] = []
    throttle = signin.SignInThrottle(settings_of(session), sleep=asked.append)
    session.info["crier.signin"]["throttle"] = throttle
    return asked


def fail(session, username: str, times: int, address: str = "192.0.2.1") -> None:
    for _ in range(times):
        with pytest.raises(AuthenticationError) as refused:
            signin.check_password(session, username, "not the password", address)
        assert refused.value.message == signin.WRONG_CREDENTIALS


def test_the_right_password_signs_in_and_wrong_or_unknown_get_the_same_answer(session, officer, waits):
    assert signin.check_password(session, "olivia", TEST_PASSWORD, "192.0.2.1").id == officer.id
    answers = []
    for username, password in (("olivia", "not the password"), ("nobody", TEST_PASSWORD)):
        with pytest.raises(AuthenticationError) as refused:
            signin.check_password(session, username, password, "192.0.2.1")
        answers.append((refused.value.status, refused.value.code, refused.value.message))
    assert answers[0] == answers[1] == (401, "unauthorized", "wrong username or password")


def test_many_failures_never_lock_the_real_user_out(session, officer, waits):
    slow_after = settings_of(session).login_slow_after
    max_delay = settings_of(session).login_max_delay
    # Far more failures than any lock-out would allow, from many addresses.
    for i in range(40):
        fail(session, "olivia", 1, address=f"198.51.100.{i}")
    assert len(waits) == 40 - slow_after
    assert waits == sorted(waits) and 0 < waits[0] and max(waits) <= max_delay
    # The right password still works at once after a short, bounded wait...
    assert signin.check_password(session, "olivia", TEST_PASSWORD, "203.0.113.9").id == officer.id
    assert waits[-1] <= max_delay
    # ...and a success forgets the failures: no wait next time.
    before = len(waits)
    assert signin.check_password(session, "olivia", TEST_PASSWORD, "203.0.113.9").id == officer.id
    assert len(waits) == before


def test_an_unknown_username_is_slowed_exactly_like_a_real_one(session, officer, waits):
    fail(session, "olivia", 12, address="198.51.100.1")
    real = list(waits)
    waits.clear()
    fail(session, "nobody-here", 12, address="198.51.100.2")
    assert waits == real and real


def test_an_address_that_fails_too_often_is_refused_the_same_way_for_every_username(session, officer, officer2):
    settings = dataclasses.replace(settings_of(session), login_rate_limit="3/minute")
    session.info["crier.signin"]["throttle"] = signin.SignInThrottle(settings, sleep=lambda _s: None)
    fail(session, "olivia", 3, address="192.0.2.7")
    answers = set()
    for username, password in (("olivia", TEST_PASSWORD), ("oscar", TEST_PASSWORD), ("nobody", "whatever")):
        with pytest.raises(ThrottledError) as refused:
            signin.check_password(session, username, password, "192.0.2.7")
        answers.add((refused.value.status, refused.value.message.split("; try again")[0]))
        assert 1 <= refused.value.retry_after <= 60
    assert answers == {(429, "too many failed sign-ins from here")}
    # Another address, and so the real user at their own desk, is not affected.
    assert signin.check_password(session, "olivia", TEST_PASSWORD, "192.0.2.8").id == officer.id


def test_failed_sign_ins_are_audited_without_the_password(session, officer, waits):
    fail(session, "olivia", 1, address="192.0.2.44")
    with pytest.raises(AuthenticationError):
        signin.check_password(session, "no\x00body" + "x" * 500, "hunter2-secret", "192.0.2.44")
    events = session.execute(select(AuditEvent).where(AuditEvent.action == "signin.failed")
                             .order_by(AuditEvent.id)).scalars().all()
    assert [details_of(e)["username"] for e in events] == ["olivia", ("nobody" + "x" * 500)[:80]]
    assert all(details_of(e)["address"] == "192.0.2.44" and details_of(e)["step"] == "password" for e in events)
    assert not any("not the password" in e.details or "hunter2" in e.details for e in events)


def test_a_deactivated_user_gets_the_same_answer_as_a_wrong_password(session, officer, waits):
    officer.active = False
    session.commit()
    with pytest.raises(AuthenticationError) as refused:
        signin.check_password(session, "olivia", TEST_PASSWORD, "192.0.2.1")
    assert refused.value.message == signin.WRONG_CREDENTIALS


def test_a_throttle_whose_storage_fails_lets_sign_in_go_on(session, officer, waits):
    throttle = session.info["crier.signin"]["throttle"]

    class Broken:
        def __getattr__(self, name):
            def boom(*_a, **_k):
                raise ConnectionError("storage down")
            return boom

    throttle.storage = Broken()
    throttle.limiter.storage = Broken()
    fail(session, "olivia", 2)
    assert signin.check_password(session, "olivia", TEST_PASSWORD, "192.0.2.1").id == officer.id


def test_the_storage_is_redis_when_the_broker_is_redis_and_memory_otherwise():
    base = {"DATABASE_URL": "sqlite://", "SECRET_KEY": "k"}
    assert signin.throttle_storage_url(Settings.from_mapping({**base, "BROKER_URL": "filesystem://"})) == "memory://"
    assert signin.throttle_storage_url(
        Settings.from_mapping({**base, "BROKER_URL": "redis://127.0.0.1:6379/3"})) == "redis://127.0.0.1:6379/3"


def test_a_bad_rate_limit_setting_is_refused_at_start():
    with pytest.raises(ValueError, match="CRIER_LOGIN_RATE_LIMIT"):
        Settings.from_mapping({"DATABASE_URL": "sqlite://", "SECRET_KEY": "k", "BROKER_URL": "memory://",
                               "LOGIN_RATE_LIMIT": "lots"})


@pytest.mark.redis
def test_web_processes_share_the_counts_through_redis():
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        _service_missing("Redis", exc)
    settings = Settings.from_mapping({"DATABASE_URL": "sqlite://", "SECRET_KEY": "k", "BROKER_URL": REDIS_URL,
                                      "LOGIN_RATE_LIMIT": "2/minute"})
    one, two = signin.SignInThrottle(settings), signin.SignInThrottle(settings)
    address, username = f"192.0.2.{uuid.uuid4().int % 250}-{uuid.uuid4().hex}", uuid.uuid4().hex
    one.failed(address, username)
    two.failed(address, username)
    with pytest.raises(ThrottledError):
        one.check_address(address)
    for _ in range(settings.login_slow_after):
        one.failed("elsewhere-" + address, username)
    assert two.delay_for(username) > 0
    two.succeeded(username)
    assert one.delay_for(username) == 0
