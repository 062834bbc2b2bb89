"""The notices, notice settings (channels and duty) and verification watches tables."""
from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workflow.accounts.models import User
from workflow.core.database import Base, BigId, UTCDateTime, enum_column, utcnow
from workflow.messages.models import Message


class NoticeEvent(enum.StrEnum):
    SUBMITTED = "submitted"  # to the supervisors who may verify it
    ESCALATED = "escalated"  # still unverified: to every supervisor
    REJECTED = "rejected"  # to the author, with the reason
    PUBLISHED = "published"  # to the author
    FAILED = "failed"  # a channel failed: to the author and the supervisors on duty
    UNKNOWN = "unknown"  # a channel's outcome is unknown: to the author and the supervisors on duty


class NoticeChannel(enum.StrEnum):
    LIVE = "live"  # the recipient's open consoles
    EMAIL = "email"
    WEBHOOK = "webhook"  # the team's incoming webhook


class NoticeState(enum.StrEnum):
    PENDING = "pending"  # waiting for a worker
    SENDING = "sending"  # claimed by a worker under a lease
    RETRYING = "retrying"  # a transient failure; next attempt at next_attempt_at
    SENT = "sent"
    FAILED = "failed"  # refused, or gave up after the retries
    UNKNOWN = "unknown"  # handed over, then the worker died: never sent again (at most once)
    KEPT = "kept"  # an e-mail with no mail server set: kept in the console's outbox


class WatchState(enum.StrEnum):
    WAITING = "waiting"
    ESCALATED = "escalated"
    SETTLED = "settled"  # approved, rejected or otherwise no longer waiting


class Notice(Base):
    """One event told to one recipient on one channel."""

    __tablename__ = "notices"
    __table_args__ = (
        UniqueConstraint("event_key", "recipient", "channel"),
        Index("ix_notices_state_next", "state", "next_attempt_at"),
        Index("ix_notices_user_channel", "user_id", "channel", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # Which event: one notice per recipient and channel, however often it is raised.
    event_key: Mapped[str] = mapped_column(String(200))
    event: Mapped[NoticeEvent] = mapped_column(enum_column(NoticeEvent, "event", 20))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"))
    # None for the team webhook.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    recipient: Mapped[str] = mapped_column(String(40))  # "user:<id>" or "team"
    channel: Mapped[NoticeChannel] = mapped_column(enum_column(NoticeChannel, "channel", 20))
    address: Mapped[str | None] = mapped_column(String(254))  # the e-mail address it went to
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    link: Mapped[str] = mapped_column(Text)
    state: Mapped[NoticeState] = mapped_column(enum_column(NoticeState, "state", 20), default=NoticeState.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    lease_owner: Mapped[str | None] = mapped_column(String(200))
    lease_expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Set just before the mail server or webhook is given the notice itself; a
    # claim that lapses after it may have been delivered, so it is not sent again.
    handed_over_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User | None] = relationship()
    message: Mapped[Message | None] = relationship()


class NoticeSettings(Base):
    """A person's choice of channels, and whether they are on duty (supervisors)."""

    __tablename__ = "notice_settings"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    email: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    live: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    on_duty: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    duty_changed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class VerificationWatch(Base):
    """One submission waiting for verification, escalated if it waits past ``due_at``."""

    __tablename__ = "verification_watches"
    __table_args__ = (Index("ix_verification_watches_state_due", "state", "due_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), index=True)
    submitted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    state: Mapped[WatchState] = mapped_column(enum_column(WatchState, "state", 20), default=WatchState.WAITING)
    escalated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    settled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
