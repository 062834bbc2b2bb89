"""The insight tables: each area's places, follower collections with counts per place,
post engagement and website visits. Nothing here names a follower."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Optional

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workflow.accounts.models import ChannelAccount
from workflow.core.database import Base, BigId, UTCDateTime, enum_column, utcnow
from workflow.delivery.models import Delivery  # noqa: F401 - the deliveries and messages tables pointed at

#: The gazetteer's area for places of the force as a whole, in no one neighbourhood.
WHOLE_FORCE = "*"


class CollectionState(enum.StrEnum):
    RUNNING = "running"  # reading followers; may be waiting for a rate-limit window
    COMPLETE = "complete"
    FAILED = "failed"


class AreaPlace(Base):
    """One place name or outward postcode district of an area."""

    __tablename__ = "area_places"
    __table_args__ = (UniqueConstraint("area", "key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    area: Mapped[str] = mapped_column(String(120))
    name: Mapped[str] = mapped_column(String(120))
    # The name as the matcher compares it (workflow.insights.matching.place_key).
    key: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class AudienceCollection(Base):
    """One reading of an account's audience: its follower count and its followers' places, as counts."""

    __tablename__ = "audience_collections"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("channel_accounts.id"))
    state: Mapped[CollectionState] = mapped_column(
        enum_column(CollectionState, "state", 20), default=CollectionState.RUNNING
    )
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    followers: Mapped[Optional[int]] = mapped_column(Integer)
    # Followers whose location was read (X: every follower scanned; Facebook: those Meta placed).
    followers_read: Mapped[int] = mapped_column(Integer, default=0)
    local_followers: Mapped[Optional[int]] = mapped_column(Integer)
    # X's opaque page token where a scan stopped; no follower's id or handle.
    cursor: Mapped[Optional[str]] = mapped_column(Text)
    pages: Mapped[int] = mapped_column(Integer, default=0)
    resume_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    lease_expires_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    note: Mapped[Optional[str]] = mapped_column(Text)

    account: Mapped[ChannelAccount] = relationship()
    places: Mapped[list["PlaceCount"]] = relationship(
        back_populates="collection", cascade="all, delete-orphan", order_by="PlaceCount.place"
    )

    @property
    def local_share(self) -> float | None:
        """Local followers over followers read; None until a location was read."""
        if self.local_followers is None or not self.followers_read:
            return None
        return self.local_followers / self.followers_read


Index("ix_audience_collections_account", AudienceCollection.account_id, AudienceCollection.started_at)


class PlaceCount(Base):
    """How many followers of one collection live in one gazetteer place."""

    __tablename__ = "audience_place_counts"

    collection_id: Mapped[int] = mapped_column(
        ForeignKey("audience_collections.id", ondelete="CASCADE"), primary_key=True
    )
    place: Mapped[str] = mapped_column(String(120), primary_key=True)
    area: Mapped[str] = mapped_column(String(120))
    followers: Mapped[int] = mapped_column(Integer, default=0)

    collection: Mapped[AudienceCollection] = relationship(back_populates="places")


class PostEngagement(Base):
    """The latest public figures of one live post, and when to read them again."""

    __tablename__ = "post_engagement"

    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("deliveries.id", ondelete="CASCADE"), primary_key=True
    )
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("channel_accounts.id"))
    reactions: Mapped[int] = mapped_column(Integer, default=0)
    shares: Mapped[int] = mapped_column(Integer, default=0)
    replies: Mapped[int] = mapped_column(Integer, default=0)
    impressions: Mapped[Optional[int]] = mapped_column(Integer)
    readings: Mapped[int] = mapped_column(Integer, default=0)
    collected_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # None once the schedule is over (or the post is gone).
    next_due_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)


class PageVisit(Base):
    """Visits to one update's website page in one day, by the account whose link brought them.

    ``source`` is the account's tag, or ``direct`` for visits without one.
    """

    __tablename__ = "page_visits"
    __table_args__ = (UniqueConstraint("message_id", "source", "day"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"))
    account_id: Mapped[Optional[int]] = mapped_column(ForeignKey("channel_accounts.id"))
    source: Mapped[str] = mapped_column(String(20))
    day: Mapped[dt.date] = mapped_column(Date)
    visits: Mapped[int] = mapped_column(Integer, default=0)
