"""Connecting channel accounts by signing in: "Sign in with X" and Facebook Login for Pages.

An administrator starts a connection; Crier sends them to the platform with a
``state`` that is signed with the secret key, names an
:class:`~workflow.accounts.models.AccountConnection` row, works once, for ten
minutes, for that administrator in that console session only. The platform
sends them back; Crier trades what it brings for the account's tokens, checks
them with the platform, and creates the account or replaces the credentials of
the one it already has (found by the platform's user or Page id). Tokens held
between steps are encrypted like channel credentials. No transaction stays open
while a platform answers.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from typing import Any
from urllib.parse import urlencode

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from channels.base import ChannelError
from channels.facebook.login import FacebookLogin, dialog_url
from channels.x.signin import XSignIn
from workflow.accounts import policy
from workflow.accounts.channel_accounts import add_account, clear_reconnect, get_account, verify_credentials
from workflow.accounts.health import record_success
from workflow.accounts.models import AccountConnection, ChannelAccount, ChannelKind, ConnectionStage, User
from workflow.accounts.policy import Action
from workflow.audit import chain as audit
from workflow.core.database import utcnow
from workflow.core.errors import ConflictError, CrierError, PermissionDeniedError, ValidationError
from workflow.core.runtime import channel_config_of, settings_of, vault_of
from workflow.core.text import clean_text
from workflow.core.unit_of_work import transaction, transactional

#: How long a sign-in may take from start to callback, in seconds.
STATE_MAX_AGE = 600
#: How long a sign-in's row is kept, whatever became of it, in seconds.
KEEP_SECONDS = 86_400
_SALT = "crier.accounts.connect"
CS = ConnectionStage


class SignInStateError(CrierError):
    """The ``state`` that came back is not one Crier handed out, or has expired."""

    code = "bad_state"
    status = 400


class SignInCancelledError(CrierError):
    """The administrator cancelled at the platform: nothing was connected."""

    code = "cancelled"
    status = 400


class PlatformRefusedError(CrierError):
    """The platform refused a step of the sign-in; the message says what it said."""

    code = "platform_refused"
    status = 502


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _serializer(session: Session) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings_of(session).secret_key, salt=_SALT)


def _refused(exc: ChannelError) -> PlatformRefusedError:
    return PlatformRefusedError(exc.message)


@transactional
def _begin(session: Session, actor: User, kind: ChannelKind, binding: str, area: Any, exercise: bool,
           account_id: Any) -> tuple[int, str]:
    policy.require(actor, Action.ADMINISTER)
    if not binding:
        raise SignInStateError("the console session has no sign-in binding")
    target = None
    if account_id not in (None, ""):
        target = get_account(session, account_id)
        if target.kind != kind:
            raise ValidationError(f"{target.name} is not a {kind} account", field="account")
    if area is not None and (not isinstance(area, str) or len(area) > 120):
        raise ValidationError("an area is a name of up to 120 printable characters", field="area")
    area = clean_text(area, "the area", 120, "area").strip() if isinstance(area, str) and area.strip() else None
    # Sign-ins long over (finished, cancelled or abandoned) are kept no longer than a day.
    session.execute(delete(AccountConnection).where(
        AccountConnection.created_at < utcnow() - dt.timedelta(seconds=KEEP_SECONDS)))
    nonce = secrets.token_urlsafe(24)
    row = AccountConnection(kind=kind, stage=CS.STARTED, user_id=actor.id, binding=_digest(binding),
                            nonce_hash=_digest(nonce), account_id=target.id if target else None, area=area,
                            exercise=bool(exercise))
    session.add(row)
    session.flush()
    audit.record(session, actor, "account.connect_started", connection=row.id, kind=kind,
                 **({"account_id": target.id} if target else {}))
    return row.id, _serializer(session).dumps({"c": row.id, "n": nonce})


@transactional
def _claim(session: Session, actor: User, kind: ChannelKind, binding: str, state: Any) -> AccountConnection:
    """The connection ``state`` names, used up now: refused if tampered with, expired, replayed,
    another administrator's, or from another console session."""
    policy.require(actor, Action.ADMINISTER)
    try:
        data = _serializer(session).loads(str(state or ""), max_age=STATE_MAX_AGE)
        connection_id, nonce = int(data["c"]), str(data["n"])
    except SignatureExpired:
        raise SignInStateError("this sign-in took too long and has expired: start again") from None
    except (BadSignature, KeyError, TypeError, ValueError):
        raise SignInStateError("this sign-in did not come from Crier (its state is not one Crier issued)") from None
    row = session.get(AccountConnection, connection_id)
    if row is None or row.kind != kind or not hmac.compare_digest(row.nonce_hash, _digest(nonce)):
        raise SignInStateError("this sign-in did not come from Crier (its state is not one Crier issued)")
    if row.user_id != actor.id:
        raise PermissionDeniedError("this sign-in was started by another administrator")
    if not binding or not hmac.compare_digest(row.binding, _digest(binding)):
        raise SignInStateError("this sign-in was started in another console session")
    used = session.execute(update(AccountConnection).where(
        AccountConnection.id == row.id, AccountConnection.stage == CS.STARTED).values(
        stage=CS.FINISHED, finished_at=utcnow()).execution_options(synchronize_session=False)).rowcount
    if used != 1:
        raise ConflictError("this sign-in has been used already: start again")
    session.refresh(row)
    return row


