"""Request and response bodies of the notices API: one's own channels and duty, and the outbox."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, StrictBool

from workflow.accounts import models as accounts_models
from workflow.accounts import policy
from workflow.notices import models as notices_models

from .requests import RequestBody
from .types import Timestamp, documented

NoticeEventName = Literal["submitted", "escalated", "rejected", "published", "failed", "unknown"]
NoticeChannelName = Literal["live", "email", "webhook"]
NoticeStateName = Literal["pending", "sending", "retrying", "sent", "failed", "unknown", "kept"]


class NoticeChannelsEdit(RequestBody):
    """Fields left out stay as they are."""

    email: StrictBool | None = documented("Notices by e-mail (to the address on your account)", default=None)
    live: StrictBool | None = documented("Notices in your open consoles", default=None)


class DutyEdit(RequestBody):
    on_duty: StrictBool = documented("On duty: you are told first when a message waits for verification")


class NoticeSettings(BaseModel):
    """Your notice channels and duty."""

    username: str
    email: bool = documented("E-mail notices on")
    live: bool = documented("Live notices in the console on")
    email_address: str | None = documented("Where e-mail notices go (set by an admin)")
    on_duty: bool
    may_be_on_duty: bool = documented("Whether you verify messages, and so may go on duty")

    @classmethod
    def of(cls, user: accounts_models.User, chosen: notices_models.NoticeSettings) -> NoticeSettings:
        return cls(username=user.username, email=bool(chosen.email), live=bool(chosen.live),
                   email_address=user.email, on_duty=bool(chosen.on_duty),
                   may_be_on_duty=policy.is_supervisor(user))


class Duty(BaseModel):
    username: str
    on_duty: bool


class Notice(BaseModel):
    id: int
    event: NoticeEventName
    message: int | None
    recipient: str | None = documented("The username told, or null for the team webhook")
    channel: NoticeChannelName
    state: NoticeStateName
    subject: str
    link: str = documented("Where the notice sends its reader in the console")
    attempts: int = documented(minimum=0)
    last_error: str | None
    created_at: Timestamp
    sent_at: Timestamp | None

    @classmethod
    def of(cls, n: notices_models.Notice) -> Notice:
        return cls(id=n.id, event=str(n.event), message=n.message_id, recipient=n.user.username if n.user else None,
                   channel=str(n.channel), state=str(n.state), subject=n.subject, link=n.link,
                   attempts=n.attempts, last_error=n.last_error, created_at=n.created_at, sent_at=n.sent_at)


class NoticeList(BaseModel):
    notices: list[Notice]
    page: int = documented("This page's number (from 1)", default=1)
    more: bool = documented("Whether another page follows", default=False)


REQUEST_MODELS = (NoticeChannelsEdit, DutyEdit)
RESPONSE_MODELS = (NoticeSettings, Duty, Notice, NoticeList)
