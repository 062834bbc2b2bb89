"""API routes for channel accounts: list them, and (admins) add one."""
from __future__ import annotations

from workflow.accounts import channel_accounts
from workflow.accounts.policy import Action

from ..auth import api_may
from ..context import db
from .base import answer, bp, read_body
from .schemas import Account, AccountList, NewAccount


@bp.get("/accounts")
@api_may(Action.READ)
def list_accounts(user):
    return answer(AccountList(accounts=[Account.of(a) for a in channel_accounts.list_accounts(db())]))


@bp.post("/accounts")
@api_may(Action.ADMINISTER)
def add_account(user):
    data = read_body(NewAccount)
    channel_accounts.verify_credentials(db(), data.kind, data.credentials)
    account = channel_accounts.add_account(db(), data.kind, data.name, data.credentials, area=data.area, actor=user,
                                           exercise=data.exercise)
    return answer(Account.of(account), 201)
