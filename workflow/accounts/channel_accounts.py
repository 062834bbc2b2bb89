"""Channel accounts: X accounts, Facebook pages and website targets, with their
credentials encrypted at rest, checked against the platform, never shown back."""
from __future__ import annotations

import json
from typing import Any, Iterable

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from channels.base import ChannelError, make_channel
from channels.website import webhook_url_problem
from workflow.accounts import policy
from workflow.accounts.models import AccountConnection, AccountStatus, ChannelAccount, ChannelKind, User
from workflow.accounts.policy import Action
from workflow.audit import chain as audit
from workflow.core.errors import ConflictError, NotFoundError, ValidationError
from workflow.core.runtime import channel_config_of, vault_of
from workflow.core.text import clean_text
from workflow.core.unit_of_work import transactional
from workflow.delivery.models import Delivery, DeliveryState

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


def _storable(text: str) -> bool:
    """Whether every database can store ``text``: no NUL, no lone surrogates."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@transactional
def add_account(session: Session, kind: str, name: str, credentials: Any,
                area: str | None = None, actor: User | None = None, *, exercise: bool = False) -> ChannelAccount:
    """Add a channel account; its credentials are encrypted before storing."""
    policy.require_operator(actor, Action.ADMINISTER)
    try:
        kind_value = ChannelKind(kind)
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
    if kind_value == ChannelKind.WEBSITE and credentials.get("webhook_url"):
        problem = webhook_url_problem(str(credentials["webhook_url"]),
                                      channel_config_of(session).webhook_allowed_hosts)
        if problem:
            raise ValidationError(f"the CMS webhook address {problem}", field="credentials")
    public = {k: credentials[k] for k in PUBLIC_SETTINGS[kind_value] if k in credentials}
    account = ChannelAccount(kind=kind_value, name=name.strip(), area=(area or "").strip() or None, exercise=exercise,
                             credentials_encrypted=vault_of(session).encrypt(credentials),
                             settings=public)
    session.add(account)
    try:
        session.flush()
    except IntegrityError:
        raise ConflictError(f"a {kind_value} account called {name!r} already exists", field="name") from None
    audit.record(session, actor, "account.added", account_id=account.id, kind=kind_value,
                 name=account.name, area=account.area, **({"exercise": True} if exercise else {}))
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
    """Flag an account whose platform refused its credentials (a disabled one stays disabled)."""
    first = not account.reconnect_needed
    account.reconnect_needed = True
    if account.status == AccountStatus.ACTIVE:
        account.status = AccountStatus.RECONNECT
    if account.status == AccountStatus.RECONNECT:
        account.status_reason = reason
    if first:
        audit.record(session, None, "account.needs_reconnect", account_id=account.id, reason=reason)


def clear_reconnect(account: ChannelAccount) -> None:
    """New credentials were accepted: the account may post again (unless disabled)."""
    account.reconnect_needed = False
    if account.status == AccountStatus.RECONNECT:
        account.status, account.status_reason = AccountStatus.ACTIVE, None


@transactional
def rotate_credentials(session: Session) -> int:
    """Re-encrypt every account's credentials, every TOTP secret and the tokens of sign-ins in
    progress with the newest key."""
    vault = vault_of(session)
    count = 0
    for account in session.execute(select(ChannelAccount)).scalars():
        account.credentials_encrypted = vault.rotate(account.credentials_encrypted)
        count += 1
    secrets = 0
    for user in session.execute(select(User).where(User.totp_secret_encrypted.is_not(None))).scalars():
        user.totp_secret_encrypted = vault.rotate(user.totp_secret_encrypted)
        secrets += 1
    # Tokens of sign-ins still in progress (see workflow.accounts.connect).
    for pending in session.execute(select(AccountConnection).where(
            AccountConnection.secrets_encrypted.is_not(None))).scalars():
        pending.secrets_encrypted = vault.rotate(pending.secrets_encrypted)
    audit.record(session, None, "credentials.rotated", accounts=count, totp_secrets=secrets)
    return count


#: Deliveries in these states still need their account.
UNSETTLED = (DeliveryState.PENDING, DeliveryState.SENDING, DeliveryState.RETRYING,
             DeliveryState.UNKNOWN, DeliveryState.HELD)


def get_account(session: Session, account_id: Any) -> ChannelAccount:
    try:
        number = int(account_id)
    except (TypeError, ValueError):
        raise NotFoundError(f"no channel account {account_id!r}") from None
    account = session.get(ChannelAccount, number) if 0 < number < 2**62 else None
    if account is None or account.status == "removed":
        raise NotFoundError(f"no channel account {account_id!r}")
    return account


@transactional
def set_account_enabled(session: Session, actor: User | None, account_id: Any, enabled: bool) -> ChannelAccount:
    """Disable an account (nothing new can target it; its unsent posts fail with the reason) or enable it."""
    policy.require_operator(actor, Action.ADMINISTER)
    account = get_account(session, account_id)
    # An account the platform refused comes back needing a reconnect.
    status = ("reconnect" if account.reconnect_needed else "active") if enabled else "disabled"
    if account.status != status:
        account.status = status
        if enabled and status == "active":
            account.status_reason = None
        audit.record(session, actor, "account.enabled" if enabled else "account.disabled",
                     account_id=account.id, name=account.name)
    return account


@transactional
def set_account_credentials(session: Session, actor: User | None, account_id: Any, credentials: Any,
                            *, check: bool = True) -> ChannelAccount:
    """Replace an account's credentials, checked against the platform first; nothing is stored if refused."""
    policy.require_operator(actor, Action.ADMINISTER)
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
    clear_reconnect(account)
    audit.record(session, actor, "account.credentials_set", account_id=account.id, name=account.name)
    return account


