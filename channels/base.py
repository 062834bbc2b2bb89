"""The channel interface, its error classes and the adapter registry."""
from __future__ import annotations

import abc
import dataclasses
import datetime as dt
import importlib
from typing import Any, Callable, ClassVar, Sequence


@dataclasses.dataclass(frozen=True)
class ChannelConfig:
    """Where the platforms are and how long to wait for them."""

    x_api_url: str = "https://api.twitter.com"
    #: Where X's media endpoints live (``/2/media/...``) when not at ``x_api_url``.
    x_upload_url: str = ""
    facebook_graph_url: str = "https://graph.facebook.com"
    facebook_graph_version: str = "v21.0"
    public_base_url: str = "http://127.0.0.1:5000"
    connect_timeout: float = 5.0
    read_timeout: float = 15.0
    #: Hosts a webhook may reach although they are local or plain http (the demo's simulators).
    webhook_allowed_hosts: tuple[str, ...] = ()

    @property
    def timeout(self) -> tuple[float, float]:
        return (self.connect_timeout, self.read_timeout)


@dataclasses.dataclass(frozen=True)
class Image:
    """One verified image a post carries: the stored bytes (no metadata) and their alt text."""

    data: bytes
    content_type: str
    alt: str
    sha256: str
    width: int = 0
    height: int = 0

    @property
    def size(self) -> int:
        return len(self.data)


@dataclasses.dataclass(frozen=True)
class Post:
    """One message as a channel should carry it.

    ``text`` is the channel's wording (its variant, or the canonical body);
    ``link`` is the full update on the force website, appended where the
    channel shows links. ``parts`` are the exact posts the channel carries,
    rendered once when the version was made and covered by its content hash:
    adapters send these and never render the text again.
    """

    text: str
    link: str | None = None
    parts: tuple[str, ...] = ()
    slug: str | None = None
    title: str | None = None
    incident_slug: str | None = None
    incident_title: str | None = None
    version: int = 1
    change_note: str | None = None
    published_at: dt.datetime | None = None
    #: Verified images, in order (up to 4); threads carry them on their first part.
    images: tuple[Image, ...] = ()


@dataclasses.dataclass(frozen=True)
class PublishResult:
    """What a platform gave back for a post: its id and public URL.

    For an X thread ``remote_id`` is the first part and ``part_ids`` all parts.
    """

    remote_id: str
    url: str | None = None
    part_ids: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class Problem:
    """A problem with a text that the officer can act on."""

    message: str
    level: str = "error"  # "error" blocks submission; "warning" is advice
    code: str = "problem"

    def as_dict(self) -> dict[str, str]:
        return {"level": self.level, "code": self.code, "message": self.message}


class ChannelError(Exception):
    """Base of every error an adapter raises."""

    def __init__(self, message: str, *, posted_parts: Sequence[str] = ()):
        super().__init__(message)
        self.message = message
        # Thread parts already live when the error happened.
        self.posted_parts = tuple(posted_parts)


