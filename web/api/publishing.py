"""API routes for what happens to a message once it is out: withdraw it, or correct it."""
from __future__ import annotations

from workflow.accounts.policy import Action
from workflow.messages import corrections

from ..auth import api_may
from ..context import db
from .base import answer, bp, read_body
from .schemas import Corrected, Correction, Message, Withdrawal


@bp.post("/messages/<int:message_id>/withdraw")
@api_may(Action.DRAFT)
def withdraw_message(user, message_id: int):
    data = read_body(Withdrawal)
    session = db()
    message = corrections.withdraw(session, user, message_id, data.reason)
    return answer(Message.of(session, message))


@bp.post("/messages/<int:message_id>/correct")
@api_may(Action.DRAFT)
def correct_message(user, message_id: int):
    data = read_body(Correction)
    session = db()
    images = data.model_dump(exclude_unset=True).get("images")
    message = corrections.correct(session, user, message_id, data.body, data.change_note, data.variants,
                                  images=images)
    return answer(Corrected.of(session, message, change_note=message.latest.change_note))
