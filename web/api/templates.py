"""API routes for the template library and the appeal lifecycle."""
from __future__ import annotations

from flask import request

from workflow.accounts.policy import Action
from workflow.core.errors import ValidationError
from workflow.core.runtime import settings_of
from workflow.messages import appeals, templates

from ..auth import api_may
from ..context import db
from .base import answer, bp, read_body
from .schemas import Appeal as AppealShape
from .schemas import (
    AppealList,
    Created,
    Filled,
    FoundReport,
    NewTemplate,
    Template,
    TemplateEdit,
    TemplateFill,
    TemplateList,
)

TRUE, FALSE = ("true", "1", "yes"), ("false", "0", "no", "")


def _flag(name: str) -> bool:
    value = (request.args.get(name) or "").strip().lower()
    if value not in TRUE + FALSE:
        raise ValidationError(f"{name} must be true or false", field=name)
    return value in TRUE


@bp.get("/templates")
@api_may(Action.READ)
def list_templates(user):
    found = templates.list_templates(db(), include_retired=_flag("retired"))
    return answer(TemplateList(templates=[Template.of(t) for t in found]))


@bp.post("/templates")
@api_may(Action.MANAGE_TEMPLATES)
def create_template(user):
    data = read_body(NewTemplate)
    return answer(Template.of(templates.create_template(db(), user, data.model_dump())), 201)


@bp.get("/templates/<int:template_id>")
@api_may(Action.READ)
def get_template(user, template_id: int):
    return answer(Template.of(templates.get_template(db(), template_id)))


@bp.patch("/templates/<int:template_id>")
@api_may(Action.MANAGE_TEMPLATES)
def edit_template(user, template_id: int):
    changes = read_body(TemplateEdit).model_dump(exclude_unset=True)
    if not changes:
        raise ValidationError("nothing to change: send at least one field, such as body", field="body")
    return answer(Template.of(templates.edit_template(db(), user, template_id, changes)))


@bp.delete("/templates/<int:template_id>")
@api_may(Action.MANAGE_TEMPLATES)
def retire_template(user, template_id: int):
    return answer(Template.of(templates.retire_template(db(), user, template_id)))


@bp.post("/templates/<int:template_id>/fill")
@api_may(Action.DRAFT)
def fill_template(user, template_id: int):
    data = read_body(TemplateFill)
    return answer(Filled.of(templates.fill_template(db(), user, template_id, data.values)))


@bp.post("/messages/<int:message_id>/found")
@api_may(Action.DRAFT)
def report_found(user, message_id: int):
    # No body at all is the same as {}: the update is made from the found-safe template.
    data = read_body(FoundReport) if request.get_data(cache=True).strip() else FoundReport()
    session = db()
    update = appeals.report_found(session, user, message_id, data.text, data.values)
    return answer(Created.of(session, update, slug=update.slug), 201)


@bp.get("/appeals")
@api_may(Action.READ)
def list_appeals(user):
    session = db()
    found = appeals.appeals(session, live_only=_flag("live"), overdue_only=_flag("overdue"))
    return answer(AppealList(appeals=[AppealShape.of(a) for a in found],
                             remind_after=settings_of(session).appeal_remind_after))
