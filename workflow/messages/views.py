"""Plain views of messages, versions and deliveries for the API and the CLI."""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from workflow.delivery.models import Delivery
from workflow.messages.checks import checks_for
from workflow.messages.models import Message, MessageVersion
from workflow.messages.versions import stored_rendering
from workflow.website.urls import message_link


def version_as_dict(version: MessageVersion) -> dict[str, Any]:
    rendering = stored_rendering(version)
    return {
        "number": version.number,
        "editor": version.editor.username if version.editor else None,
        "created_at": version.created_at.isoformat(),
        "body": version.body,
        "variants": dict(version.variants or {}),
        "accounts": list(version.targets),
        "publish_at": version.publish_at.isoformat() if version.publish_at else None,
        "recurrence": version.recurrence,
        "change_note": version.change_note,
        "link": rendering.link,
        "posts": rendering.posts,
        "content_hash": version.content_hash,
    }


def delivery_as_dict(d: Delivery) -> dict[str, Any]:
    return {
        "id": d.id,
        "account": d.account_id,
        "account_name": d.account.name if d.account else None,
        "kind": d.account.kind if d.account else None,
        "version": d.version.number if d.version else None,
        "purpose": d.purpose,
        "state": d.state,
        "due_at": d.due_at.isoformat() if d.due_at else None,
        "remote_id": d.remote_id,
        "url": d.url,
        "attempts": d.attempts,
        "last_error": d.last_error,
    }


def message_as_dict(session: Session, message: Message, with_checks: bool = False) -> dict[str, Any]:
    """The API view of a message."""
    out = {
        "id": message.id,
        "slug": message.slug,
        "kind": message.kind,
        "incident": message.incident.slug if message.incident else None,
        "status": message.status,
        "version": message.current_version,
        "author": message.author.username,
        "rejection_reason": message.rejection_reason,
        "link": message_link(session, message),
        "versions": [version_as_dict(v) for v in message.versions],
        "decisions": [{
            "version": d.version_number, "decision": d.decision, "reviewer": d.reviewer.username,
            "reason": d.reason, "at": d.created_at.isoformat(), "voided": d.voided_at is not None,
        } for d in message.decisions],
        "deliveries": [delivery_as_dict(d) for d in message.deliveries],
    }
    if with_checks:
        out["checks"] = checks_for(session, message, message.latest)
    return out
