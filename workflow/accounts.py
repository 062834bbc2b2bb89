"""People and channel accounts: users with roles, login with throttling, API
tokens, and channel accounts with encrypted credentials."""
from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from sqlalchemy import event as sa_event, inspect, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from channels.website import webhook_url_problem

from . import audit
from .db import utcnow
from .errors import (AuthenticationError, ConflictError, NotFoundError,
                     PermissionDeniedError, ValidationError)
from .models import ApiToken, ChannelAccount, ChannelKind, Role, User
from .runtime import channel_config_of, vault_of
from .security import hash_password, hash_token, new_api_token, password_needs_rehash, verify_password
from .text import clean_text

USERNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$")
MIN_PASSWORD = 10

# What each kind of account needs in its credentials.
REQUIRED_CREDENTIALS: dict[str, tuple[str, ...]] = {
    "x": ("consumer_key", "consumer_secret", "access_token", "access_token_secret"),
    "facebook": ("page_id", "page_access_token"),
    "website": (),
}
# Credential fields that are not secret and may be shown (e.g. the page id).
PUBLIC_SETTINGS: dict[str, tuple[str, ...]] = {
    "x": ("username", "user_id"),
    "facebook": ("page_id", "page_name"),
    "website": ("webhook_url",),
}


def require_role(user: User, *roles: Role) -> None:
    """Raise unless ``user`` has one of ``roles`` (admin may do everything)."""
    if user.role == Role.ADMIN or user.role in roles:
        return
    wanted = " or ".join(r.value for r in roles)
    raise PermissionDeniedError(f"this needs the {wanted} role")


# Users ------------------------------------------------------------------

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
    user = User(username=username, role=role_value.value, display_name=display_name or username,
                password_hash=hash_password(password))
    session.add(user)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise ConflictError(f"a user called {username!r} already exists", field="username") from None
    audit.record(session, actor, "user.created", username=username, role=role_value.value)
    session.commit()
    return user


def get_user(session: Session, username: str) -> User:
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        raise NotFoundError(f"no user called {username!r}")
    return user


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
        session.commit()
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


# API tokens --------------------------------------------------------------

def create_token(session: Session, user: User, name: str = "") -> str:
    """Make an API token for ``user``; the plain token is returned once."""
    token = new_api_token()
    session.add(ApiToken(user_id=user.id, name=name or "api", token_hash=hash_token(token),
                         prefix=token[:12]))
    audit.record(session, user, "token.created", name=name or "api", prefix=token[:12])
    session.commit()
    return token


def user_for_token(session: Session, token: str) -> User:
    """The active user a Bearer token belongs to."""
    row = session.execute(
        select(ApiToken).where(ApiToken.token_hash == hash_token(token), ApiToken.revoked_at.is_(None))
    ).scalar_one_or_none()
    if row is None or not row.user.active:
        raise AuthenticationError("the API token is not valid")
    now = utcnow()
    # Only write when it matters, so reads stay read-only under load.
    if row.last_used_at is None or now - row.last_used_at > dt.timedelta(minutes=5):
        row.last_used_at = now
        session.commit()
    return row.user


# Channel accounts ---------------------------------------------------------

def _storable(text: str) -> bool:
    """Whether every database can store ``text``: no NUL, no lone surrogates."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def add_account(session: Session, kind: str, name: str, credentials: Any,
                area: str | None = None, actor: User | None = None) -> ChannelAccount:
    """Add a channel account; its credentials are encrypted before storing."""
    try:
        kind_value = ChannelKind(kind).value
    except ValueError:
        raise ValidationError("kind must be x, facebook or website", field="kind") from None
    if not isinstance(name, str) or not name.strip() or len(name) > 120 or not _storable(name):
        raise ValidationError("an account needs a name of 1-120 printable characters", field="name")
    name = clean_text(name, "the account name", 120, "name")
    if area is not None and (not isinstance(area, str) or len(area) > 120 or not _storable(area)):
        raise ValidationError("an area is a name of up to 120 printable characters", field="area")
    if area is not None and area.strip():
        area = clean_text(area, "the area", 120, "area")
    if isinstance(credentials, (str, bytes)):
        try:
            credentials = json.loads(credentials or "{}")
        except ValueError:
            raise ValidationError("credentials must be a JSON object", field="credentials") from None
    if not isinstance(credentials, dict):
        raise ValidationError("credentials must be a JSON object", field="credentials")
    missing = [k for k in REQUIRED_CREDENTIALS[kind_value] if not credentials.get(k)]
    if missing:
        raise ValidationError(f"{kind_value} credentials need: {', '.join(missing)}", field="credentials")
    if kind_value == ChannelKind.WEBSITE.value and credentials.get("webhook_url"):
        problem = webhook_url_problem(str(credentials["webhook_url"]),
                                      channel_config_of(session).webhook_allowed_hosts)
        if problem:
            raise ValidationError(f"the CMS webhook address {problem}", field="credentials")
    public = {k: credentials[k] for k in PUBLIC_SETTINGS[kind_value] if k in credentials}
    account = ChannelAccount(kind=kind_value, name=name.strip(), area=(area or "").strip() or None,
                             credentials_encrypted=vault_of(session).encrypt(credentials),
                             settings=public)
    session.add(account)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise ConflictError(f"a {kind_value} account called {name!r} already exists", field="name") from None
    audit.record(session, actor, "account.added", account_id=account.id, kind=kind_value,
                 name=account.name, area=account.area)
    session.commit()
    return account


def list_accounts(session: Session) -> list[ChannelAccount]:
    """Every channel account, force-wide first, then by area and name."""
    rows = session.execute(select(ChannelAccount).where(ChannelAccount.status != "removed")
                           .order_by(ChannelAccount.name)).scalars().all()
    return sorted(rows, key=lambda a: (a.area is not None, a.area or "", a.kind, a.name))


def account_credentials(session: Session, account: ChannelAccount) -> dict[str, Any]:
    """Decrypted credentials, for the adapters only: never show or log them."""
    return vault_of(session).decrypt(account.credentials_encrypted)


def mark_reconnect(session: Session, account: ChannelAccount, reason: str) -> None:
    """Flag an account whose platform refused its credentials."""
    account.status = "reconnect"
    account.status_reason = reason
    audit.record(session, None, "account.needs_reconnect", account_id=account.id, reason=reason)


def rotate_credentials(session: Session) -> int:
    """Re-encrypt every account's credentials, and every TOTP secret, with the newest key."""
    vault = vault_of(session)
    count = 0
    for account in session.execute(select(ChannelAccount)).scalars():
        account.credentials_encrypted = vault.rotate(account.credentials_encrypted)
        count += 1
    secrets = 0
    for user in session.execute(select(User).where(User.totp_secret_encrypted.is_not(None))).scalars():
        user.totp_secret_encrypted = vault.rotate(user.totp_secret_encrypted)
        secrets += 1
    audit.record(session, None, "credentials.rotated", accounts=count, totp_secrets=secrets)
    session.commit()
    return count


def account_as_dict(account: ChannelAccount) -> dict[str, Any]:
    """The public view of an account: never its credentials."""
    return {
        "id": account.id,
        "kind": account.kind,
        "name": account.name,
        "area": account.area,
        "status": account.status,
        "status_reason": account.status_reason,
        "settings": dict(account.settings or {}),
    }


def ensure_supervisor(user: User) -> None:
    if not user.is_supervisor:
        raise PermissionDeniedError("only a supervisor can verify messages")
