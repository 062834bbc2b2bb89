"""Response bodies, each built from the ORM objects by a small ``of`` classmethod."""
from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, WithJsonSchema
from sqlalchemy.orm import Session

from workflow.accounts import models as accounts_models
from workflow.accounts.models import ChannelKind, Role
from workflow.delivery import models as delivery_models
from workflow.delivery.models import DeliveryPurpose, DeliveryState
from workflow.messages import legal
from workflow.messages import models as messages_models
from workflow.messages.checks import checks_for, context_of
from workflow.messages.states import MessageState
from workflow.messages.versions import stored_images, stored_rendering
from workflow.notices.queries import is_overdue, overdue_ids
from workflow.scheduling import models as scheduling_models
from workflow.website.urls import incident_link, message_link

from .media import MediaUploaded, VersionImage
from .types import Sha256, Timestamp, documented

MessageKind = Literal["incident", "routine"]


class ErrorDetail(BaseModel):
    code: str = documented("A stable machine-readable code, e.g. invalid, not_found, stale_version, "
                           "two_person_rule")
    message: str = documented("What is wrong, in plain words")
    field: str = documented("The request field at fault, if one is", default=None)
    missing: list[str] = documented("unacknowledged_checks: the ids of the findings not acknowledged",
                                    default=None)


class Error(BaseModel):
    """Every error answer: ``{"error": {"code", "message", "field"?}}``."""

    error: Annotated[ErrorDetail, WithJsonSchema(ErrorDetail.model_json_schema())]

    @classmethod
    def body(cls, code: str, message: str, field: str | None = None, **details: Any) -> dict[str, Any]:
        """The JSON of an error answer (``field`` only where one is at fault, ``details`` where given)."""
        detail = ErrorDetail(code=code, message=message, **({"field": field} if field else {}), **details)
        return cls(error=detail).model_dump(mode="json", exclude_unset=True)


class Problem(BaseModel):
    level: Literal["error", "warning"]
    code: str
    message: str
    # Legal and privacy findings also carry these; the verifier acknowledges each by its id.
    id: str = documented("A finding's id, stable for this version", default=None)
    severity: Literal["warning", "serious"] = documented("How grave a finding is", default=None)
    start: int = documented("Where the finding's text starts in the post (characters)", default=None)
    end: int = documented("Where it ends", default=None)
    found: str = documented("What was found", default=None)
    why: str = documented("Why it matters", default=None)
    action: str = documented("What to do", default=None)


#: Problems per target account id, plus ``all`` for warnings about the wording. An ``error``
#: blocks submission; a ``warning`` is for the supervisor to weigh.
Checks = dict[str, list[Problem]]


def _checks(session: Session, message: messages_models.Message) -> Checks:
    return checks_for(session, message, message.latest)


class AccountHealth(BaseModel):
    last_success_at: Timestamp | None = documented("When a post or check on the account last succeeded")
    last_error_at: Timestamp | None = documented("When a post or check on the account last failed")
    last_error: str | None = documented("What the platform said then")
    reconnect_needed: bool = documented("The platform refused the credentials: an administrator must "
                                        "reconnect the account")

    @classmethod
    def of(cls, account: accounts_models.ChannelAccount) -> AccountHealth:
        return cls(last_success_at=account.last_success_at, last_error_at=account.last_error_at,
                   last_error=account.last_error, reconnect_needed=bool(account.reconnect_needed))
class LegalFlags(BaseModel):
    """The legal context: each flag true or false."""

    proceedings_active: bool = documented(legal.LABELS["proceedings_active"])
    arrest_made: bool = documented(legal.LABELS["arrest_made"])
    charged: bool = documented(legal.LABELS["charged"])
    sexual_offence: bool = documented(legal.LABELS["sexual_offence"])
    child_involved: bool = documented(legal.LABELS["child_involved"])
    death: bool = documented(legal.LABELS["death"])
    family_informed: bool = documented(legal.LABELS["family_informed"])
    formally_identified: bool = documented(legal.LABELS["formally_identified"])
    reporting_restriction: bool = documented(legal.LABELS["reporting_restriction"])

    @classmethod
    def of(cls, stored: dict | None) -> LegalFlags:
        return cls(**legal.flags(stored))


class Account(BaseModel):
    id: int
    kind: ChannelKind
    name: str
    area: str | None
    status: Literal["active", "reconnect", "disabled"]
    status_reason: str | None
    settings: dict[str, Any] = documented("Non-secret settings (handle, page id); credentials are never "
                                          "returned")
    exercise: bool = documented("A sandbox account for exercises", default=False)
    health: AccountHealth

    @classmethod
    def of(cls, account: accounts_models.ChannelAccount) -> Account:
        return cls(id=account.id, kind=account.kind, name=account.name, area=account.area,
                   status=account.status, status_reason=account.status_reason,
                   settings=dict(account.settings or {}), exercise=bool(account.exercise),
                   health=AccountHealth.of(account))


class AccountList(BaseModel):
    accounts: list[Account]


