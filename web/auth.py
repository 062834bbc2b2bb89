"""Who is asking: console sessions (Flask-Login) and API Bearer tokens."""
from __future__ import annotations

import functools
from typing import Callable

from flask import g, request
from flask_login import LoginManager, current_user

from workflow import accounts
from workflow.errors import AuthenticationError, PermissionDeniedError
from workflow.models import Role, User

from .context import db

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


@login_manager.user_loader
def _load_user(user_id: str):
    try:
        user = db().get(User, int(user_id))
    except (TypeError, ValueError):
        return None
    if user is None or not user.active:
        return None
    return SessionUser(user)


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
    g.api_user = accounts.user_for_token(db(), token.strip())
    return g.api_user


def api_roles(*roles: Role) -> Callable:
    """Decorate an API view: it needs a valid token, and one of ``roles`` if given."""

    def wrap(view: Callable) -> Callable:
        @functools.wraps(view)
        def inner(*args, **kwargs):
            user = api_user()
            if roles:
                accounts.require_role(user, *roles)
            return view(user, *args, **kwargs)

        return inner

    return wrap


def require_console_role(*roles: Role) -> None:
    """Raise unless the signed-in console user has one of ``roles``."""
    if not current_user.is_authenticated:
        raise AuthenticationError("please sign in")
    user = console_user()
    if user.role == Role.ADMIN or user.role in roles:
        return
    raise PermissionDeniedError("you do not have the role this needs")