@transactional
def _store(session: Session, connection_id: int, secrets_: dict[str, Any], stage: ConnectionStage) -> None:
    row = session.get(AccountConnection, connection_id)
    row.secrets_encrypted = vault_of(session).encrypt(secrets_)
    row.stage = stage


@transactional
def _cancel(session: Session, actor: User, row: AccountConnection, reason: str) -> None:
    session.execute(update(AccountConnection).where(AccountConnection.id == row.id).values(
        stage=CS.CANCELLED, secrets_encrypted=None).execution_options(synchronize_session=False))
    audit.record(session, actor, "account.connect_cancelled", connection=row.id, kind=row.kind, reason=reason)


# X -----------------------------------------------------------------------------

def _x_signin(session: Session) -> XSignIn:
    settings = settings_of(session)
    try:
        return XSignIn(settings.x_consumer_key, settings.x_consumer_secret, base_url=settings.x_oauth_base,
                       timeout=channel_config_of(session).timeout)
    except ChannelError as exc:
        raise ConflictError(exc.message) from None


def start_x(session: Session, actor: User, binding: str, callback: str, *, area: Any = None,
            exercise: bool = False, account_id: Any = None) -> str:
    """Start "Sign in with X"; the address to send the administrator to.

    ``callback`` is Crier's callback address; the state is added to it.
    """
    signin = _x_signin(session)
    connection_id, state = _begin(session, actor, ChannelKind.X, binding, area, exercise, account_id)
    try:
        token = signin.start(f"{callback}?{urlencode({'state': state})}")
    except ChannelError as exc:
        raise _refused(exc) from None
    _store(session, connection_id, {"token": token.token, "secret": token.secret}, CS.STARTED)
    return token.authorize_url


def finish_x(session: Session, actor: User, binding: str, args: dict[str, str]) -> ChannelAccount:
    """X's callback: trade the verifier for the access token, check it, save the account."""
    row = _claim(session, actor, ChannelKind.X, binding, args.get("state"))
    held = vault_of(session).decrypt(row.secrets_encrypted) if row.secrets_encrypted else {}
    if args.get("denied"):
        _cancel(session, actor, row, "refused at X")
        raise SignInCancelledError("The sign-in with X was cancelled: nothing was connected.")
    if not held.get("token") or not hmac.compare_digest(str(args.get("oauth_token") or ""), held["token"]):
        raise SignInStateError("X sent back a different sign-in than Crier started")
    if not args.get("oauth_verifier"):
        raise SignInStateError("X sent no oauth_verifier")
    try:
        granted = _x_signin(session).finish(held["token"], held["secret"], str(args["oauth_verifier"]))
    except ChannelError as exc:
        raise _refused(exc) from None
    settings = settings_of(session)
    credentials = {"consumer_key": settings.x_consumer_key, "consumer_secret": settings.x_consumer_secret,
                   "access_token": granted.access_token, "access_token_secret": granted.access_token_secret,
                   "user_id": granted.user_id, "username": granted.screen_name}
    verify_credentials(session, "x", credentials)  # users/me, as for credentials given by hand
    return _save(session, actor, row, credentials, key=("user_id", granted.user_id),
                 name=f"@{granted.screen_name or granted.user_id}", via="sign in with X")


