"""Signing in to the console without handing anyone a way to lock the desk out.

Two throttles, both kept in a `limits` storage (in memory on the embedded
default, in Redis when the broker is Redis, so that every web process shares
them):

- per client address: failed attempts (password or second factor) count
  against ``CRIER_LOGIN_RATE_LIMIT``; once it is spent, every sign-in from
  that address gets the same 429, whatever the username;
- per username, known or not: past ``CRIER_LOGIN_SLOW_AFTER`` recent failures
  each further attempt is slowed by a delay that doubles up to
  ``CRIER_LOGIN_MAX_DELAY`` seconds, and is then answered as usual. Nobody is
  ever refused because of someone else's failures on their account: the real
  user waits at most a few seconds.

An unknown username, a wrong password and a disabled account get the same
answer, after the same work; every failure is audited, never with the password.

Console sessions end when the user's ``session_generation`` moves on: sign-out,
a new password, a new role, disabling and a second-factor reset all bump it
(see :func:`workflow.accounts.end_sessions`). Sign-out therefore ends every
session of that user, not only the browser's own: a copied cookie is useless
at once, without a server-side session table to keep.
"""
from __future__ import annotations

import hashlib
import logging
import math
import time
from typing import Any, Callable

from limits import parse_many
from limits.storage import Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter
from sqlalchemy.orm import Session

from workflow.accounts import twofactor
from workflow.accounts import users as accounts
from workflow.accounts.models import User
from workflow.audit import chain as audit
from workflow.core.config import Settings
from workflow.core.errors import AuthenticationError, ThrottledError
from workflow.core.runtime import settings_of
from workflow.core.unit_of_work import transactional

log = logging.getLogger(__name__)

#: How long a username's failures are remembered, in seconds.
FAILURE_MEMORY = 900

#: The first slowed attempt waits this long; each further failure doubles it.
FIRST_DELAY = 0.5

#: The same words for every refused sign-in, whoever the username is.
WRONG_CREDENTIALS = "wrong username or password"

WRONG_CODE = "that code is not right"


def throttle_storage_url(settings: Settings) -> str:
    """Redis when the broker is Redis (shared by every web process), else memory."""
    if settings.broker_url.startswith(("redis://", "rediss://")):
        return settings.broker_url
    return "memory://"


class SignInThrottle:
    """Counts failed sign-ins by client address and by username."""

    def __init__(self, settings: Settings, storage: Storage | None = None,
                 sleep: Callable[[float], None] | None = None):
        self.storage = storage or storage_from_string(throttle_storage_url(settings))
        self.limiter = MovingWindowRateLimiter(self.storage)
        spec = settings.login_rate_limit.strip()
        self.address_limits = parse_many(spec) if spec else []
        self.slow_after = settings.login_slow_after
        self.max_delay = settings.login_max_delay
        self.sleep = sleep

    def _safely(self, what: str, call: Callable[[], Any], default: Any) -> Any:
        # A throttle that cannot reach its storage must not keep the desk out.
        try:
            return call()
        except Exception as exc:  # noqa: BLE001 - storage errors vary by backend
            log.warning("sign-in throttle: %s failed (%s); carrying on without it", what, exc)
            return default

    def check_address(self, address: str) -> None:
        """Raise :class:`ThrottledError` if ``address`` spent its failed attempts."""
        for limit in self.address_limits:
            if not self._safely("check", lambda: self.limiter.test(limit, "signin-address", address), True):
                reset = self._safely("stats", lambda: self.limiter.get_window_stats(
                    limit, "signin-address", address).reset_time, time.time() + 60)
                wait = max(1, math.ceil(reset - time.time()))
                error = ThrottledError(f"too many failed sign-ins from here; try again in {wait} seconds")
                error.retry_after = wait
                raise error

    def delay_for(self, key: str) -> float:
        """How long the next attempt for ``key`` (a username) is slowed, in seconds."""
        failures = self._safely("count", lambda: self.storage.get(_failure_key(key)), 0)
        if failures < self.slow_after:
            return 0.0
        return min(FIRST_DELAY * 2 ** min(failures - self.slow_after, 16), self.max_delay)

    def slow_down(self, key: str, session: Session | None = None) -> float:
        """Wait before checking an attempt for ``key``; returns the delay waited.

        The ``session``'s transaction is ended first: on SQLite it holds the
        write lock, which nobody else should wait for.
        """
        delay = self.delay_for(key)
        if delay > 0:
            if session is not None:
                session.rollback()
            (self.sleep or time.sleep)(delay)
        return delay

    def failed(self, address: str, key: str) -> None:
        """Count a failed attempt against ``address`` and ``key``."""
        for limit in self.address_limits:
            self._safely("hit", lambda limit=limit: self.limiter.hit(limit, "signin-address", address), True)
        self._safely("incr", lambda: self.storage.incr(_failure_key(key), FAILURE_MEMORY), 0)

    def succeeded(self, key: str) -> None:
        """Forget the failures of ``key`` after a good attempt."""
        self._safely("clear", lambda: self.storage.clear(_failure_key(key)), None)


def _failure_key(key: str) -> str:
    # Hashed: usernames typed by anyone never sit in Redis as they were typed.
    return "crier-signin-failures:" + hashlib.sha256(key.strip().lower().encode("utf-8")).hexdigest()


def throttle_of(session: Session) -> SignInThrottle:
    """The process's sign-in throttle, made on first use and shared by its sessions."""
    holder = session.info.setdefault("crier.signin", {})
    if "throttle" not in holder:
        holder["throttle"] = SignInThrottle(settings_of(session))
    return holder["throttle"]


def printable(text: str, limit: int = 80) -> str:
    """What someone typed, made safe to store: printable characters, bounded length."""
    return "".join(c for c in str(text)[: limit * 2] if c.isprintable())[:limit]


@transactional
def _audit_failure(session: Session, username: str, address: str, step: str) -> None:
    audit.record(session, None, "signin.failed", username=printable(username), address=printable(address, 64),
                 step=step)


def check_password(session: Session, username: str, password: str, address: str) -> User:
    """The first step of a console sign-in: the user whose password this is.

    Raises :class:`ThrottledError` (the same for every username) when the
    address has failed too often, and :class:`AuthenticationError` with the
    same message for an unknown user, a wrong password or a disabled account.
    """
    throttle = throttle_of(session)
    throttle.check_address(address)
    throttle.slow_down(username, session)
    try:
        user = accounts.authenticate(session, username, password)
    except AuthenticationError:
        throttle.failed(address, username)
        _audit_failure(session, username, address, "password")
        raise AuthenticationError(WRONG_CREDENTIALS) from None
    throttle.succeeded(username)
    return user


def check_second_factor(session: Session, user: User, code: str, address: str) -> str:
    """The second step: a TOTP code or an unused recovery code of ``user``.

    Returns ``"totp"`` or ``"recovery_code"``; failures are throttled and
    audited like wrong passwords.
    """
    key = f"second-factor:{user.id}"
    throttle = throttle_of(session)
    throttle.check_address(address)
    throttle.slow_down(key, session)
    used = twofactor.verify(session, user, code)
    if used is None:
        throttle.failed(address, key)
        _audit_failure(session, user.username, address, "second_factor")
        raise AuthenticationError(WRONG_CODE)
    throttle.succeeded(key)
    return used


@transactional
def sign_out(session: Session, user: User) -> None:
    """Sign ``user`` out of the console everywhere."""
    accounts.end_sessions(user)
    audit.record(session, user, "user.signed_out")
