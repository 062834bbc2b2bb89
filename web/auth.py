"""Who is asking: console sessions (Flask-Login) and API Bearer tokens.

A console session holds the user's ``session_generation`` when it began, the
time it began and the time of its last request. It ends as soon as the
generation moves on (sign-out anywhere, new password or role, disabled,
second factor reset), after ``CRIER_SESSION_IDLE_TIMEOUT`` seconds without a
request and ``CRIER_SESSION_LIFETIME`` seconds after sign-in.
"""
from __future__ import annotations

import functools
import time
from typing import Callable

from flask import Flask, g, has_request_context, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_login import LoginManager, current_user, login_user

from workflow.accounts import policy, twofactor
from workflow.accounts import tokens as accounts_tokens
from workflow.accounts.models import User
from workflow.accounts.policy import Action
from workflow.core.errors import AuthenticationError

from .context import db, runtime

login_manager = LoginManager()
login_manager.login_view = "console.login"
login_manager.login_message = "Please sign in to use Crier."
login_manager.session_protection = "strong"


class SessionUser:
    """Wraps a :class:`User` for Flask-Login without leaking ORM state across requests."""

    def __init__(self, user: User):
        self.user = user
        self.id = user.id
        self.is_authenticated = True
        self.is_active = user.active
        self.is_anonymous = False

    def get_id(self) -> str:
        return str(self.id)

    def __getattr__(self, name: str):
        return getattr(self.user, name)


#: Keys of Crier's own in the signed session cookie.
GENERATION, SIGNED_IN_AT, SEEN_AT = "crier_generation", "crier_signed_in_at", "crier_seen_at"
SECOND_FACTOR = "crier_second_factor"


def start_console_session(user: User, second_factor: bool = False) -> None:
    """Sign ``user`` in to the console: a fresh session stamped with their
    generation, and whether they gave a second factor."""
    session.clear()
    login_user(SessionUser(user))
    now = int(time.time())
    session[GENERATION] = user.session_generation or 0
    session[SIGNED_IN_AT] = now
    session[SEEN_AT] = now
    session[SECOND_FACTOR] = bool(second_factor)


def _session_alive(user: User) -> bool:
    settings = current_settings()
    now = time.time()
    try:
        generation, signed_in, seen = int(session[GENERATION]), float(session[SIGNED_IN_AT]), float(session[SEEN_AT])
    except (KeyError, TypeError, ValueError):
        return False
    if twofactor.required_for(settings, user) and session.get(SECOND_FACTOR) is not True:
        return False  # e.g. signed in before the setting was turned on
    return (generation == (user.session_generation or 0)
            and now - signed_in <= settings.session_lifetime
            and now - seen <= settings.session_idle_timeout)


def _is_background_poll() -> bool:
    # The status page polls by itself: that is not someone at the desk.
    return request.method == "GET" and request.path.endswith(".json")


@login_manager.user_loader
def _load_user(user_id: str):
    try:
        user = db().get(User, int(user_id))
    except (TypeError, ValueError):
        return None
    if user is None or not user.active or not _session_alive(user):
        session.clear()
        return None
    if not _is_background_poll():
        now = int(time.time())
        if now != session.get(SEEN_AT):
            session[SEEN_AT] = now
    return SessionUser(user)


def current_settings():
    return runtime().settings


class ConsoleSessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie, marked Secure whenever the request came over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(super().get_cookie_secure(app) or (has_request_context() and request.is_secure))


def console_user() -> User:
    """The signed-in console user (an ORM row of the request's session)."""
    return current_user.user


def api_user() -> User:
    """The user of the request's Bearer token."""
    if "api_user" in g:
        return g.api_user
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationError("send an API token as 'Authorization: Bearer <token>'")
    g.api_user = accounts_tokens.user_for_token(db(), token.strip())
    return g.api_user


def api_may(action: Action) -> Callable:
    """Decorate an API view: it needs a valid token whose user may do ``action`` (see workflow.accounts.policy)."""

    def wrap(view: Callable) -> Callable:
        @functools.wraps(view)
        def inner(*args, **kwargs):
            user = api_user()
            policy.require(user, action)
            return view(user, *args, **kwargs)

        return inner

    return wrap


def require_console(action: Action) -> User:
    """The signed-in console user; raise unless they may do ``action``."""
    if not current_user.is_authenticated:
        raise AuthenticationError("please sign in")
    user = console_user()
    policy.require(user, action)
    return user
