"""API routes for drafting: list, create, read and edit messages."""
from __future__ import annotations

from flask import request

from workflow.accounts.policy import Action
from workflow.core.errors import ValidationError
from workflow.core.unit_of_work import transaction
from workflow.messages import appeals, drafts, queries, search

from ..auth import api_may
from ..context import db
from .base import answer, bp, read_body
from .schemas import Created, Edited, Message, MessageEdit, MessageList, MessageSummary, NewMessage


@bp.get("/messages")
@api_may(Action.READ)
def list_messages(user):
    found = search.search_messages(db(), search.parse_filters(request.args))
    return answer(MessageList(messages=[MessageSummary.of(m) for m in found.messages], page=found.page,
                              limit=found.limit, more=found.more))


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
    marking = "appeal" in changes
    appeal = changes.pop("appeal", None)
    if not changes and not marking:
        raise ValidationError("nothing to change: send at least one field to edit, such as body", field="body")
    with transaction(session):
        if marking:
            message = appeals.set_appeal(session, user, message_id, appeal)
        if changes:
            message = drafts.edit_message(session, user, message_id, changes, expected_version=expected)
    return answer(Edited.of(session, message))