# Facebook ----------------------------------------------------------------------

def _facebook_login(session: Session) -> FacebookLogin:
    settings = settings_of(session)
    try:
        return FacebookLogin(settings.facebook_app_id, settings.facebook_app_secret, channel_config_of(session))
    except ChannelError as exc:
        raise ConflictError(exc.message) from None


def start_facebook(session: Session, actor: User, binding: str, redirect_uri: str, *, area: Any = None,
                   exercise: bool = False, account_id: Any = None) -> str:
    """Start Facebook Login for Pages; the login dialog's address to send the administrator to."""
    login = _facebook_login(session)
    _, state = _begin(session, actor, ChannelKind.FACEBOOK, binding, area, exercise, account_id)
    return dialog_url(settings_of(session).facebook_login_base, login.version, login.app_id, redirect_uri, state)


def finish_facebook(session: Session, actor: User, binding: str, redirect_uri: str, args: dict[str, str]
                    ) -> AccountConnection | ChannelAccount:
    """Facebook's callback: code -> user token -> long-lived token -> the Pages and their tokens.

    For a reconnect, the account's Page gets its new token at once (the account
    is returned); otherwise the connection waits for the administrator to pick Pages.
    """
    row = _claim(session, actor, ChannelKind.FACEBOOK, binding, args.get("state"))
    if args.get("error"):
        _cancel(session, actor, row, str(args.get("error_reason") or args["error"])[:200])
        raise SignInCancelledError("The Facebook login was cancelled: no page was connected.")
    if not args.get("code"):
        raise SignInStateError("Facebook sent back no code")
    login = _facebook_login(session)
    try:
        user_token = login.long_lived(login.user_token(str(args["code"]), redirect_uri))
        pages = login.pages(user_token)
    except ChannelError as exc:
        raise _refused(exc) from None
    if not pages:
        raise ValidationError("Facebook gave Crier no Pages: choose at least one Page in Facebook's dialog")
    found = [{"page_id": p.page_id, "name": p.name, "token": p.access_token} for p in pages]
    if row.account_id is not None:
        with transaction(session):  # read, and end the transaction before Graph answers
            account = get_account(session, row.account_id)
        page = next((p for p in found if p["page_id"] == str((account.settings or {}).get("page_id"))), None)
        if page is None:
            raise ConflictError(f"the Pages given to Crier do not include {account.name}'s Page: sign in as "
                                "someone who manages it")
        credentials = {"page_id": page["page_id"], "page_access_token": page["token"], "page_name": page["name"]}
        verify_credentials(session, "facebook", credentials)
        return _save(session, actor, row, credentials, key=("page_id", page["page_id"]), name=page["name"],
                     via="Facebook Login")
    _store(session, row.id, {"pages": found}, CS.PICKING)
    return row


def _picking(session: Session, actor: User, binding: str, connection_id: Any) -> AccountConnection:
    policy.require(actor, Action.ADMINISTER)
    try:
        row = session.get(AccountConnection, int(connection_id))
    except (TypeError, ValueError):
        row = None
    if row is None or row.user_id != actor.id or not binding or not hmac.compare_digest(
            row.binding, _digest(binding)):
        raise SignInStateError("no such Facebook login in progress in this console session")
    if row.stage != CS.PICKING or row.secrets_encrypted is None:
        raise ConflictError("this Facebook login is over: start again")
    if (utcnow() - row.created_at).total_seconds() > STATE_MAX_AGE * 3:
        raise SignInStateError("this Facebook login has expired: start again")
    return row