class StatusOnly(BaseModel):
    id: int
    version: int
    status: MessageState

    @classmethod
    def of(cls, message: messages_models.Message) -> StatusOnly:
        return cls(**_status(message))


def _status(message: messages_models.Message) -> dict[str, Any]:
    return {"id": message.id, "version": message.current_version, "status": message.status}


class Rejected(StatusOnly):
    rejection_reason: str

    @classmethod
    def of(cls, message: messages_models.Message) -> Rejected:
        return cls(**_status(message), rejection_reason=message.rejection_reason)


class Edited(StatusOnly):
    content_hash: Sha256
    checks: Checks

    @classmethod
    def of(cls, session: Session, message: messages_models.Message, **more: Any) -> Edited:  # type: ignore[override]
        """The new version's status, hash and checks; ``more`` fills a subclass's own fields."""
        return cls(**_status(message), content_hash=message.latest.content_hash,
                   checks=_checks(session, message), **more)


class Created(Edited):
    slug: str


class Corrected(Edited):
    change_note: str | None


class MessageSummary(BaseModel):
    id: int
    status: MessageState
    version: int
    kind: MessageKind
    author: str
    updated_at: Timestamp
    body: str
    overdue: bool = documented("Waiting for verification past its escalation time", default=False)

    @classmethod
    def of(cls, m: messages_models.Message, overdue: bool = False) -> MessageSummary:
        return cls(id=m.id, status=m.status, version=m.current_version, kind=m.kind, author=m.author.username,
                   updated_at=m.updated_at, body=m.latest.body if m.versions else "", overdue=overdue)

    @classmethod
    def many(cls, session: Session, messages: list[messages_models.Message]) -> list[MessageSummary]:
        """Summaries of ``messages``, which are overdue read in one query."""
        late = overdue_ids(session, [m.id for m in messages])
        return [cls.of(m, m.id in late) for m in messages]


class MessageList(BaseModel):
    messages: list[MessageSummary]
    page: int = documented("This page's number (from 1)", default=1)
    limit: int = documented("Messages a page", default=50)
    more: bool = documented("Whether another page follows", default=False)


class Version(BaseModel):
    number: int
    editor: str | None
    created_at: Timestamp
    body: str
    variants: dict[str, str]
    accounts: list[int]
    publish_at: Timestamp | None
    recurrence: str | None
    change_note: str | None
    link: str | None = documented("The website link the posts carry")
    posts: dict[str, list[str]] = documented(
        "Each target account's exact posts (thread parts in order), rendered once when the version "
        "was made and covered by content_hash")
    content_hash: Sha256
    images: list[VersionImage] = documented("The images, in order, with their alt texts (covered by content_hash)",
                                            default=[])

    @classmethod
    def of(cls, version: messages_models.MessageVersion) -> Version:
        rendering = stored_rendering(version)
        return cls(number=version.number, editor=version.editor.username if version.editor else None,
                   created_at=version.created_at, body=version.body, variants=dict(version.variants or {}),
                   accounts=list(version.targets), publish_at=version.publish_at,
                   recurrence=version.recurrence, change_note=version.change_note, link=rendering.link,
                   posts=rendering.posts, content_hash=version.content_hash,
                   images=[VersionImage(**i) for i in stored_images(version)])


class Decision(BaseModel):
    version: int
    decision: Literal["approved", "rejected"]
    reviewer: str
    reason: str | None
    at: Timestamp
    voided: bool = documented("A later edit voided this approval")

    @classmethod
    def of(cls, d: messages_models.Decision) -> Decision:
        return cls(version=d.version_number, decision=d.decision, reviewer=d.reviewer.username,
                   reason=d.reason, at=d.created_at, voided=d.voided_at is not None)


class Delivery(BaseModel):
    id: int
    account: int
    account_name: str | None
    kind: ChannelKind | None
    version: int | None
    purpose: DeliveryPurpose
    state: DeliveryState
    due_at: Timestamp | None
    remote_id: str | None
    url: str | None
    attempts: int = documented(minimum=0)
    last_error: str | None

    @classmethod
    def of(cls, d: delivery_models.Delivery) -> Delivery:
        return cls(id=d.id, account=d.account_id, account_name=d.account.name if d.account else None,
                   kind=d.account.kind if d.account else None, version=d.version.number if d.version else None,
                   purpose=d.purpose, state=d.state, due_at=d.due_at, remote_id=d.remote_id, url=d.url,
                   attempts=d.attempts, last_error=d.last_error)


