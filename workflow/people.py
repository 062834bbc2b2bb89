"""Administering people and access: users, API tokens and channel accounts.

Every change is audited and takes effect at once: disabling a user or
changing their role ends their console sessions (the session generation, see
:mod:`workflow.accounts`) and revokes their API tokens in the same
transaction. The desk is never left without an active admin.
"""
from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from . import audit
from channels.base import ChannelError, make_channel

from .accounts import MIN_PASSWORD, PUBLIC_SETTINGS, REQUIRED_CREDENTIALS, get_user, require_role
from .db import utcnow
from .errors import ConflictError, NotFoundError, ValidationError
from .models import ApiToken, ChannelAccount, Delivery, DeliveryState, Role, User
from .runtime import channel_config_of, vault_of
from .security import hash_password

EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[A-Za-z0-9.-]{1,189}\.[A-Za-z]{2,63}$")
#: Deliveries in these states still need their account.
UNSETTLED = (DeliveryState.PENDING.value, DeliveryState.SENDING.value, DeliveryState.RETRYING.value,
             DeliveryState.UNKNOWN.value, DeliveryState.HELD.value)


# Users ------------------------------------------------------------------------------

def list_users(session: Session) -> list[User]:
    """Every user, by username."""
    return list(session.execute(select(User).order_by(User.username)).scalars())


def user_as_dict(user: User) -> dict[str, Any]:
    """The admin view of a user (never a password hash or a second-factor secret)."""
    return {"username": user.username, "display_name": user.display_name, "role": str(user.role),
            "active": bool(user.active), "email": user.email,
            "two_factor": user.totp_enabled_at is not None,
            "created_at": user.created_at.isoformat() if user.created_at else None}


def check_email(value: Any) -> str | None:
    """A plausible email address, or None for none; refused with the field named otherwise."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > 254 or not EMAIL_RE.match(value.strip()):
        raise ValidationError("email must be an address such as name@police.example", field="email")
    return value.strip()


def _revoke_tokens(session: Session, user: User) -> int:
    now = utcnow()
    rows = session.execute(select(ApiToken).where(ApiToken.user_id == user.id,
                                                  ApiToken.revoked_at.is_(None))).scalars().all()
    for row in rows:
        row.revoked_at = now
    return len(rows)


def _other_active_admins(session: Session, user: User) -> int:
    return session.execute(select(func.count()).select_from(User).where(
        User.role == Role.ADMIN.value, User.active.is_(True), User.id != user.id)).scalar_one()


def update_user(session: Session, actor: User | None, username: str, *, role: Any = None,
                active: Any = None, email: Any = ...) -> User:
    """Change a user's role, access or email, effective at once; audited.

    Disabling a user or changing their role ends their console sessions and
    revokes their API tokens. The last active admin cannot be disabled or
    demoted.
    """
    if actor is not None:
        require_role(actor, Role.ADMIN)
    try:
        user = get_user(session, username)
        changes: dict[str, Any] = {}
        if role is not None:
            try:
                role_value = Role(role).value
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
        losing_admin = str(user.role) == Role.ADMIN.value and user.active and (
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
        revoked = _revoke_tokens(session, user) if ("role" in changes or "active" in changes) else 0
        if changes:
            audit.record(session, actor, "user.updated", username=user.username, revoked_tokens=revoked,
                         **{k: {"from": v[0], "to": v[1]} for k, v in changes.items()})
        session.commit()
    except Exception:
        session.rollback()
        raise
    return user


def set_password(session: Session, actor: User | None, username: str, password: Any) -> User:
    """A new password (argon2); the user's console sessions end. Audited, never logged."""
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise ValidationError(f"a password needs at least {MIN_PASSWORD} characters", field="password")
    try:
        user = get_user(session, username)
        user.password_hash = hash_password(password)
        audit.record(session, actor, "user.password_set", username=user.username)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return user


# API tokens -------------------------------------------------------------------------

def list_tokens(session: Session, username: str | None = None) -> list[ApiToken]:
    """API tokens (revoked ones too), oldest first; only ``username``'s if given."""
    stmt = select(ApiToken).order_by(ApiToken.id)
    if username is not None:
        stmt = stmt.where(ApiToken.user_id == get_user(session, username).id)
    return list(session.execute(stmt).scalars())


