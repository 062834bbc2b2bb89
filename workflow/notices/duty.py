"""Each person's notice channels (e-mail, live) and supervisors' duty."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.accounts import policy
from workflow.accounts.models import User
from workflow.accounts.policy import Action
from workflow.audit import chain as audit
from workflow.core.database import utcnow
from workflow.core.errors import NotFoundError, PermissionDeniedError, ValidationError
from workflow.core.unit_of_work import transactional
from workflow.notices.models import NoticeSettings


def defaults(user_id: int) -> NoticeSettings:
    """Everyone starts with every channel on and off duty."""
    return NoticeSettings(user_id=user_id, email=True, live=True, on_duty=False)


def settings_for(session: Session, user_id: int) -> NoticeSettings:
    """``user_id``'s notice settings (the defaults if they never chose)."""
    return session.get(NoticeSettings, user_id) or defaults(user_id)


def settings_of_many(session: Session, user_ids: Iterable[int]) -> dict[int, NoticeSettings]:
    """Notice settings of several people at once, defaults filled in."""
    ids = list(set(user_ids))
    found = {s.user_id: s for s in session.execute(
        select(NoticeSettings).where(NoticeSettings.user_id.in_(ids))).scalars()} if ids else {}
    return {i: found.get(i) or defaults(i) for i in ids}


def _stored(session: Session, user_id: int) -> NoticeSettings:
    row = session.get(NoticeSettings, user_id, with_for_update=True)
    if row is None:
        row = defaults(user_id)
        session.add(row)
    return row


def _check_bool(value: Any, field: str) -> None:
    if value is not None and not isinstance(value, bool):
        raise ValidationError(f"{field} must be true or false", field=field)


@transactional
def set_channels(session: Session, actor: User, *, email: Any = None, live: Any = None) -> NoticeSettings:
    """Turn ``actor``'s e-mail or live notices on or off (None leaves a channel as it is)."""
    _check_bool(email, "email")
    _check_bool(live, "live")
    policy.require(actor, Action.READ)
    row = _stored(session, actor.id)
    if email is not None:
        row.email = email
    if live is not None:
        row.live = live
    audit.record(session, actor, "notices.channels_changed", username=actor.username, email=row.email,
                 live=row.live)
    return row


@transactional
def set_duty(session: Session, actor: User | None, on_duty: Any, username: str | None = None) -> NoticeSettings:
    """Put a supervisor on or off duty: themselves, or (the operator at the command line) ``username``."""
    _check_bool(on_duty, "on_duty")
    if on_duty is None:
        raise ValidationError("say whether you are on duty: on_duty true or false", field="on_duty")
    if actor is None:
        person = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
        if person is None:
            raise NotFoundError(f"no user called {username!r}")
    else:
        person = actor
    if not policy.may(person, Action.VERIFY):
        raise PermissionDeniedError("only supervisors go on duty: they are the ones who verify")
    row = _stored(session, person.id)
    if row.on_duty != on_duty:
        row.on_duty = on_duty
        row.duty_changed_at = utcnow()
    audit.record(session, actor, "user.on_duty" if on_duty else "user.off_duty", username=person.username)
    return row


def on_duty_ids(session: Session) -> set[int]:
    """Ids of the people marked on duty (whether they may still verify is asked separately)."""
    return set(session.execute(select(NoticeSettings.user_id).where(NoticeSettings.on_duty.is_(True))).scalars())
