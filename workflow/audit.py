"""The audit trail: append-only events, each chained to the one before by a
SHA-256 over its own fields and the previous event's hash."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any, Iterator

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from .db import utcnow
from .models import AuditEvent, User

GENESIS = "0" * 64


def canonical_json(data: Any) -> str:
    """JSON with sorted keys and no spaces: the same data always gives the same bytes."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _event_hash(prev_hash: str, created_at: dt.datetime, actor: str, action: str,
                message_id: int | None, version_number: int | None,
                content_hash: str | None, details: str) -> str:
    payload = canonical_json({
        "prev": prev_hash,
        "at": created_at.astimezone(dt.timezone.utc).isoformat(timespec="microseconds"),
        "actor": actor,
        "action": action,
        "message": message_id,
        "version": version_number,
        "content_hash": content_hash,
        "details": details,
    })
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _lock_chain(session: Session) -> None:
    # Appends must be serialised or two writers would chain to the same
    # predecessor. SQLite already serialises writers (BEGIN IMMEDIATE).
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(7243001)"))


def record(session: Session, actor: User | str | None, action: str, *,
           message_id: int | None = None, version_number: int | None = None,
           content_hash: str | None = None, **details: Any) -> AuditEvent:
    """Append an event to the trail inside the caller's transaction."""
    _lock_chain(session)
    prev = session.execute(
        select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
    ).scalar_one_or_none() or GENESIS
    created_at = utcnow()
    actor_name = actor.username if isinstance(actor, User) else (actor or "system")
    body = canonical_json(details)
    event = AuditEvent(
        created_at=created_at,
        actor_id=actor.id if isinstance(actor, User) else None,
        actor=actor_name,
        action=action,
        message_id=message_id,
        version_number=version_number,
        content_hash=content_hash,
        details=body,
        prev_hash=prev,
        hash=_event_hash(prev, created_at, actor_name, action, message_id,
                         version_number, content_hash, body),
    )
    session.add(event)
    session.flush()
    return event


@dataclass(frozen=True)
class ChainBreak:
    event_id: int
    reason: str


def iter_events(session: Session, batch: int = 1000) -> Iterator[AuditEvent]:
    last = 0
    while True:
        # populate_existing: check what is stored, not what this session remembers.
        rows = session.execute(
            select(AuditEvent).where(AuditEvent.id > last).order_by(AuditEvent.id).limit(batch)
            .execution_options(populate_existing=True)
        ).scalars().all()
        if not rows:
            return
        yield from rows
        last = rows[-1].id
        session.expunge_all()


def verify_chain(session: Session) -> tuple[int, ChainBreak | None]:
    """Check every link; return how many events were checked and the first break."""
    prev = GENESIS
    count = 0
    for event in iter_events(session):
        count += 1
        if event.prev_hash != prev:
            return count, ChainBreak(event.id, "does not follow the event before it (an event was removed or reordered)")
        expected = _event_hash(prev, event.created_at, event.actor, event.action, event.message_id,
                               event.version_number, event.content_hash, event.details)
        if expected != event.hash:
            return count, ChainBreak(event.id, "its contents were changed after it was written")
        prev = event.hash
    return count, None


def events_for_message(session: Session, message_id: int) -> list[AuditEvent]:
    """Every event about one message, oldest first."""
    return list(session.execute(
        select(AuditEvent).where(AuditEvent.message_id == message_id).order_by(AuditEvent.id)
    ).scalars())


def details_of(event: AuditEvent) -> dict[str, Any]:
    return json.loads(event.details or "{}")