class TransientError(ChannelError):
    """Try again later: rate limits, platform errors, connection failures."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: Any):
        super().__init__(message, **kw)
        self.retry_after = retry_after


class PermanentError(ChannelError):
    """Retrying will not help; ``message`` tells the officer why."""

    def __init__(self, message: str, *, reconnect: bool = False, **kw: Any):
        super().__init__(message, **kw)
        self.reconnect = reconnect


class OutcomeUnknownError(ChannelError):
    """The request may have been applied: reconcile before any resend."""


class Channel(abc.ABC):
    """One platform account. Subclasses register themselves by ``kind``."""

    kind: ClassVar[str]
    #: Whether a live post's text can be changed in place (else a correction is a reply).
    supports_edit: ClassVar[bool] = True
    #: Whether a correction that changes the images must replace the live post (publish anew, delete the old).
    replaces_on_image_change: ClassVar[bool] = False

    def __init__(self, credentials: dict[str, Any], config: ChannelConfig):
        self.credentials = credentials
        self.config = config

    # Text ---------------------------------------------------------------
    @classmethod
    @abc.abstractmethod
    def check(cls, text: str, link: str | None = None) -> list[Problem]:
        """Problems with ``text`` on this channel (too long, empty...)."""

    @classmethod
    @abc.abstractmethod
    def render(cls, text: str, link: str | None = None) -> list[str]:
        """The exact posts this channel will carry for ``text`` (a thread has several)."""

    @classmethod
    @abc.abstractmethod
    def part_problems(cls, part: str) -> list[str]:
        """Why this channel cannot carry ``part``, one post exactly as rendered (empty if it can)."""

    @classmethod
    def stored_parts(cls, post: Post) -> list[str]:
        """The verified posts of ``post``, exactly as stored; refused if the channel cannot carry them.

        A text is never rendered again at send time: if the platform's rules
        changed since the version was verified, the delivery fails with the
        reason and a person sends a correction, instead of words nobody verified.
        """
        if not post.parts:
            raise PermanentError("No verified text was stored for this post, so nothing was sent.")
        for number, part in enumerate(post.parts, 1):
            problems = cls.part_problems(part)
            if problems:
                where = f"part {number} of the verified text" if len(post.parts) > 1 else "the verified text"
                raise PermanentError(f"This channel can no longer carry {where}: {' '.join(problems)} "
                                     "Nothing was sent; send a correction with a text it accepts.")
        return list(post.parts)

    # Platform -----------------------------------------------------------
    def publish(
        self,
        post: Post,
        *,
        reply_to: str | None = None,
        posted_parts: Sequence[str] = (),
        on_part: Callable[[str], None] | None = None,
    ) -> PublishResult:
        """Publish ``post``; resume after ``posted_parts``; call ``on_part`` with each new part id."""
        return self._publish(post, reply_to, tuple(str(p) for p in posted_parts), on_part or _ignore_part)

    def _publish(self, post: Post, reply_to: str | None, posted: tuple[str, ...],
                 on_part: Callable[[str], None]) -> PublishResult:
        """What ``publish`` does on this platform; adapters implement it (or ``publish`` itself)."""
        raise NotImplementedError(f"{type(self).__name__} cannot publish")

    @abc.abstractmethod
    def edit(self, remote_id: str, post: Post) -> PublishResult:
        """Change a live post's text, where the platform allows it."""

    @abc.abstractmethod
    def delete(self, remote_id: str) -> None:
        """Delete a live post; a post that is already gone is not an error."""

    @abc.abstractmethod
    def find_recent(self, post: Post, *, since: dt.datetime | None = None) -> PublishResult | None:
        """Find this post among the account's recent posts (reconciliation)."""

    def verify(self) -> str:
        """Check the credentials against the platform; return what they open (a name). Raises a ChannelError."""
        return ""

    def close(self) -> None:
        """Release connections."""


def _ignore_part(part_id: str) -> None:
    """The ``on_part`` of a caller that does not follow a thread's progress."""


_REGISTRY: dict[str, type[Channel]] = {}


def register(cls: type[Channel]) -> type[Channel]:
    """Class decorator: make ``cls`` the adapter for ``cls.kind``."""
    _REGISTRY[cls.kind] = cls
    return cls


BUILTIN = ("x", "facebook", "website")


def channel_class(kind: str) -> type[Channel]:
    """The adapter class for ``kind`` ("x", "facebook", "website")."""
    kind = str(kind)
    if kind not in _REGISTRY and kind in BUILTIN:
        # Imported on first use so that channels/base stays free of platform libraries.
        importlib.import_module(f"channels.{kind}")
    try:
        return _REGISTRY[kind]
    except KeyError:
        raise KeyError(f"no channel adapter for {kind!r}") from None


def rendered_post(kind: str, text: str, link: str | None = None, **fields: Any) -> Post:
    """A :class:`Post` of ``text`` with its parts rendered now by ``kind``'s rules (version creation, tests)."""
    return Post(text=text, link=link, parts=tuple(channel_class(kind).render(text, link)), **fields)


def make_channel(kind: str, credentials: dict[str, Any], config: ChannelConfig) -> Channel:
    """An adapter instance for one account."""
    return channel_class(kind)(credentials, config)