class Message(BaseModel):
    """A message with its versions, decisions and deliveries (and its checks where asked for)."""

    id: int
    slug: str
    kind: MessageKind
    incident: str | None = documented("The incident's slug")
    status: MessageState
    version: int = documented("The latest version's number")
    author: str
    rejection_reason: str | None
    overdue: bool = documented("Waiting for verification past its escalation time (CRIER_VERIFY_ESCALATE_AFTER): "
                               "every supervisor has been told again")
    link: str = documented("The message's page on the force website")
    versions: list[Version]
    decisions: list[Decision]
    deliveries: list[Delivery]
    legal: LegalFlags = documented("The message's own legal context (it adds to its incident's)")
    legal_in_effect: LegalFlags = documented("The legal context the checks read: the incident's with the "
                                             "message's own added")
    checks: Checks = documented(default=None)
    template: int | None = documented("The template it was made from")
    appeal: Literal["missing_person"] | None = documented("An appeal of this kind (see GET /appeals)")
    appeal_of: int | None = documented("The first message of the appeal this later appeal message belongs to")
    closes_appeal: int | None = documented("A found update: the first message of the appeal it closes once out")
    appeal_closed_at: Timestamp | None = documented("The first message of an appeal: when it was closed")

    @classmethod
    def of(cls, session: Session, message: messages_models.Message, with_checks: bool = False) -> Message:
        more = {"checks": _checks(session, message)} if with_checks else {}
        return cls(template=message.template_id, appeal=message.appeal, appeal_of=message.appeal_of_id,
                   closes_appeal=message.closes_appeal_id, appeal_closed_at=message.appeal_closed_at,
                   id=message.id, slug=message.slug, kind=message.kind,
                   incident=message.incident.slug if message.incident else None, status=message.status,
                   version=message.current_version, author=message.author.username,
                   rejection_reason=message.rejection_reason, overdue=is_overdue(session, message.id),
                   link=message_link(session, message),
                   versions=[Version.of(v) for v in message.versions],
                   decisions=[Decision.of(d) for d in message.decisions],
                   deliveries=[Delivery.of(d) for d in message.deliveries],
                   legal=LegalFlags.of(message.legal),
                   legal_in_effect=LegalFlags.of({name: True for name in context_of(message).ticked()}), **more)


class Pause(BaseModel):
    id: int
    reason: str
    accounts: list[int]
    areas: list[str]
    created_by: str | None
    created_at: Timestamp | None
    lifted_by: str | None
    lifted_at: Timestamp | None
    active: bool

    @classmethod
    def of(cls, pause: scheduling_models.Pause) -> Pause:
        return cls(id=pause.id, reason=pause.reason, accounts=list(pause.account_ids or []),
                   areas=list(pause.areas or []),
                   created_by=pause.created_by.username if pause.created_by else None,
                   created_at=pause.created_at, lifted_by=pause.lifted_by.username if pause.lifted_by else None,
                   lifted_at=pause.lifted_at, active=pause.lifted_at is None)


class PauseList(BaseModel):
    pauses: list[Pause]


class LiftedPauses(BaseModel):
    lifted: list[Pause]


class User(BaseModel):
    """The admin view of a user (never a password hash or a second-factor secret)."""

    username: str
    display_name: str
    role: Role
    active: bool
    email: str | None
    two_factor: bool
    created_at: Timestamp | None

    @classmethod
    def of(cls, user: accounts_models.User) -> User:
        return cls(username=user.username, display_name=user.display_name, role=user.role,
                   active=bool(user.active), email=user.email, two_factor=user.totp_enabled_at is not None,
                   created_at=user.created_at)


class UserList(BaseModel):
    users: list[User]


class Incident(BaseModel):
    id: int
    slug: str
    title: str
    area: str | None
    status: Literal["open", "closed"]
    created_at: Timestamp
    closed_at: Timestamp | None
    exercise: bool = documented("An exercise: its messages go only to exercise accounts")
    link: str = documented("The incident's public timeline on the force website")
    legal: LegalFlags = documented("The incident's legal context, which the checks of its messages read")

    @classmethod
    def fields_of(cls, session: Session, incident: messages_models.Incident) -> dict[str, Any]:
        return dict(id=incident.id, slug=incident.slug, title=incident.title, area=incident.area,
                    status=incident.status, created_at=incident.created_at, closed_at=incident.closed_at,
                    exercise=bool(incident.exercise),
                    link=incident_link(session, incident), legal=LegalFlags.of(incident.legal))

    @classmethod
    def of(cls, session: Session, incident: messages_models.Incident) -> Incident:
        return cls(**cls.fields_of(session, incident))


class IncidentDetail(Incident):
    """An incident with every message in it, oldest first."""

    messages: list[MessageSummary]

    @classmethod
    def of(cls, session: Session, incident: messages_models.Incident) -> IncidentDetail:
        ordered = sorted(incident.messages, key=lambda m: (m.created_at, m.id))
        return cls(**Incident.fields_of(session, incident), messages=MessageSummary.many(session, ordered))


class IncidentList(BaseModel):
    incidents: list[Incident]


RESPONSE_MODELS: tuple[type[BaseModel], ...] = (
    Error, Problem, LegalFlags, Account, AccountList, StatusOnly, Rejected, Edited, Created, Corrected, MessageSummary,
    MessageList, Version, Decision, Delivery, Message, Pause, PauseList, LiftedPauses, User, UserList,
    Incident, IncidentDetail, IncidentList, MediaUploaded, VersionImage)
