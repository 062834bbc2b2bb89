"""Request and response bodies of the template library and the appeal lifecycle."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, StrictBool, StrictInt, StrictStr

from workflow.messages import appeals as appeals_service
from workflow.messages import models as messages_models
from workflow.messages.placeholders import Filled as FilledText
from workflow.messages.placeholders import placeholders
from workflow.messages.states import MessageState

from .requests import RequestBody
from .types import PostText, Timestamp, documented

TemplateKind = Literal["incident", "routine"]
AppealName = Literal["missing_person"]
Values = dict[str, StrictStr | None]

TEMPLATE_TEXT = ("The wording, with named placeholders in braces such as {location}, {time}, {name}: lower-case "
                 "letters, digits and _; every other brace is refused")
APPEAL = "Messages made from it are appeals of this kind (missing_person), closed in one step once found"
VALUES = "{placeholder name: text}; a blank value counts as missing, a name the template lacks is refused"


class NewTemplate(RequestBody):
    name: StrictStr = documented("Unique, as the desk will pick it", minLength=1, maxLength=120)
    body: PostText = documented(TEMPLATE_TEXT)
    kind: TemplateKind = documented("The kind of message it makes when no incident is chosen", default="incident")
    accounts: list[StrictInt] = documented("Accounts ticked when it is picked (default none)", default=[],
                                           maxItems=1000)
    appeal: AppealName | None = documented(APPEAL, default=None)


class TemplateEdit(RequestBody):
    """Fields left out stay as they are."""

    name: StrictStr | None = documented(default=None, minLength=1, maxLength=120)
    body: PostText | None = documented(TEMPLATE_TEXT, default=None)
    kind: TemplateKind | None = None
    accounts: list[StrictInt] | None = documented(default=None, maxItems=1000)
    appeal: AppealName | None = documented(APPEAL, default=None)
    retired: StrictBool | None = documented("true retires it (out of the picker), false brings it back",
                                            default=None)


class TemplateFill(RequestBody):
    values: Values = documented(VALUES, default={})


class FoundReport(RequestBody):
    text: StrictStr | None = documented("The update's own words (default: the found-safe template, filled with "
                                        "the person's name and where they were missing from)", default=None,
                                        minLength=1)
    values: Values | None = documented("Values for the found-safe template's placeholders (name, location) "
                                       "the appeal did not record", default=None)


class Template(BaseModel):
    id: int
    key: str | None = documented("The shipped library's stable key (found_safe...); null for the desk's own")
    name: str
    kind: TemplateKind
    body: str
    placeholders: list[str] = documented("The placeholder names in the text, in order of first use")
    accounts: list[int]
    appeal: AppealName | None
    revision: int = documented("Goes up by one with each edit")
    retired: bool
    retired_at: Timestamp | None
    created_at: Timestamp
    updated_at: Timestamp
    updated_by: str | None

    @classmethod
    def of(cls, t: messages_models.MessageTemplate) -> Template:
        return cls(id=t.id, key=t.key, name=t.name, kind=t.kind, body=t.body, placeholders=placeholders(t.body),
                   accounts=list(t.accounts or []), appeal=t.appeal, revision=t.revision,
                   retired=t.retired_at is not None, retired_at=t.retired_at, created_at=t.created_at,
                   updated_at=t.updated_at, updated_by=t.updated_by.username if t.updated_by else None)


class TemplateList(BaseModel):
    templates: list[Template]


class Filled(BaseModel):
    text: str = documented("The template's text with the values put in; missing placeholders stay in braces")
    missing: list[str] = documented("Placeholders without a value: fill them before submitting")

    @classmethod
    def of(cls, filled: FilledText) -> Filled:
        return cls(text=filled.text, missing=filled.missing)


class Appeal(BaseModel):
    id: int = documented("The appeal's first message")
    kind: AppealName
    status: Literal["live", "closing", "closed", "not_out", "withdrawn"] = documented(
        "live: its posts are up; closing: up, with a found update on its way; closed: withdrawn after the "
        "found update went out; not_out: nothing published yet; withdrawn: taken down without a found update")
    body: str = documented("The first message's latest text")
    incident: str | None = documented("The incident's slug")
    messages: list[int] = documented("Every message of the appeal (the first, then later appeal messages)")
    live_since: Timestamp | None = documented("When its first post went live (while it is live)")
    live_seconds: int | None = documented("How long it has been live")
    overdue: bool = documented("Live for CRIER_APPEAL_REMIND_AFTER seconds or more: remind the desk")
    found_update: int | None = documented("The found update's message id")
    found_update_status: MessageState | None
    closed_at: Timestamp | None

    @classmethod
    def of(cls, a: appeals_service.Appeal) -> Appeal:
        root, update = a.root, a.found_update
        return cls(id=root.id, kind=a.kind, status=a.status, body=root.latest.body,
                   incident=root.incident.slug if root.incident else None, messages=a.messages,
                   live_since=a.live_since, live_seconds=a.live_seconds, overdue=a.overdue,
                   found_update=update.id if update else None,
                   found_update_status=update.status if update else None, closed_at=a.closed_at)


class AppealList(BaseModel):
    appeals: list[Appeal]
    remind_after: int = documented("CRIER_APPEAL_REMIND_AFTER: seconds live before an appeal is overdue")


TEMPLATE_REQUESTS = (NewTemplate, TemplateEdit, TemplateFill, FoundReport)
TEMPLATE_RESPONSES = (Template, TemplateList, Filled, Appeal, AppealList)
