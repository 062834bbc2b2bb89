"""Users: roles, passwords, sign-in checks, e-mail addresses, and the admin
services that change them (ending their sessions when they must)."""
from __future__ import annotations

import re
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy import func, inspect, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workflow.accounts import policy
from workflow.accounts.models import ApiToken, Role, User
from workflow.accounts.policy import Action
from workflow.audit import chain as audit
from workflow.core.database import utcnow
from workflow.core.errors import AuthenticationError, ConflictError, NotFoundError, ValidationError
from workflow.core.security import hash_password, password_needs_rehash, verify_password
from workflow.core.unit_of_work import transactional

USERNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$")

MIN_PASSWORD = 10


@transactional
def create_user(session: Session, username: str, password: str, role: str,
                display_name: str = "", actor: User | None = None) -> User:
    """Add a user with an argon2-hashed password."""
    if not isinstance(username, str) or not USERNAME_RE.match(username):
        raise ValidationError("a username is 1-80 letters, digits, dots, dashes or underscores",
                              field="username")
    try:
        role_value = Role(role)
    except ValueError:
        raise ValidationError("role must be officer, supervisor or admin", field="role") from None
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise ValidationError(f"a password needs at least {MIN_PASSWORD} characters", field="password")
    user = User(username=username, role=role_value, display_name=display_name or username,
                password_hash=hash_password(password))
    session.add(user)
    try:
        session.flush()
    except IntegrityError:
        raise ConflictError(f"a user called {username!r} already exists", field="username") from None
    audit.record(session, actor, "user.created", username=username, role=role_value)
    return user


def get_user(session: Session, username: str) -> User:
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        raise NotFoundError(f"no user called {username!r}")
    return user


@transactional
def authenticate(session: Session, username: str, password: str) -> User:
    """Check a password; the same error, after the same work, for an unknown
    user, a wrong password and a disabled account. Nothing is ever locked:
    throttling lives in :mod:`workflow.signin`."""
    user = None
    if isinstance(username, str) and USERNAME_RE.match(username):
        # Anything else (NUL bytes, 10 kB of text) names nobody and never reaches the database.
        user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    ok = verify_password(user.password_hash if user else None, password)
    if user is None or not ok or not user.active:
        raise AuthenticationError("wrong username or password")
    if password_needs_rehash(user.password_hash):
        # The same password under stronger parameters: not a password change,
        # so written past the flush hook and the user's sessions live on.
        session.execute(update(User).where(User.id == user.id).values(password_hash=hash_password(password)))
        session.refresh(user)
    return user


def end_sessions(user: User) -> None:
    """End every console session of ``user``: they must sign in again."""
    user.session_generation = (user.session_generation or 0) + 1


#: Changing any of these ends the user's console sessions, whoever changes it.
SESSION_ENDING = ("password_hash", "role", "active")


@sa_event.listens_for(Session, "before_flush")
def _end_sessions_on_change(session: Session, _context: Any, _instances: Any) -> None:
    for obj in session.dirty:
        if not isinstance(obj, User):
            continue
        state = inspect(obj)
        if state.attrs.session_generation.history.has_changes():
            continue  # already ended by whoever changed it
        for name in SESSION_ENDING:
            history = state.attrs[name].history
            if history.added and list(history.added) != list(history.deleted or []):
                end_sessions(obj)
                break


EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[A-Za-z0-9.-]{1,189}\.[A-Za-z]{2,63}$")


def list_users(session: Session) -> list[User]:
    """Every user, by username."""
    return list(session.execute(select(User).order_by(User.username)).scalars())


def check_email(value: Any) -> str | None:
    """A plausible email address, or None for none; refused with the field named otherwise."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > 254 or not EMAIL_RE.match(value.strip()):
        raise ValidationError("email must be an address such as name@police.example", field="email")
    return value.strip()


def revoke_tokens(session: Session, user: User) -> int:
    now = utcnow()
    rows = session.execute(select(ApiToken).where(ApiToken.user_id == user.id,
                                                  ApiToken.revoked_at.is_(None))).scalars().all()
    for row in rows:
        row.revoked_at = now
    return len(rows)


def _other_active_admins(session: Session, user: User) -> int:
    return session.execute(select(func.count()).select_from(User).where(
        User.role == Role.ADMIN, User.active.is_(True), User.id != user.id)).scalar_one()


@transactional
def update_user(session: Session, actor: User | None, username: str, *, role: Any = None,
                active: Any = None, email: Any = ...) -> User:
    """Change a user's role, access or email, effective at once; audited.

    Disabling a user or changing their role ends their console sessions and
    revokes their API tokens. The last active admin cannot be disabled or
    demoted.
    """
    policy.require_operator(actor, Action.ADMINISTER)
    user = get_user(session, username)
    changes: dict[str, Any] = {}
    if role is not None:
        try:
            role_value = Role(role)
        except ValueError:
            raise ValidationError("role must be officer, supervisor or admin", field="role") from None
        if role_value != str(user.role):
            changes["role"] = (str(user.role), role_value)
    if active is not None:
        if not isinstance(active, bool):
            raise ValidationError("active must be true or false", field="active")
        if active != bool(user.active):
            changes["active"] = (bool(user.active), active)
    if email is not ...:
        new_email = check_email(email)
        if new_email != user.email:
            changes["email"] = (user.email, new_email)
    losing_admin = str(user.role) == Role.ADMIN and user.active and (
        ("role" in changes) or changes.get("active", (None, True))[1] is False)
    if losing_admin and _other_active_admins(session, user) == 0:
        raise ConflictError("this is the last active admin: make someone else an admin first",
                            field="role" if "role" in changes else "active")
    if "role" in changes:
        user.role = changes["role"][1]
    if "active" in changes:
        user.active = changes["active"][1]
    if "email" in changes:
        user.email = changes["email"][1]
    revoked = revoke_tokens(session, user) if ("role" in changes or "active" in changes) else 0
    if changes:
        audit.record(session, actor, "user.updated", username=user.username, revoked_tokens=revoked,
                     **{k: {"from": v[0], "to": v[1]} for k, v in changes.items()})
    return user


@transactional
def set_password(session: Session, actor: User | None, username: str, password: Any) -> User:
    """A new password (argon2); the user's console sessions end. Audited, never logged."""
    policy.require_operator(actor, Action.ADMINISTER)
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise ValidationError(f"a password needs at least {MIN_PASSWORD} characters", field="password")
    user = get_user(session, username)
    user.password_hash = hash_password(password)
    audit.record(session, actor, "user.password_set", username=user.username)
    return user
