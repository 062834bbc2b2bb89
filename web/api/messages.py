"""API routes for drafting: list, create, read and edit messages."""
from __future__ import annotations

from flask import request
from sqlalchemy import select

from workflow.accounts.policy import Action
from workflow.core.errors import ValidationError
from workflow.messages import drafts, queries
from workflow.messages.models import Message as MessageRow
from workflow.messages.states import MessageState

from ..auth import api_may
from ..context import db
from .base import answer, bp, read_body
from .schemas import Created, Edited, Message, MessageEdit, MessageList, MessageSummary, NewMessage


@bp.get("/messages")
@api_may(Action.READ)
def list_messages(user):
    status = request.args.get("status")
    if status is not None and status not in set(MessageState):
        raise ValidationError(f"unknown status {status!r}", field="status")
    try:
        limit = min(max(int(request.args.get("limit", 50)), 1), 500)
    except ValueError:
        raise ValidationError("limit must be a number", field="limit") from None
    stmt = select(MessageRow).order_by(MessageRow.updated_at.desc(), MessageRow.id.desc()).limit(limit)
    if status:
        stmt = stmt.where(MessageRow.status == status)
    rows = db().execute(stmt).scalars().all()
    return answer(MessageList(messages=[MessageSummary.of(m) for m in rows]))


@bp.post("/messages")
@api_may(Action.DRAFT)
def create_message(user):
    session = db()
    data = read_body(NewMessage)
    message = drafts.create_draft(session, user, data.model_dump(exclude_unset=True))
    return answer(Created.of(session, message, slug=message.slug), 201)


@bp.get("/messages/<int:message_id>")
@api_may(Action.READ)
def get_message(user, message_id: int):
    session = db()
    message = queries.get_message(session, message_id)
    return answer(Message.of(session, message, with_checks=True))


@bp.patch("/messages/<int:message_id>")
@api_may(Action.DRAFT)
def edit_message(user, message_id: int):
    session = db()
    changes = read_body(MessageEdit).model_dump(exclude_unset=True)
    expected = changes.pop("version", None)
    if not changes:
        raise ValidationError("nothing to change: send at least one field to edit, such as body", field="body")
    message = drafts.edit_message(session, user, message_id, changes, expected_version=expected)
    return answer(Edited.of(session, message))
