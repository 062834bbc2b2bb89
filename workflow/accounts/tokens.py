"""API tokens: issued once, stored hashed, listed and revoked."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.accounts import policy
from workflow.accounts.models import ApiToken, User
from workflow.accounts.policy import Action
from workflow.accounts.users import get_user
from workflow.audit import chain as audit
from workflow.core.database import utcnow
from workflow.core.errors import AuthenticationError, NotFoundError
from workflow.core.security import hash_token, new_api_token
from workflow.core.unit_of_work import transactional


@transactional
def create_token(session: Session, user: User, name: str = "") -> str:
    """Make an API token for ``user``; the plain token is returned once."""
    token = new_api_token()
    session.add(ApiToken(user_id=user.id, name=name or "api", token_hash=hash_token(token),
                         prefix=token[:12]))
    audit.record(session, user, "token.created", name=name or "api", prefix=token[:12])
    return token


@transactional
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
    return row.user


def list_tokens(session: Session, username: str | None = None) -> list[ApiToken]:
    """API tokens (revoked ones too), oldest first; only ``username``'s if given."""
    stmt = select(ApiToken).order_by(ApiToken.id)
    if username is not None:
        stmt = stmt.where(ApiToken.user_id == get_user(session, username).id)
    return list(session.execute(stmt).scalars())


@transactional
def revoke_token(session: Session, actor: User | None, token_id: Any) -> ApiToken:
    """Revoke one API token by its id: it stops working at once."""
    policy.require_operator(actor, Action.ADMINISTER)
    try:
        number = int(token_id)
    except (TypeError, ValueError):
        raise NotFoundError(f"no API token {token_id!r}") from None
    row = session.get(ApiToken, number) if 0 < number < 2**62 else None
    if row is None:
        raise NotFoundError(f"no API token {token_id!r}")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        audit.record(session, actor, "token.revoked", token_id=row.id, username=row.user.username,
                     prefix=row.prefix)
    return row