def pages_to_pick(session: Session, actor: User, binding: str, connection_id: Any) -> list[dict[str, Any]]:
    """The Pages of a Facebook login in progress (never their tokens), each with the account it already is."""
    row = _picking(session, actor, binding, connection_id)
    pages = vault_of(session).decrypt(row.secrets_encrypted)["pages"]
    existing = _by_setting(session, ChannelKind.FACEBOOK, "page_id")
    return [{"page_id": p["page_id"], "name": p["name"], "account": existing.get(p["page_id"])} for p in pages]


def choose_pages(session: Session, actor: User, binding: str, connection_id: Any, page_ids: list[str]
                 ) -> list[ChannelAccount]:
    """Connect the chosen Pages: new accounts, or new tokens for the Pages Crier has already."""
    with transaction(session):  # read, and end the transaction before Graph answers
        row = _picking(session, actor, binding, connection_id)
        pages = {p["page_id"]: p for p in vault_of(session).decrypt(row.secrets_encrypted)["pages"]}
    chosen = list(dict.fromkeys(str(p) for p in page_ids))
    if not chosen:
        raise ValidationError("choose at least one Page", field="page")
    unknown = [p for p in chosen if p not in pages]
    if unknown:
        raise ValidationError(f"Page {unknown[0]} was not among those Facebook gave", field="page")
    credentials = {p: {"page_id": p, "page_access_token": pages[p]["token"], "page_name": pages[p]["name"]}
                   for p in chosen}
    for page_id in chosen:
        verify_credentials(session, "facebook", credentials[page_id])
    return _save_pages(session, actor, row.id, chosen, credentials)


@transactional
def _save_pages(session: Session, actor: User, connection_id: int, chosen: list[str],
                credentials: dict[str, dict[str, str]]) -> list[ChannelAccount]:
    done = session.execute(update(AccountConnection).where(
        AccountConnection.id == connection_id, AccountConnection.stage == CS.PICKING).values(
        stage=CS.FINISHED, finished_at=utcnow(), secrets_encrypted=None)
        .execution_options(synchronize_session=False)).rowcount
    if done != 1:
        raise ConflictError("these Pages have been connected already")
    row = session.get(AccountConnection, connection_id)
    return [_save(session, actor, row, credentials[p], key=("page_id", p), name=credentials[p]["page_name"],
                  via="Facebook Login") for p in chosen]


# Both --------------------------------------------------------------------------

def _by_setting(session: Session, kind: ChannelKind, key: str) -> dict[str, ChannelAccount]:
    accounts = session.execute(select(ChannelAccount).where(
        ChannelAccount.kind == kind, ChannelAccount.status != "removed")).scalars()
    return {str((a.settings or {}).get(key)): a for a in accounts if (a.settings or {}).get(key)}


@transactional
def _save(session: Session, actor: User, row: AccountConnection, credentials: dict[str, str], *,
          key: tuple[str, str], name: str, via: str) -> ChannelAccount:
    """Create the account, or give the one Crier has for this user or Page its new credentials."""
    kind = ChannelKind(row.kind)
    if row.account_id is not None:
        account = get_account(session, row.account_id)
        known = account.settings or {}
        # The platform's id decides; an account added by hand may know only its X username.
        same = (str(known[key[0]]) == key[1] if known.get(key[0]) else
                str(known.get("username") or "").lower() in ("", str(credentials.get("username") or "").lower()))
        if not same:
            raise ConflictError(f"that sign-in is for {name}, not {account.name}: sign in as the right account")
    else:
        account = _by_setting(session, kind, key[0]).get(key[1])
    if account is None:
        try:
            account = add_account(session, kind, name, credentials, area=row.area, actor=actor,
                                  exercise=row.exercise)
        except ConflictError:
            account = add_account(session, kind, f"{name} ({key[1]})"[:120], credentials, area=row.area,
                                  actor=actor, exercise=row.exercise)
        created = True
    else:
        account.credentials_encrypted = vault_of(session).encrypt(credentials)
        account.settings = {**(account.settings or {}), **{k: credentials[k] for k in (key[0], "username",
                                                                                       "page_name")
                                                           if k in credentials}}
        clear_reconnect(account)
        created = False
    record_success(account)
    audit.record(session, actor, "account.connected", account_id=account.id, kind=kind, name=account.name,
                 via=via, created=created, connection=row.id)
    return account
