"""The audit trail: append-only events, each chained to the one before by a
SHA-256 over its own fields and the previous event's hash, and sealed with an
HMAC under the audit key, which is kept outside the database.

Someone who can write to the database but does not hold the key cannot
rewrite the trail and re-hash it: the seals would not match. Deleting the
newest events leaves a shorter chain that is still valid, so signed
checkpoints of the chain's head are written outside the database
(:mod:`workflow.audit_checkpoints`) and verification compares against them.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any, Iterator

from psycopg import ClientCursor
from sqlalchemy import event as sa_event
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from workflow.accounts.models import User
from workflow.audit.models import AuditEvent
from workflow.core.database import utcnow

GENESIS = "0" * 64


def canonical_json(data: Any) -> str:
    """JSON with sorted keys and no spaces: the same data always gives the same bytes."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _payload(prev_hash: str, created_at: dt.datetime, actor: str, action: str,
             message_id: int | None, version_number: int | None,
             content_hash: str | None, details: str) -> str:
    """What an event's hash is taken over: its fields and its predecessor's hash."""
    return canonical_json({
        "prev": prev_hash,
        "at": created_at.astimezone(dt.timezone.utc).isoformat(timespec="microseconds"),
        "actor": actor,
        "action": action,
        "message": message_id,
        "version": version_number,
        "content_hash": content_hash,
        "details": details,
    })


def seal(key: bytes, event_id: int, event_hash: str) -> str:
    """The HMAC that binds an event's id and hash to the audit key."""
    return hmac.new(key, f"{event_id}:{event_hash}".encode("ascii"), hashlib.sha256).hexdigest()


def _seal(session: Session, event: AuditEvent) -> None:
    key = session.info.get(AUDIT_KEY)
    if key is None:
        return
    event.mac = seal(key, event.id, event.hash)
    session.execute(text("UPDATE audit_events SET mac = :mac WHERE id = :id"), {"mac": event.mac, "id": event.id})


#: Where a runtime's sessions carry the audit key (workflow.runtime).
AUDIT_KEY = "crier.audit_key"


def _event_hash(prev_hash: str, created_at: dt.datetime, actor: str, action: str,
                message_id: int | None, version_number: int | None,
                content_hash: str | None, details: str) -> str:
    payload = _payload(prev_hash, created_at, actor, action, message_id, version_number, content_hash, details)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def lock_chain(session: Session) -> None:
    """Hold the audit chain's lock until the transaction ends.

    Appends must be serialised or two writers would chain to the same
    predecessor. Every transaction that appends holds this lock until it
    commits, so a statement run after taking it sees each of those
    transactions either committed or not yet begun; the delivery engine
    relies on that to roll a message up (see ``workflow.delivery.roll_up``).
    Taking it again in the same transaction returns at once. SQLite already
    serialises writers (BEGIN IMMEDIATE).
    """
    if session.info.get(_CHAIN_LOCKED) is session.get_transaction():
        return
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CHAIN_LOCK_KEY})
    session.info[_CHAIN_LOCKED] = session.get_transaction()


#: Which transaction of a session holds the chain lock.
_CHAIN_LOCKED = "crier.audit_chain_locked"


@sa_event.listens_for(Session, "after_soft_rollback")
def _chain_lock_released(session: Session, _previous: Any) -> None:
    # A rolled-back savepoint releases the locks taken inside it: take it
    # again next time rather than trust the note.
    session.info.pop(_CHAIN_LOCKED, None)


def record(session: Session, actor: User | str | None, action: str, *,
           message_id: int | None = None, version_number: int | None = None,
           content_hash: str | None = None, **details: Any) -> AuditEvent:
    """Append an event to the trail inside the caller's transaction."""
    # The caller's own changes are written first: every writer queues for the
    # chain's lock, so it is held only to read the last link and append this one.
    session.flush()
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
    )
    if session.get_bind().dialect.name == "postgresql":
        _append_postgresql(session, event)
        _seal(session, event)
        return event
    lock_chain(session)
    event.prev_hash = session.execute(
        select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
    ).scalar_one_or_none() or GENESIS
    event.hash = _event_hash(event.prev_hash, created_at, actor_name, action, message_id,
                             version_number, content_hash, body)
    key = session.info.get(AUDIT_KEY)
    session.add(event)
    session.flush()
    if key is not None:
        event.mac = seal(key, event.id, event.hash)
        session.flush()
    return event