@transactional
def update_account(session: Session, actor: User | None, account_id: Any, *, area: Any = None,
                   exercise: bool | None = None) -> ChannelAccount:
    """Change an account's area ("" for force-wide) or exercise flag; audited.

    The exercise flag stays as it is while a post on the account is unsettled,
    so that no message is caught between a live and a sandbox account.
    """
    policy.require_operator(actor, Action.ADMINISTER)
    account = get_account(session, account_id)
    changes: dict[str, Any] = {}
    if area is not None:
        if not isinstance(area, str) or len(area) > 120 or not _storable(area):
            raise ValidationError("an area is a name of up to 120 printable characters", field="area")
        new_area = clean_text(area, "the area", 120, "area").strip() if area.strip() else None
        if new_area != account.area:
            changes["area"] = new_area
    if exercise is not None and bool(exercise) != bool(account.exercise):
        unsettled = session.execute(select(func.count()).select_from(Delivery).where(
            Delivery.account_id == account.id, Delivery.state.in_(UNSETTLED))).scalar_one()
        if unsettled:
            raise ConflictError(f"{account.name} has {unsettled} unsettled deliveries: the exercise flag can "
                                "change once they are settled", field="exercise")
        changes["exercise"] = bool(exercise)
    if changes:
        for key, value in changes.items():
            setattr(account, key, value)
        audit.record(session, actor, "account.updated", account_id=account.id, name=account.name, **changes)
    return account


@transactional
def remove_account(session: Session, actor: User | None, account_id: Any) -> None:
    """Remove an account; refused while any delivery on it is unsettled.

    An account that carried posts stays on record (its deliveries name it) as
    removed, with its credentials wiped; one that never did is deleted.
    """
    policy.require_operator(actor, Action.ADMINISTER)
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


def accounts_by_id(session: Session, ids: Iterable[int]) -> dict[int, ChannelAccount]:
    ids = list(ids)
    return {a.id: a for a in session.execute(
        select(ChannelAccount).where(ChannelAccount.id.in_(ids))).scalars()}