def revoke_token(session: Session, actor: User | None, token_id: Any) -> ApiToken:
    """Revoke one API token by its id: it stops working at once."""
    try:
        number = int(token_id)
    except (TypeError, ValueError):
        raise NotFoundError(f"no API token {token_id!r}") from None
    try:
        row = session.get(ApiToken, number) if 0 < number < 2**62 else None
        if row is None:
            raise NotFoundError(f"no API token {token_id!r}")
        if row.revoked_at is None:
            row.revoked_at = utcnow()
            audit.record(session, actor, "token.revoked", token_id=row.id, username=row.user.username,
                         prefix=row.prefix)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return row


# Channel accounts ---------------------------------------------------------------------

def get_account(session: Session, account_id: Any) -> ChannelAccount:
    try:
        number = int(account_id)
    except (TypeError, ValueError):
        raise NotFoundError(f"no channel account {account_id!r}") from None
    account = session.get(ChannelAccount, number) if 0 < number < 2**62 else None
    if account is None or account.status == "removed":
        raise NotFoundError(f"no channel account {account_id!r}")
    return account


def set_account_enabled(session: Session, actor: User | None, account_id: Any, enabled: bool) -> ChannelAccount:
    """Disable an account (nothing new can target it; its unsent posts fail with the reason) or enable it."""
    try:
        account = get_account(session, account_id)
        status = "active" if enabled else "disabled"
        if account.status != status:
            account.status = status
            if enabled:
                account.status_reason = None
            audit.record(session, actor, "account.enabled" if enabled else "account.disabled",
                         account_id=account.id, name=account.name)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return account


def set_account_credentials(session: Session, actor: User | None, account_id: Any, credentials: Any,
                            *, check: bool = True) -> ChannelAccount:
    """Replace an account's credentials, checked against the platform first; nothing is stored if refused."""
    try:
        account = get_account(session, account_id)
        if check:
            verify_credentials(session, str(account.kind), credentials)
        if not isinstance(credentials, dict):
            raise ValidationError("credentials must be a JSON object", field="credentials")
        missing = [k for k in REQUIRED_CREDENTIALS[str(account.kind)] if not credentials.get(k)]
        if missing:
            raise ValidationError(f"{account.kind} credentials need: {', '.join(missing)}", field="credentials")
        account.credentials_encrypted = vault_of(session).encrypt(credentials)
        account.settings = {k: credentials[k] for k in PUBLIC_SETTINGS[str(account.kind)] if k in credentials}
        if account.status == "reconnect":
            account.status, account.status_reason = "active", None
        audit.record(session, actor, "account.credentials_set", account_id=account.id, name=account.name)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return account


def remove_account(session: Session, actor: User | None, account_id: Any) -> None:
    """Remove an account; refused while any delivery on it is unsettled.

    An account that carried posts stays on record (its deliveries name it) as
    removed, with its credentials wiped; one that never did is deleted.
    """
    try:
        account = get_account(session, account_id)
        unsettled = session.execute(select(func.count()).select_from(Delivery).where(
            Delivery.account_id == account.id, Delivery.state.in_(UNSETTLED))).scalar_one()
        if unsettled:
            raise ConflictError(f"{account.name} has {unsettled} unsettled deliveries: withdraw, cancel or let "
                                "them finish before removing it")
        used = session.execute(select(func.count()).select_from(Delivery).where(
            Delivery.account_id == account.id)).scalar_one()
        audit.record(session, actor, "account.removed", account_id=account.id, name=account.name)
        if used:
            account.status, account.status_reason = "removed", "removed by an administrator"
            account.credentials_encrypted = vault_of(session).encrypt({})
            account.name = f"{account.name} (removed {account.id})"[:120]
        else:
            session.delete(account)
        session.commit()
    except Exception:
        session.rollback()
        raise


def verify_credentials(session: Session, kind: str, credentials: Any) -> str:
    """Check channel credentials against the platform; what they open, or a 4xx naming credentials.

    Credentials of an unknown kind, or missing a required key, are left to
    :func:`workflow.accounts.add_account`, which refuses them saying what is missing.
    """
    if kind not in REQUIRED_CREDENTIALS or not isinstance(credentials, dict) or any(
            not credentials.get(key) for key in REQUIRED_CREDENTIALS[kind]):
        return ""
    try:
        channel = make_channel(kind, credentials, channel_config_of(session))
    except ChannelError as exc:
        raise ValidationError(f"the {kind} credentials were refused: {exc.message}", field="credentials") from None
    try:
        return channel.verify()
    except ChannelError as exc:
        raise ValidationError(f"the {kind} credentials were refused: {exc.message}", field="credentials") from None
    finally:
        channel.close()
