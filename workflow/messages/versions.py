"""Immutable versions: each channel's posts are rendered once, when the version is
made, stored in it and covered by its SHA-256 content hash; the verifier sees
exactly that and the worker sends exactly that."""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Iterable

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from channels.base import Image, Post, channel_class
from workflow.accounts.channel_accounts import accounts_by_id
from workflow.accounts.models import ChannelAccount, User
from workflow.audit.chain import canonical_json
from workflow.core.errors import InvalidStateError, ValidationError
from workflow.insights.visits import account_link
from workflow.media.service import attach
from workflow.messages import exercise
from workflow.messages.models import Message, MessageVersion
from workflow.website.urls import message_link


@dataclass
class Draft:
    """What an officer asks for; validated by :func:`validate_draft`."""

    body: str
    accounts: list[int]
    variants: dict[str, str] = field(default_factory=dict)
    publish_at: dt.datetime | None = None
    recurrence: str | None = None
    change_note: str | None = None
    #: ``[{media, alt, sha256, content_type, width, height, bytes}]``, in order (see workflow.media).
    images: list[dict[str, Any]] = field(default_factory=list)


def link_for(session: Session, message: Message, targets: Iterable[int]) -> str | None:
    """The link other channels carry: the website page, if the website is a target."""
    # A force has a handful of website accounts but a fan-out may target
    # hundreds of others: look up the few, not the many (workers call this for
    # every delivery).
    websites = set(session.execute(select(ChannelAccount.id).where(
        ChannelAccount.kind == "website")).scalars())
    if websites.intersection(targets):
        return message_link(session, message)
    return None


def render_for(account: ChannelAccount, text: str, link: str) -> list[str]:
    """The exact posts ``account`` will carry for ``text``."""
    return channel_class(account.kind).render(text, link)


@dataclass(frozen=True)
class Rendering:
    """What a version carries, as rendered once when it was made and covered by its hash."""

    link: str | None
    posts: dict[str, list[str]]  # target account id -> the exact posts, thread parts in order
    # target account id -> the link that account carries (the website link with its tag)
    links: dict[str, str | None] = dataclasses.field(default_factory=dict)


def stored_rendering(version: MessageVersion) -> Rendering:
    """The link and each target's exact posts, read from the version's hashed content."""
    content = json.loads(version.content)
    rendered = (content.get("rendered") or {}).items()
    return Rendering(content.get("link"), {key: list(value["posts"]) for key, value in rendered},
                     {key: value["link"] for key, value in rendered if "link" in value})


def stored_images(version: MessageVersion) -> list[dict[str, Any]]:
    """The images ``version`` carries, each with its digest and alt text, as its hashed content records them."""
    return list(json.loads(version.content).get("images") or [])


def image_digests(images: Iterable[dict[str, Any]]) -> list[tuple[str, str]]:
    """(digest, alt text) of each image: what makes two versions' images the same."""
    return [(i["sha256"], i["alt"]) for i in images]


def canonical_content(session: Session, message: Message, draft: Draft,
                      accounts: dict[int, ChannelAccount] | None = None) -> tuple[str, str]:
    """The canonical JSON of everything that would go out, and its SHA-256 (``accounts``: the
    targets by id, when the caller has them already)."""
    link = link_for(session, message, draft.accounts)
    accounts = accounts if accounts is not None else accounts_by_id(session, draft.accounts)
    rendered = {}
    for account_id in draft.accounts:
        account = accounts[account_id]
        text = draft.variants.get(str(account_id), draft.body)
        # Each channel's link carries its account's tag, so the page can count who sent its visitors.
        carried = account_link(link, account)
        rendered[str(account_id)] = {"kind": account.kind, "name": account.name,
                                     "posts": render_for(account, text, carried),
                                     **({"link": carried} if link else {})}
    content = canonical_json({
        "message": message.slug,
        "kind": message.kind,
        "incident": message.incident.slug if message.incident else None,
        "body": draft.body,
        "variants": draft.variants,
        "targets": draft.accounts,
        "publish_at": draft.publish_at.isoformat() if draft.publish_at else None,
        "recurrence": draft.recurrence,
        "change_note": draft.change_note,
        "link": link,
        "rendered": rendered,
        # The images' bytes (by digest) and alt texts: changing either makes a new hash.
        **({"images": draft.images} if draft.images else {}),
        **({"exercise": True} if exercise.is_exercise(message) else {}),
    })
    return content, hashlib.sha256(content.encode("utf-8")).hexdigest()


def new_version(session: Session, message: Message, editor: User, draft: Draft) -> MessageVersion:
    """Add the next immutable version of ``message`` with its canonical content and hash.

    An exercise's texts start with the exercise words, and every version keeps
    exercises and live messages to their own accounts.
    """
    if exercise.is_exercise(message):
        draft = dataclasses.replace(draft, body=exercise.marked(draft.body),
                                    variants={k: exercise.marked(v) for k, v in draft.variants.items()})
    targets = accounts_by_id(session, draft.accounts)
    exercise.check_targets(message, targets.values())
    content, digest = canonical_content(session, message, draft, targets)
    message.current_version += 1
    version = MessageVersion(
        message=message, number=message.current_version, editor_id=editor.id, body=draft.body,
        variants=draft.variants, targets=draft.accounts, publish_at=draft.publish_at,
        recurrence=draft.recurrence, change_note=draft.change_note, content=content, content_hash=digest,
    )
    session.add(version)
    session.flush()
    attach(session, version, draft.images)
    return version


@event.listens_for(Session, "before_flush")
def _versions_are_immutable(session: Session, _context: Any, _instances: Any) -> None:
    """A written version is the record of what was verified: refuse any change to it."""
    for obj in session.dirty:
        if isinstance(obj, MessageVersion) and session.is_modified(obj, include_collections=False):
            raise InvalidStateError("a message version cannot be changed once written: make a new version")
    if any(isinstance(obj, MessageVersion) for obj in session.deleted):
        raise InvalidStateError("a message version cannot be deleted")


def post_for(message: Message, version: MessageVersion, account: ChannelAccount,
             images: tuple[Image, ...] = ()) -> Post:
    """What ``account`` carries for ``version``: the posts stored and hashed when it was made,
    with ``images``, the version's verified images as loaded for sending."""
    rendering = stored_rendering(version)
    parts = rendering.posts.get(str(account.id))
    if not parts:
        raise ValidationError(f"version {version.number} has no verified text for {account.name}",
                              field="accounts")
    return Post(
        text=version.variants.get(str(account.id), version.body),
        link=rendering.links.get(str(account.id), rendering.link),
        parts=tuple(parts),
        slug=message.slug,
        title=(message.incident.title if message.incident else None),
        incident_slug=message.incident.slug if message.incident else None,
        incident_title=message.incident.title if message.incident else None,
        version=version.number,
        change_note=version.change_note,
        published_at=message.published_at,
        images=tuple(images),
    )
