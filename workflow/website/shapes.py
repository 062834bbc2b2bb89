"""The shapes the public pages and feeds are drawn from: updates, changes,
incident timelines, CAP alerts and cache validators."""
from __future__ import annotations

import dataclasses
import datetime as dt
import re

from channels.website.urls import IMAGE_EXTENSIONS, image_name
from workflow.delivery.models import DeliveryPurpose, DeliveryState
from workflow.messages.states import MessageState

ORDER_PUBLISHED = "published"

ORDER_UPDATED = "updated"

_SENT = DeliveryState.SENT

_SHOWN = (DeliveryPurpose.PUBLISH, DeliveryPurpose.CORRECT)

_WITHDRAW = DeliveryPurpose.WITHDRAW

_STATUS_WITHDRAWN = MessageState.WITHDRAWN

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)

# C0 and C1 controls (except tab and newline), lone surrogates and the two
# non-characters: none can appear in XML 1.0, and none means anything on a page.
_UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def public_text(value: str | None) -> str:
    """``value`` fit for a public page or feed: newlines normalised, control characters removed."""
    if not value:
        return ""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    return _UNPRINTABLE.sub("", text)


@dataclasses.dataclass(frozen=True)
class IncidentRef:
    """The incident an update belongs to, as the public sees it."""

    id: int
    slug: str
    title: str
    area: str | None
    status: str
    exercise: bool = False  # an exercise: its pages and CAP alerts say so

    @property
    def closed(self) -> bool:
        """Whether the incident is over."""
        return self.status == "closed"


@dataclasses.dataclass(frozen=True)
class Change:
    """One correction shown on a page: the version, its change note and when it went live."""

    version: int
    note: str | None
    at: dt.datetime


@dataclasses.dataclass(frozen=True)
class PublicImage:
    """One image of the shown version, as the website serves it (stored bytes, no metadata)."""

    number: int  # 1-based position
    alt: str
    sha256: str
    sha1: str
    content_type: str
    width: int
    height: int
    bytes: int

    @property
    def extension(self) -> str:
        return IMAGE_EXTENSIONS[self.content_type]

    @property
    def file_name(self) -> str:
        """The image's file name under its update's address: position and digest, so a new image is a new name."""
        return image_name(self.number, self.sha256, self.content_type)

    @property
    def storage_key(self) -> str:
        return f"{self.sha256}.{self.extension}"


@dataclasses.dataclass(frozen=True)
class PublicUpdate:
    """One message as the website shows it."""

    message_id: int
    slug: str
    kind: str
    text: str
    version: int
    #: When the website first showed the message.
    published: dt.datetime
    #: When the website first showed the version it shows now (the last correction's time).
    updated: dt.datetime
    created_at: dt.datetime
    incident: IncidentRef | None
    #: The shown version's change note, when it is a correction.
    change_note: str | None
    corrected: bool
    #: Every correction, oldest first (filled in for a single page only).
    changes: tuple[Change, ...] = ()
    #: The shown version's images, in order.
    images: tuple[PublicImage, ...] = ()

    @property
    def headline(self) -> str:
        """The incident's title, or the text's first line cut to a headline's length."""
        if self.incident is not None and self.incident.title.strip():
            return self.incident.title.strip()
        first = next((line.strip() for line in self.text.split("\n") if line.strip()), "Update")
        if len(first) <= 90:
            return first
        cut = first[:90].rsplit(" ", 1)[0].rstrip(" ,;:.-") or first[:90]
        return cut + "…"

    @property
    def paragraphs(self) -> list[list[str]]:
        """The text as paragraphs (split at blank lines), each a list of lines."""
        blocks = re.split(r"\n\s*\n", self.text.strip())
        return [[line for line in block.split("\n")] for block in blocks if block.strip()]

    def cursor(self, order: str = ORDER_PUBLISHED) -> str:
        """The opaque ``before`` value that lists the updates after this one."""
        at = self.updated if order == ORDER_UPDATED else self.published
        return f"{(at - _EPOCH) // dt.timedelta(microseconds=1)}-{self.message_id}"


@dataclasses.dataclass(frozen=True)
class UpdateLookup:
    """What the website has at one update's address."""

    status: str  # LIVE, WITHDRAWN or NOT_FOUND
    slug: str
    update: PublicUpdate | None = None
    withdrawn_at: dt.datetime | None = None


@dataclasses.dataclass(frozen=True)
class IncidentTimeline:
    """Every update of one incident still on the website, oldest first."""

    status: str  # LIVE, WITHDRAWN (every update withdrawn) or NOT_FOUND
    incident: IncidentRef | None
    updates: tuple[PublicUpdate, ...] = ()

    @property
    def updated(self) -> dt.datetime | None:
        """When the timeline last changed (its latest update or correction)."""
        return max((u.updated for u in self.updates), default=None)


@dataclasses.dataclass(frozen=True)
class CapAlert:
    """The current CAP alert of one incident update.

    ``msg_type`` is "Alert" for the first version on the website, "Update" for a
    correction and "Cancel" after a withdrawal. ``references`` lists every
    earlier alert of the same message as (identifier, sent), oldest first.
    ``update`` is None for a Cancel, which never repeats the withdrawn text.
    """

    identifier: str
    message_id: int
    slug: str
    msg_type: str
    sent: dt.datetime
    incident: IncidentRef
    references: tuple[tuple[str, dt.datetime], ...]
    update: PublicUpdate | None
    created_at: dt.datetime


@dataclasses.dataclass(frozen=True)
class Validators:
    """Cheap HTTP cache validators for a public page: a state digest and a last change time."""

    digest: str
    last_modified: dt.datetime | None
    #: Whether anything in scope was ever on the website (else the page is a plain 404).
    ever_public: bool = True
