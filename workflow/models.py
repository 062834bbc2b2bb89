"""Crier's tables as typed SQLAlchemy 2 models.

Migrations live beside them in ``workflow/migrations``; the same migrations run
on SQLite (the embedded default) and PostgreSQL (production).
"""
from __future__ import annotations

import datetime as dt
import enum
from typing import Any, Optional

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .db import Base, UTCDateTime, utcnow
from .states import MessageState

# BIGINT on PostgreSQL, INTEGER (the rowid alias) on SQLite.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Role(str, enum.Enum):
    OFFICER = "officer"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


class ChannelKind(str, enum.Enum):
    X = "x"
    FACEBOOK = "facebook"
    WEBSITE = "website"


class DeliveryState(str, enum.Enum):
    PENDING = "pending"  # waiting to be sent (now, or at due_at)
    SENDING = "sending"  # claimed by a worker under a lease
    RETRYING = "retrying"  # a transient failure; next attempt at next_attempt_at
    UNKNOWN = "unknown"  # the platform may have applied it: reconcile before resending
    SENT = "sent"
    FAILED = "failed"  # permanent, with a reason for the officer
    HELD = "held"  # a pause or a late approval holds it for a decision
    CANCELLED = "cancelled"  # superseded by an edit, or the message was withdrawn


class DeliveryPurpose(str, enum.Enum):
    PUBLISH = "publish"
    CORRECT = "correct"  # edit the live post (Facebook, website) or reply with a correction (X)
    WITHDRAW = "withdraw"  # delete the live post


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(120), default="")
    email: Mapped[Optional[str]] = mapped_column(String(254))
    role: Mapped[Role] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Console sessions carry the generation they were signed in under; bumping
    # it (sign-out, password, role, disable, second factor reset) ends them all.
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    # TOTP second factor: the secret encrypted like channel credentials, set at
    # enrolment and confirmed (totp_enabled_at) by a first good code; the last
    # time step accepted, so that a code is never accepted twice.
    totp_secret_encrypted: Mapped[Optional[bytes]] = mapped_column(LargeBinary)
    totp_enabled_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    totp_last_step: Mapped[Optional[int]] = mapped_column(BigInteger)

    tokens: Mapped[list["ApiToken"]] = relationship(back_populates="user")
    recovery_codes: Mapped[list["RecoveryCode"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True)

    @property
    def has_totp(self) -> bool:
        return self.totp_enabled_at is not None

    @property
    def is_supervisor(self) -> bool:
        return self.role in (Role.SUPERVISOR, Role.ADMIN, "supervisor", "admin")

    @property
    def name(self) -> str:
        return self.display_name or self.username


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120), default="")
    # SHA-256 of the token; the token itself is shown once and never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    revoked_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(back_populates="tokens")


