"""API routes for audience insight: reach per account, one account's history and places, and what a
message's posts drew."""

from __future__ import annotations

from workflow.accounts.policy import Action
from workflow.insights import reports

from ..auth import api_may
from ..context import db
from .base import answer, bp
from .schemas import AccountInsight, AccountReach, AccountReachList, Engagement, EngagementList


@bp.get("/insights/accounts")
@api_may(Action.READ)
def insight_accounts(user):
    return answer(AccountReachList(accounts=[AccountReach.of(r) for r in reports.reach(db())]))


@bp.get("/insights/accounts/<int:account_id>")
@api_may(Action.READ)
def insight_account(user, account_id: int):
    reach, history, running = reports.account_reach(db(), account_id)
    return answer(AccountInsight.build(reach, history, running))


@bp.get("/messages/<int:message_id>/engagement")
@api_may(Action.READ)
def message_engagement(user, message_id: int):
    figures = reports.message_figures(db(), message_id)
    return answer(EngagementList(message=message_id, accounts=[Engagement.of(f) for f in figures]))