#: Stands for the predecessor's hash in a payload sent to PostgreSQL.
_PREV = "<prev>"

#: Lock, read the last link, hash and append, sent as one round trip. The
#: statements run one after another, each on a fresh snapshot, so the last
#: link is read only once the lock is held. PostgreSQL computes the same
#: SHA-256 over the same UTF-8 bytes that verify_chain recomputes.
_APPEND_SQL = (
    "SELECT pg_advisory_xact_lock(%(lock)s); "
    "INSERT INTO audit_events (created_at, actor_id, actor, action, message_id, version_number, "
    "content_hash, details, prev_hash, hash) "
    "SELECT %(created_at)s, %(actor_id)s, %(actor)s, %(action)s, %(message_id)s, %(version_number)s, "
    "%(content_hash)s, %(details)s, head.hash, "
    "encode(sha256(convert_to(%(before)s || head.hash || %(after)s, 'UTF8')), 'hex') "
    "FROM (SELECT coalesce((SELECT hash FROM audit_events ORDER BY id DESC LIMIT 1), %(genesis)s) AS hash) "
    "AS head RETURNING id, prev_hash, hash"
)


_CHAIN_LOCK_KEY = 7243001


def _append_postgresql(session: Session, event: AuditEvent) -> None:
    # Every writer in Crier queues for the chain's lock, and a worker thread
    # that holds it may wait for the interpreter after each answer: one round
    # trip from taking the lock to the appended row keeps that hold short.
    # The event is written here, not through the session (its id comes back).
    payload = _payload(_PREV, event.created_at, event.actor, event.action, event.message_id,
                       event.version_number, event.content_hash, event.details)
    marker = f'"prev":"{_PREV}"'
    # Keys are unique and quotes inside values are escaped: exactly one match.
    before, sep, after = payload.partition(marker)
    if not sep or marker in after:
        raise ValueError("cannot place the predecessor's hash in the audit payload")
    dbapi = session.connection().connection.dbapi_connection
    with ClientCursor(dbapi) as cursor:
        # Client-side binding: several statements in one query.
        cursor.execute(_APPEND_SQL, {
            "lock": _CHAIN_LOCK_KEY, "created_at": event.created_at, "actor_id": event.actor_id,
            "actor": event.actor, "action": event.action, "message_id": event.message_id,
            "version_number": event.version_number, "content_hash": event.content_hash,
            "details": event.details, "before": before + '"prev":"', "after": '"' + after,
            "genesis": GENESIS,
        })
        cursor.nextset()
        event.id, event.prev_hash, event.hash = cursor.fetchone()
    session.info[_CHAIN_LOCKED] = session.get_transaction()


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


def verify_chain(session: Session, key: bytes | None = None) -> tuple[int, ChainBreak | None]:
    """Check every link and, with ``key``, every seal; return how many events were checked and the first break.

    Events written before sealing began (no seal, all before the first sealed
    one) are checked by their links alone; once one is sealed, all later ones must be.
    """
    prev = GENESIS
    count = 0
    sealed = False
    for event in iter_events(session):
        count += 1
        if event.prev_hash != prev:
            return count, ChainBreak(event.id, "does not follow the event before it (an event was removed or reordered)")
        expected = _event_hash(prev, event.created_at, event.actor, event.action, event.message_id,
                               event.version_number, event.content_hash, event.details)
        if expected != event.hash:
            return count, ChainBreak(event.id, "its contents were changed after it was written")
        if key is not None:
            if event.mac is None and sealed:
                return count, ChainBreak(event.id, "its seal was removed")
            if event.mac is not None:
                sealed = True
                if not hmac.compare_digest(event.mac, seal(key, event.id, event.hash)):
                    return count, ChainBreak(event.id, "its seal does not match: the chain was rewritten "
                                                       "without the audit key")
        prev = event.hash
    return count, None


def events_for_message(session: Session, message_id: int) -> list[AuditEvent]:
    """Every event about one message, oldest first."""
    return list(session.execute(
        select(AuditEvent).where(AuditEvent.message_id == message_id).order_by(AuditEvent.id)
    ).scalars())


def details_of(event: AuditEvent) -> dict[str, Any]:
    return json.loads(event.details or "{}")
