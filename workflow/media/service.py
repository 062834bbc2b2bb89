"""Uploading images, attaching them to versions with their alt texts, reading
them back for the worker (checked against the verified digest), and removing
the bytes nobody needs any more after the retention period."""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
from typing import Any, Sequence

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import Session

from channels.base import Image
from workflow.accounts import policy
from workflow.accounts.models import User
from workflow.audit import chain as audit
from workflow.core.config import Settings
from workflow.core.database import utcnow
from workflow.core.errors import CrierError, ValidationError
from workflow.core.runtime import settings_of
from workflow.core.text import clean_text
from workflow.core.unit_of_work import transactional
from workflow.media.images import clean_image
from workflow.media.models import Media, VersionImage
from workflow.media.storage import StorageError, store_for
from workflow.messages.models import Message, MessageVersion
from workflow.messages.states import MessageState

log = logging.getLogger("crier.media")

MAX_IMAGES = 4
MAX_ALT_CHARS = 1000
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/gif": "gif", "image/webp": "webp"}


@transactional
def upload(session: Session, user: User, data: bytes) -> Media:
    """Make ``data`` safe and store it; refused whole (400/413) when it is not an image Crier takes."""
    policy.require(user, policy.Action.DRAFT)
    settings = settings_of(session)
    image = clean_image(data, settings.media_max_bytes)
    digest = image.sha256
    key = f"{digest}.{EXTENSIONS[image.content_type]}"
    existing = session.execute(select(Media).where(Media.storage_key == key)).scalar_one_or_none()
    store_for(settings).put(key, image.data, image.content_type)
    if existing is not None:
        # The same pixels again: one row, its bytes back in place if they had been purged.
        existing.purged_at = None
        existing.created_at = utcnow()
        return existing
    media = Media(storage_key=key, sha256=digest, sha1=hashlib.sha1(image.data).hexdigest(),
                  content_type=image.content_type, width=image.width,
                  height=image.height, bytes=len(image.data), uploaded_by_id=user.id)
    session.add(media)
    session.flush()
    audit.record(session, user, "media.uploaded", media_id=media.id, sha256=digest, bytes=media.bytes,
                 content_type=media.content_type)
    return media


def validate_images(session: Session, value: Any) -> list[dict[str, Any]]:
    """``[{media, alt}]`` checked whole: known, unpurged images, alt text present, at most 1,000 characters.

    Returns the images as a version records them, each with its digest. (Alt
    text over 250 characters is accepted; the checks warn about it.)
    """
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValidationError("images must be a list of {media, alt}", field="images")
    if len(value) > MAX_IMAGES:
        raise ValidationError(f"at most {MAX_IMAGES} images per message", field="images")
    images: list[dict[str, Any]] = []
    for number, item in enumerate(value, 1):
        name = f"image {number}"
        if not isinstance(item, dict) or set(item) - {"media", "alt"}:
            raise ValidationError(f"{name} must be an object with media and alt only", field="images")
        media_id = item.get("media")
        if isinstance(media_id, bool) or not isinstance(media_id, int):
            raise ValidationError(f"{name} needs media: the id of an uploaded image", field="images")
        alt = item.get("alt")
        if alt is None or (isinstance(alt, str) and not alt.strip()):
            raise ValidationError(f"{name} needs alt text describing it for people who cannot see it",
                                  field="images")
        alt = clean_text(alt, f"the alt text of {name}", MAX_ALT_CHARS, "images").strip()
        media = session.get(Media, media_id) if 0 < media_id < 2**62 else None
        if media is None or media.purged_at is not None:
            raise ValidationError(f"{name}: there is no uploaded image {media_id}", field="images")
        if any(i["media"] == media.id for i in images):
            raise ValidationError(f"{name} is the same image as an earlier one", field="images")
        images.append({"media": media.id, "alt": alt, "sha256": media.sha256, "sha1": media.sha1,
                       "content_type": media.content_type,
                       "width": media.width, "height": media.height, "bytes": media.bytes})
    return images


def attach(session: Session, version: MessageVersion, images: Sequence[dict[str, Any]]) -> None:
    """Record which images ``version`` carries (the link rows beside its hashed content)."""
    for position, image in enumerate(images):
        session.add(VersionImage(version_id=version.id, position=position, media_id=image["media"],
                                 alt=image["alt"]))
    session.flush()


def load_images(settings: Settings, images: Sequence[dict[str, Any]]) -> tuple[Image, ...]:
    """The verified images' bytes, each checked against the digest the version's hash covers."""
    store = store_for(settings)
    loaded = []
    for number, image in enumerate(images, 1):
        key = f"{image['sha256']}.{EXTENSIONS[image['content_type']]}"
        data = store.get(key)
        if data is None:
            raise CrierError(f"image {number} of the verified version is no longer in storage")
        if _sha256(data) != image["sha256"]:
            raise CrierError(f"image {number} in storage is not the verified image")
        loaded.append(Image(data=data, content_type=image["content_type"], alt=image["alt"],
                            sha256=image["sha256"], width=image.get("width") or 0,
                            height=image.get("height") or 0))
    return tuple(loaded)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_media(session: Session, media_id: int) -> tuple[Media, bytes] | None:
    """A stored image and its bytes (None if unknown or purged)."""
    media = session.get(Media, media_id)
    if media is None or media.purged_at is not None:
        return None
    data = store_for(settings_of(session)).get(media.storage_key)
    return (media, data) if data is not None else None


def purge_expired(session: Session, now: dt.datetime | None = None, limit: int = 200) -> list[int]:
    """Remove from storage the images nothing live needs, once the retention period has passed.

    An image is kept while any version of a message that is not withdrawn
    carries it, and for ``CRIER_MEDIA_RETENTION_DAYS`` after its upload and
    after its last message was withdrawn. Returns the ids removed.
    """
    settings = settings_of(session)
    now = now or utcnow()
    cutoff = now - dt.timedelta(days=settings.media_retention_days)
    needed = exists().where(
        VersionImage.media_id == Media.id, VersionImage.version_id == MessageVersion.id,
        MessageVersion.message_id == Message.id,
        or_(Message.status != MessageState.WITHDRAWN,
            and_(Message.withdrawn_at.is_not(None), Message.withdrawn_at > cutoff)))
    rows = session.execute(select(Media).where(Media.purged_at.is_(None), Media.created_at < cutoff, ~needed)
                           .order_by(Media.id).limit(limit)).scalars().all()
    store = store_for(settings)
    removed = []
    for media in rows:
        try:
            store.delete(media.storage_key)
        except StorageError:
            log.warning("could not remove image %s from storage; trying again later", media.id)
            continue
        media.purged_at = now
        removed.append(media.id)
    if removed:
        audit.record(session, None, "media.purged", media_ids=removed)
    return removed