class RecoveryCode(Base):
    """A one-time code that stands in for the TOTP code; only its hash is kept."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(back_populates="recovery_codes")


class Incident(Base):
    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    area: Mapped[Optional[str]] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(20), default="open")  # open | closed
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)

    messages: Mapped[list["Message"]] = relationship(back_populates="incident")


class ChannelAccount(Base):
    __tablename__ = "channel_accounts"
    __table_args__ = (UniqueConstraint("kind", "name"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[ChannelKind] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(120))
    # None means force-wide; otherwise the neighbourhood area it serves.
    area: Mapped[Optional[str]] = mapped_column(String(120))
    # Fernet token of the credentials JSON; never returned or logged.
    credentials_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    # Non-secret settings shown to users (e.g. handle, page id).
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default="active")  # active | reconnect | disabled
    status_reason: Mapped[Optional[str]] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def scope(self) -> str:
        return self.area or "Force-wide"


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_status_updated", "status", "updated_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    slug: Mapped[str] = mapped_column(String(160), unique=True)
    # "incident" messages use the fast queue and are never paused; "routine" ones are.
    kind: Mapped[str] = mapped_column(String(20), default="routine")
    incident_id: Mapped[Optional[int]] = mapped_column(ForeignKey("incidents.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    status: Mapped[MessageState] = mapped_column(String(30), default=MessageState.DRAFT)
    current_version: Mapped[int] = mapped_column(Integer, default=0)
    # Why the desk must act: a rejection's reason, or why a series was parked; cleared on the next submit.
    rejection_reason: Mapped[Optional[str]] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    published_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)

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
        # At most one live approval per version, whoever races for it.
        Index(
            "uq_decisions_one_approval",
            "version_id",
            unique=True,
            sqlite_where=text("decision = 'approved'"),
            postgresql_where=text("decision = 'approved'"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"))
    version_id: Mapped[int] = mapped_column(ForeignKey("message_versions.id", ondelete="CASCADE"))
    version_number: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    decision: Mapped[str] = mapped_column(String(20))  # approved | rejected
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[Optional[str]] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set when a later edit voids this approval.
    voided_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)

    message: Mapped[Message] = relationship(back_populates="decisions")
    version: Mapped[MessageVersion] = relationship()
    reviewer: Mapped[User] = relationship()


class Delivery(Base):
    """One approved version going to one channel account (one occurrence of it)."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("version_id", "account_id", "purpose", "due_at"),
        Index("ix_deliveries_due", "state", "due_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"))
    version_id: Mapped[int] = mapped_column(ForeignKey("message_versions.id", ondelete="CASCADE"))
    account_id: Mapped[int] = mapped_column(ForeignKey("channel_accounts.id"))
    purpose: Mapped[DeliveryPurpose] = mapped_column(String(20), default=DeliveryPurpose.PUBLISH)
    # For corrections and withdrawals: the delivery whose live post is changed.
    parent_id: Mapped[Optional[int]] = mapped_column(ForeignKey("deliveries.id"))
    # "incident" or "routine": which Celery queue carries it.
    queue: Mapped[str] = mapped_column(String(20), default="routine")
    state: Mapped[DeliveryState] = mapped_column(String(20), default=DeliveryState.PENDING)
    # When it should go out (the schedule, or the occurrence of a recurring series).
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_attempt_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[Optional[str]] = mapped_column(Text)
    # The live post: its id and public URL (for an X thread, the first part).
    remote_id: Mapped[Optional[str]] = mapped_column(String(200))
    url: Mapped[Optional[str]] = mapped_column(Text)
    # Ids of the parts already posted, so a thread resumes where it stopped.
    posted_parts: Mapped[list[str]] = mapped_column(JSON, default=list)
    lease_owner: Mapped[Optional[str]] = mapped_column(String(200))
    lease_expires_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    sent_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)

    message: Mapped[Message] = relationship(back_populates="deliveries")
    version: Mapped[MessageVersion] = relationship()
    account: Mapped[ChannelAccount] = relationship()
    parent: Mapped[Optional["Delivery"]] = relationship(remote_side=[id])


class Pause(Base):
    """"Pause routine posts": while a pause is active, nothing routine leaves."""

    __tablename__ = "pauses"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    reason: Mapped[str] = mapped_column(Text)
    # Empty lists mean every account and every area.
    account_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    areas: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    lifted_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    lifted_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)

    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    lifted_by: Mapped[Optional[User]] = relationship(foreign_keys=[lifted_by_id])


class AuditEvent(Base):
    """Append-only, hash-chained record of every state change."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    actor: Mapped[str] = mapped_column(String(120))  # username, or "system"
    action: Mapped[str] = mapped_column(String(60))
    message_id: Mapped[Optional[int]] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    version_number: Mapped[Optional[int]] = mapped_column(Integer)
    content_hash: Mapped[Optional[str]] = mapped_column(String(64))
    # Canonical JSON of the details (e.g. the exact text, a reason, a remote id).
    details: Mapped[str] = mapped_column(Text, default="{}")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    # HMAC of the event's id and hash with the audit key, which is kept outside
    # the database: a chain rewritten and re-hashed without the key is detected.
    mac: Mapped[Optional[str]] = mapped_column(String(64))


Index("ix_audit_message", AuditEvent.message_id)
Index("ix_deliveries_message", Delivery.message_id)
Index("ix_versions_message", MessageVersion.message_id)
