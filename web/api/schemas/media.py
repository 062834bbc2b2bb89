"""The shapes of images: an upload as stored, and one image of a version as its content hash covers it."""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

from .types import Sha256, documented


class MediaUploaded(BaseModel):
    """An uploaded image as Crier stores it (re-encoded, without metadata)."""

    id: int
    width: int
    height: int
    bytes: int
    content_type: Literal["image/jpeg", "image/png", "image/gif", "image/webp"]

    @classmethod
    def of(cls, media: Any) -> MediaUploaded:
        return cls(id=media.id, width=media.width, height=media.height, bytes=media.bytes,
                   content_type=media.content_type)


class VersionImage(BaseModel):
    """One image of a version, as its content hash covers it."""

    media: int
    alt: str
    sha256: Sha256
    sha1: str = documented("SHA-1 of the bytes (the digest CAP 1.2 resources carry)")
    content_type: str
    width: int
    height: int
    bytes: int
