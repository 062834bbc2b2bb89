"""The media table: one uploaded image, as stored after it was made safe."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from workflow.core.database import Base, BigId, UTCDateTime, utcnow


class Media(Base):
    """An image as Crier stores it: re-encoded, oriented, without metadata.

    ``sha256`` is the digest of exactly the stored bytes; a version that carries
    the image binds that digest into its content hash. Once nothing live needs
    the image (its messages withdrawn, or it was never used) for the retention
    period, the scheduler removes its bytes from storage and sets ``purged_at``.
    """

    __tablename__ = "media"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    storage_key: Mapped[str] = mapped_column(String(200), unique=True)
    sha256: Mapped[str] = mapped_column(String(64))
    # CAP 1.2 gives a resource's digest as SHA-1.
    sha1: Mapped[str] = mapped_column(String(40))
    content_type: Mapped[str] = mapped_column(String(40))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    bytes: Mapped[int] = mapped_column(Integer)
    uploaded_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    purged_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)


class VersionImage(Base):
    """One image of one message version, in order, with its alt text (also in the version's hashed content)."""

    __tablename__ = "version_images"

    version_id: Mapped[int] = mapped_column(ForeignKey("message_versions.id", ondelete="CASCADE"),
                                            primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    media_id: Mapped[int] = mapped_column(ForeignKey("media.id"))
    alt: Mapped[str] = mapped_column(Text)


Index("ix_version_images_media", VersionImage.media_id)
Index("ix_media_created", Media.created_at)
