"""The incidents, messages, message versions and decisions tables."""
from __future__ import annotations

import datetime as dt
import enum
from typing import TYPE_CHECKING, Optional

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workflow.accounts.models import User
from workflow.core.database import Base, BigId, UTCDateTime, enum_column, utcnow
from workflow.messages.states import MessageState

if TYPE_CHECKING:  # the delivery rows point here; the delivery models import these
    from workflow.delivery.models import Delivery


class MessageKind(enum.StrEnum):
    INCIDENT = "incident"  # the fast queue; never paused
    ROUTINE = "routine"  # may be scheduled, repeated and paused


class IncidentStatus(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class AppealKind(enum.StrEnum):
    """A message that appeals to the public about a person: closed in one step when they are found."""

    MISSING_PERSON = "missing_person"


class Verdict(enum.StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"


class Incident(Base):
    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    area: Mapped[Optional[str]] = mapped_column(String(120))
    status: Mapped[IncidentStatus] = mapped_column(enum_column(IncidentStatus, "status", 20),
                                                   default=IncidentStatus.OPEN)
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    # An exercise: its messages go only to exercise accounts, marked as such (workflow.messages.exercise).
    exercise: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The legal context an officer records: {flag: true} for each of workflow.messages.legal.FIELDS
    # that holds; the checks read it (workflow.messages.checks.service.context_of).
    legal: Mapped[dict[str, bool]] = mapped_column(JSON, default=dict, server_default=text("'{}'"))

    messages: Mapped[list["Message"]] = relationship(back_populates="incident")


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_status_updated", "status", "updated_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    slug: Mapped[str] = mapped_column(String(160), unique=True)
    # "incident" messages use the fast queue and are never paused; "routine" ones are.
    kind: Mapped[MessageKind] = mapped_column(enum_column(MessageKind, "kind", 20), default=MessageKind.ROUTINE)
    incident_id: Mapped[Optional[int]] = mapped_column(ForeignKey("incidents.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    status: Mapped[MessageState] = mapped_column(enum_column(MessageState, "status", 30),
                                                 default=MessageState.DRAFT)
    current_version: Mapped[int] = mapped_column(Integer, default=0)
    # Why the desk must act: a rejection's reason, or why a series was parked; cleared on the next submit.
    rejection_reason: Mapped[Optional[str]] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    published_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    # Made from this template, with these placeholder values (a found update reuses the name).
    template_id: Mapped[Optional[int]] = mapped_column(ForeignKey("message_templates.id"))
    template_values: Mapped[Optional[dict[str, str]]] = mapped_column(JSON)
    # An appeal (workflow.messages.appeals): its kind; a later appeal message names the first one.
    appeal: Mapped[Optional[AppealKind]] = mapped_column(enum_column(AppealKind, "appeal", 30))
    appeal_of_id: Mapped[Optional[int]] = mapped_column(ForeignKey("messages.id"))
    # A found update names the appeal it closes; the appeal's first message records when it closed.
    closes_appeal_id: Mapped[Optional[int]] = mapped_column(ForeignKey("messages.id"))
    appeal_closed_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    # The message's own legal context; it adds to its incident's (workflow.messages.legal).
    legal: Mapped[dict[str, bool]] = mapped_column(JSON, default=dict, server_default=text("'{}'"))

    author: Mapped[User] = relationship(foreign_keys=[author_id])
    incident: Mapped[Optional[Incident]] = relationship(back_populates="messages")
    versions: Mapped[list["MessageVersion"]] = relationship(
        back_populates="message", order_by="MessageVersion.number"
    )
    deliveries: Mapped[list["Delivery"]] = relationship(
        back_populates="message", order_by="Delivery.id"
    )
    decisions: Mapped[list["Decision"]] = relationship(
        back_populates="message", order_by="Decision.id"
    )

    @property
    def latest(self) -> "MessageVersion":
        return self.versions[-1]


class MessageVersion(Base):
    """An immutable version of a message: what exactly would go out, and where."""

    __tablename__ = "message_versions"
    __table_args__ = (UniqueConstraint("message_id", "number"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    editor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    body: Mapped[str] = mapped_column(Text)
    # {account_id (as str): text} for channels that carry their own wording.
    variants: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    targets: Mapped[list[int]] = mapped_column(JSON, default=list)
    publish_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    recurrence: Mapped[Optional[str]] = mapped_column(Text)  # RRULE, Europe/London
    # A correction's visible change note (shown on the website page).
    change_note: Mapped[Optional[str]] = mapped_column(Text)
    # Canonical JSON of everything that goes out (rendered texts, targets, time) and its SHA-256.
    content: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))

    message: Mapped[Message] = relationship(back_populates="versions")
    editor: Mapped[User] = relationship()


class Decision(Base):
    """A supervisor's approval or rejection of one version, bound to its hash."""

    __tablename__ = "decisions"
    __table_args__ = (
        # At most one live approval per version, whoever races for it (a voided one, after a change
        # of the legal context, leaves the same version to be verified again).
        Index(
            "uq_decisions_one_approval",
            "version_id",
            unique=True,
            sqlite_where=text("decision = 'approved' AND voided_at IS NULL"),
            postgresql_where=text("decision = 'approved' AND voided_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"))
    version_id: Mapped[int] = mapped_column(ForeignKey("message_versions.id", ondelete="CASCADE"))
    version_number: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    decision: Mapped[Verdict] = mapped_column(enum_column(Verdict, "decision", 20))
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[Optional[str]] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set when a later edit voids this approval.
    voided_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)

    message: Mapped[Message] = relationship(back_populates="decisions")
    version: Mapped[MessageVersion] = relationship()
    reviewer: Mapped[User] = relationship()


class MessageTemplate(Base):
    """An approved wording with named placeholders ({location}, {time}...), managed by supervisors."""

    __tablename__ = "message_templates"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # The shipped library's stable key (found_safe...); None for the desk's own templates.
    key: Mapped[Optional[str]] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[MessageKind] = mapped_column(enum_column(MessageKind, "kind", 20), default=MessageKind.INCIDENT)
    body: Mapped[str] = mapped_column(Text)
    # Accounts ticked when the template is picked (none by default).
    accounts: Mapped[list[int]] = mapped_column(JSON, default=list)
    # Messages made from it are appeals of this kind.
    appeal: Mapped[Optional[AppealKind]] = mapped_column(enum_column(AppealKind, "appeal", 30))
    revision: Mapped[int] = mapped_column(Integer, default=1)
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    retired_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)

    updated_by: Mapped[Optional[User]] = relationship(foreign_keys=[updated_by_id])


Index("ix_versions_message", MessageVersion.message_id)
Index("ix_messages_appeal_of", Message.appeal_of_id)
Index("ix_messages_closes_appeal", Message.closes_appeal_id)
