"""The deliveries table: one approved version going to one channel account, and
the states a delivery moves through."""
from __future__ import annotations

import datetime as dt
import enum
import logging
from typing import Optional

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workflow.accounts.models import ChannelAccount
from workflow.core.database import Base, BigId, UTCDateTime, enum_column, utcnow
from workflow.messages.models import Message, MessageKind, MessageVersion


class DeliveryState(enum.StrEnum):
    PENDING = "pending"  # waiting to be sent (now, or at due_at)
    SENDING = "sending"  # claimed by a worker under a lease
    RETRYING = "retrying"  # a transient failure; next attempt at next_attempt_at
    UNKNOWN = "unknown"  # the platform may have applied it: reconcile before resending
    SENT = "sent"
    FAILED = "failed"  # permanent, with a reason for the officer
    HELD = "held"  # a pause or a late approval holds it for a decision
    CANCELLED = "cancelled"  # superseded by an edit, or the message was withdrawn


class DeliveryPurpose(enum.StrEnum):
    PUBLISH = "publish"
    CORRECT = "correct"  # edit the live post (Facebook, website) or reply with a correction (X)
    WITHDRAW = "withdraw"  # delete the live post


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
    purpose: Mapped[DeliveryPurpose] = mapped_column(enum_column(DeliveryPurpose, "purpose", 20),
                                                     default=DeliveryPurpose.PUBLISH)
    # For corrections and withdrawals: the delivery whose live post is changed.
    parent_id: Mapped[Optional[int]] = mapped_column(ForeignKey("deliveries.id"))
    # "incident" or "routine": which Celery queue carries it.
    queue: Mapped[MessageKind] = mapped_column(enum_column(MessageKind, "queue", 20), default=MessageKind.ROUTINE)
    state: Mapped[DeliveryState] = mapped_column(enum_column(DeliveryState, "state", 20),
                                                 default=DeliveryState.PENDING)
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


Index("ix_deliveries_message", Delivery.message_id)


log = logging.getLogger("crier.delivery")

DS = DeliveryState

#: States in which a delivery still has work to do.
ACTIVE = frozenset({DS.PENDING, DS.SENDING, DS.RETRYING, DS.UNKNOWN})
