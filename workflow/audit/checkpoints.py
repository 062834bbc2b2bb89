"""Signed checkpoints of the audit chain, kept outside the database, and the
check that every message version and decision is bound into the chain.

A checkpoint records the chain's newest event (id, hash) and how many events
led to it, sealed with the audit key. The scheduler writes one whenever the
chain has grown; ``crier audit verify`` compares the database against the
newest, so deleting the newest events (which leaves a valid, shorter chain)
is detected.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workflow.audit.chain import ChainBreak, canonical_json
from workflow.audit.models import AuditEvent
from workflow.core.database import utcnow
from workflow.core.unit_of_work import transaction
from workflow.messages.models import Decision, MessageVersion

VERSION_ACTIONS = ("message.drafted", "message.edited", "message.corrected")

DECISION_ACTIONS = {"approved": "message.approved", "rejected": "message.rejected"}


@dataclass(frozen=True)
class Checkpoint:
    event_id: int
    hash: str
    count: int
    at: str


def _sign(key: bytes, body: dict[str, Any]) -> str:
    return hmac.new(key, canonical_json(body).encode("utf-8"), hashlib.sha256).hexdigest()


def head(session: Session) -> Checkpoint | None:
    """The chain's newest event and how many events there are, as a checkpoint would record them."""
    row = session.execute(select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)).first()
    if row is None:
        return None
    count = session.execute(select(func.count()).select_from(AuditEvent)).scalar_one()
    return Checkpoint(row.id, row.hash, count, utcnow().isoformat())


def write_checkpoint(session: Session, key: bytes, folder: str | Path) -> Checkpoint | None:
    """Write a signed checkpoint of the chain's head to ``folder`` if the chain grew since the last one."""
    with transaction(session):  # only a read: no lock stays held while the file is written
        now = head(session)
    if now is None:
        return None
    directory = Path(folder)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = directory / f"checkpoint-{now.event_id:015d}.json"
    if path.exists():
        return None
    body = {"event_id": now.event_id, "hash": now.hash, "count": now.count, "at": now.at}
    temporary = path.with_suffix(".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump({**body, "seal": _sign(key, body)}, fh)
    os.replace(temporary, path)
    return now


def newest_checkpoint(key: bytes, folder: str | Path) -> tuple[Checkpoint | None, str | None]:
    """The newest checkpoint in ``folder``, or a reason it cannot be trusted."""
    files = sorted(Path(folder).glob("checkpoint-*.json")) if Path(folder).is_dir() else []
    if not files:
        return None, None
    try:
        data = json.loads(files[-1].read_text())
        body = {k: data[k] for k in ("event_id", "hash", "count", "at")}
    except (OSError, ValueError, KeyError, TypeError):
        return None, f"checkpoint {files[-1].name} cannot be read"
    if not hmac.compare_digest(str(data.get("seal", "")), _sign(key, body)):
        return None, f"checkpoint {files[-1].name} is not sealed with the audit key"
    return Checkpoint(int(body["event_id"]), str(body["hash"]), int(body["count"]), str(body["at"])), None


def check_against_checkpoint(session: Session, key: bytes, folder: str | Path) -> ChainBreak | None:
    """None if the database still holds everything the newest checkpoint saw."""
    checkpoint, problem = newest_checkpoint(key, folder)
    if problem:
        return ChainBreak(0, problem)
    if checkpoint is None:
        return None
    stored = session.execute(select(AuditEvent.hash).where(AuditEvent.id == checkpoint.event_id)).scalar_one_or_none()
    if stored is None:
        return ChainBreak(checkpoint.event_id, f"is missing, but the checkpoint of {checkpoint.at} recorded it "
                                               "as the newest event: events were deleted")
    if stored != checkpoint.hash:
        return ChainBreak(checkpoint.event_id, f"differs from the checkpoint of {checkpoint.at}: the chain was rewritten")
    count = session.execute(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.id <= checkpoint.event_id)).scalar_one()
    if count != checkpoint.count:
        return ChainBreak(checkpoint.event_id, f"the checkpoint of {checkpoint.at} saw {checkpoint.count} events up "
                                               f"to here, the database holds {count}: events were deleted")
    return None


def version_problem(version: MessageVersion) -> str | None:
    """Why a version row no longer matches the content it was hashed from, or None."""
    if hashlib.sha256(version.content.encode("utf-8")).hexdigest() != version.content_hash:
        return "its content no longer matches its content hash"
    content = json.loads(version.content)
    stored = {"body": version.body, "variants": dict(version.variants or {}), "targets": list(version.targets),
              "recurrence": version.recurrence, "change_note": version.change_note,
              "publish_at": version.publish_at.isoformat() if version.publish_at else None}
    for name, value in stored.items():
        if content.get(name) != value:
            return f"its {name} differs from the content that was hashed"
    return None


def check_rows(session: Session) -> tuple[str, int, str] | None:
    """The first message version or decision that is not what the audit trail recorded: (kind, id, why)."""
    recorded = {(e.message_id, e.version_number, e.content_hash, e.action, e.actor)
                for e in session.execute(select(AuditEvent).where(
                    AuditEvent.action.in_(VERSION_ACTIONS + tuple(DECISION_ACTIONS.values())))).scalars()}
    versions = {(a, v, h) for (a, v, h, action, _actor) in recorded if action in VERSION_ACTIONS}
    for version in session.execute(select(MessageVersion).order_by(MessageVersion.id)).scalars():
        problem = version_problem(version)
        if problem:
            return "message version", version.id, problem
        if (version.message_id, version.number, version.content_hash) not in versions:
            return "message version", version.id, "the audit trail has no record of it"
    made = set()
    for decision in session.execute(select(Decision).order_by(Decision.id)).scalars():
        action = DECISION_ACTIONS.get(decision.decision)
        key = (decision.message_id, decision.version_number, decision.content_hash, action,
               decision.reviewer.username if decision.reviewer else None)
        if key not in recorded:
            return "decision", decision.id, "the audit trail does not record it as made (who, which version, what)"
        made.add(key)
    for key in sorted((k for k in recorded if k[3] in DECISION_ACTIONS.values()), key=str):
        if key not in made:
            return "decision", 0, (f"the audit trail records {key[4]}'s {key[3].split('.')[1]} decision on "
                                   f"version {key[1]} of message {key[0]}, and its row is gone")
    return None
