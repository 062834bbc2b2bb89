"""Channel account health: the last success and the last error of each account, and whether
the platform refused its credentials so that an administrator must reconnect it.

Recorded from every delivery outcome (``workflow.delivery.outcomes``) and every
check of the stored credentials (:func:`check_account`). "Reconnect needed" is
cleared only by new credentials the platform accepts.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from channels.base import ChannelError, make_channel
from workflow.accounts import policy
from workflow.accounts.channel_accounts import account_credentials, get_account, mark_reconnect
from workflow.accounts.models import ChannelAccount, User
from workflow.accounts.policy import Action
from workflow.audit import chain as audit
from workflow.core.database import utcnow
from workflow.core.runtime import channel_config_of
from workflow.core.unit_of_work import transaction, transactional

#: The longest error text kept on an account.
MAX_ERROR_CHARS = 1000


def record_success(account: ChannelAccount, when: dt.datetime | None = None) -> None:
    """The platform took a post or accepted a check."""
    account.last_success_at = when or utcnow()


def record_failure(session: Session, account: ChannelAccount, error: str, when: dt.datetime | None = None, *,
                   reconnect: bool = False) -> None:
    """A post or check failed; ``reconnect`` when the platform refused the credentials themselves."""
    account.last_error_at = when or utcnow()
    account.last_error = (error or "failed")[:MAX_ERROR_CHARS]
    if reconnect:
        mark_reconnect(session, account, account.last_error)


def check_account(session: Session, actor: User | None, account_id: object) -> ChannelAccount:
    """Ask the platform whether the stored credentials still work, and record the answer.

    No transaction stays open while the platform answers; the answer (success, or the error
    and whether to reconnect) is written in one unit.
    """
    policy.require_operator(actor, Action.ADMINISTER)
    with transaction(session):  # read, and end the transaction before the platform answers
        account = get_account(session, account_id)
        kind, credentials = str(account.kind), account_credentials(session, account)
    error: ChannelError | None = None
    try:
        channel = make_channel(kind, credentials, channel_config_of(session))
        try:
            channel.verify()
        finally:
            channel.close()
    except ChannelError as exc:
        error = exc
    return _record_check(session, actor, account.id, error)


@transactional
def _record_check(session: Session, actor: User | None, account_id: int, error: ChannelError | None
                  ) -> ChannelAccount:
    account = get_account(session, account_id)
    if error is None:
        record_success(account)
        audit.record(session, actor, "account.checked", account_id=account.id, ok=True)
    else:
        message = getattr(error, "message", None) or str(error)
        record_failure(session, account, message, reconnect=bool(getattr(error, "reconnect", False)))
        audit.record(session, actor, "account.checked", account_id=account.id, ok=False, error=account.last_error)
    return account
