"""One message: its page, sending it for verification, and verifying it (approve or reject)."""
from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_login import login_required
from sqlalchemy import select

from workflow.accounts import policy
from workflow.accounts.models import ChannelAccount
from workflow.core.errors import CrierError, ValidationError
from workflow.messages import checks as messages_checks
from workflow.messages import legal, queries, review, versions
from workflow.messages.models import Message
from workflow.notices.queries import is_overdue

from ..auth import console_user
from ..context import db
from . import bp, present
from .forms import attempt
from .media import with_urls
from .views import user_names


def _int(value: Any) -> int | None:
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _target_accounts(message: Message) -> list[ChannelAccount]:
    ids = list(message.latest.targets)
    found = {a.id: a for a in db().execute(
        select(ChannelAccount).where(ChannelAccount.id.in_(ids))).scalars()} if ids else {}
    return [found[i] for i in ids if i in found]


def message_page(message: Message, errors: dict[str, str] | None = None, form: dict | None = None,
                 status: int = 200):
    session = db()
    user = console_user()
    latest = message.latest
    previous = message.versions[-2] if len(message.versions) > 1 else None
    targets = _target_accounts(message)
    # Exactly what the workers will send: the posts stored and hashed with the version.
    rendering = versions.stored_rendering(latest)
    previews = present.previews_for(targets, latest.body, dict(latest.variants or {}), rendering.link,
                                    rendering.posts)
    checks = messages_checks.checks_for(session, message, latest)
    findings = review.findings_to_acknowledge(checks)
    form = form or {}
    names = user_names([message.author_id] + [v.editor_id for v in message.versions]
                       + [d.reviewer_id for d in message.decisions])
    state = str(message.status)
    images = with_urls(versions.stored_images(latest))
    images_changed = previous is not None and (versions.image_digests(versions.stored_images(previous))
                                               != versions.image_digests(images))
    return render_template(
        "console/message.html", title=f"Message {message.id}: {present.state_label(state)}",
        message=message, latest=latest, previous=previous, previews=previews, checks=checks,
        findings=findings, acknowledged=form.getlist("acknowledged") if hasattr(form, "getlist") else [],
        highlighted=present.highlight(latest.body, [f for f in findings if f in checks.get("all", [])]),
        names=names, targets={a.id: a for a in targets},
        diff=present.word_diff(previous.body, latest.body) if previous else None,
        changes=present.version_changes(session, previous, latest),
        blocker=policy.approval_blocker(user, message),
        can_edit=policy.can_edit(user, message),
        user=user, errors=errors or {}, form=form or {}, state=state, images=images,
        images_changed=images_changed,
        replaces_facebook=images_changed and any(
            str(d.state) == "sent" and d.account is not None and d.account.kind == "facebook"
            for d in message.deliveries),
        overdue=is_overdue(session, message.id),
        needs_authority=[f for f in findings if f["code"] == review.NEEDS_AUTHORITY],
        **legal_in_effect(message),
    ), status


def legal_in_effect(message: Message | None, incident=None) -> dict[str, Any]:
    """What the legal context panel shows: the flags in effect, where they were recorded."""
    context = messages_checks.context_of(message, incident)
    own = legal.flags(message.legal if message is not None else {})
    return {"legal_in_effect": [legal.LABELS[name] for name in context.ticked()],
            "legal_incident": message.incident if message is not None else incident,
            "legal_own": [legal.LABELS[name] for name, on in own.items() if on]}


def _refused(message_id: int, exc: CrierError, prefix: str = ""):
    """The message page again, saying why, with the status the API would answer (403, 409, 422)."""
    field = exc.field if exc.field in ("reason", "note", "authority") else "action"
    return message_page(queries.get_message(db(), message_id), {field: f"{prefix}{exc.message}"},
                        request.form, exc.status if exc.status < 500 else 400)


@bp.get("/messages/<int:message_id>")
@login_required
def message(message_id: int):
    return message_page(queries.get_message(db(), message_id))


@bp.post("/messages/<int:message_id>/submit")
@login_required
def submit(message_id: int):
    _, refused = attempt(lambda: review.submit(db(), console_user(), message_id), propagate=(403, 404))
    if refused:
        return _refused(message_id, refused)
    flash("Sent for verification.")
    return redirect(url_for("console.message", message_id=message_id))


@bp.post("/messages/<int:message_id>/approve")
@login_required
def approve(message_id: int):
    version = _int(request.form.get("version"))
    content_hash = request.form.get("content_hash") or None
    if version is None:
        return _refused(message_id, ValidationError("the form did not say which version you verified",
                                                    field="version"), "Not approved: ")
    message, refused = attempt(lambda: review.approve(
        db(), console_user(), message_id, version, content_hash,
        acknowledged=request.form.getlist("acknowledged"), note=request.form.get("note") or None,
        authority=_authority_from(request.form)))
    if refused:
        return _refused(message_id, refused, "Not approved: ")
    flash(f"Version {version} approved: {present.state_label(message.status).lower()}.")
    return redirect(url_for("console.status", message_id=message_id))


def _authority_from(form) -> dict[str, str] | None:
    """The authorising officer and reason from the verify form (None when both are left empty)."""
    officer, reason = (form.get("authority_officer") or "").strip(), (form.get("authority_reason") or "").strip()
    return {"officer": officer, "reason": reason} if officer or reason else None


@bp.post("/messages/<int:message_id>/reject")
@login_required
def reject(message_id: int):
    reason = (request.form.get("reason") or "").strip()
    version = _int(request.form.get("version"))
    if not reason:
        message = queries.get_message(db(), message_id)
        return message_page(message, {"reason": "Give the author a reason, so they can fix it."},
                            request.form, 422)
    _, refused = attempt(lambda: review.reject(db(), console_user(), message_id, reason, version=version))
    if refused:
        return _refused(message_id, refused, "" if refused.field == "reason" else "Not rejected: ")
    flash("Rejected: the message is back with its author, with your reason.")
    return redirect(url_for("console.home"))
