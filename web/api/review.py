"""API routes for verification: submit a draft, approve or reject a version, decide on a held one."""
from __future__ import annotations

from workflow.accounts.policy import Action
from workflow.messages import review
from workflow.scheduling import late

from ..auth import api_may
from ..context import db
from .base import answer, bp, read_body
from .schemas import Approval, HeldDecision, Message, Rejected, Rejection, StatusOnly


@bp.post("/messages/<int:message_id>/submit")
@api_may(Action.DRAFT)
def submit_message(user, message_id: int):
    return answer(StatusOnly.of(review.submit(db(), user, message_id)))


@bp.post("/messages/<int:message_id>/approve")
@api_may(Action.VERIFY)
def approve_message(user, message_id: int):
    data = read_body(Approval)
    session = db()
    message = review.approve(session, user, message_id, data.version, data.content_hash,
                             acknowledged=data.acknowledged, note=data.note,
                             authority=data.authority.model_dump() if data.authority is not None else None)
    return answer(Message.of(session, message))


@bp.post("/messages/<int:message_id>/reject")
@api_may(Action.VERIFY)
def reject_message(user, message_id: int):
    data = read_body(Rejection)
    return answer(Rejected.of(review.reject(db(), user, message_id, data.reason, data.version)))


@bp.post("/messages/<int:message_id>/schedule")
@api_may(Action.DECIDE_LATE)
def decide_held_message(user, message_id: int):
    data = read_body(HeldDecision)
    session = db()
    message = late.decide_held(session, user, message_id, publish_now=data.publish_now,
                               publish_at=data.publish_at)
    return answer(Message.of(session, message))
