"""One message: verify it (approve or reject), and its audit trail (page and CSV)."""
from __future__ import annotations

import csv
import io
import json
from typing import Any

from flask import Response, flash, redirect, render_template, request, url_for
from flask_login import login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from workflow.accounts import policy
from workflow.accounts.models import ChannelAccount
from workflow.audit import chain as audit
from workflow.core.errors import CrierError, ValidationError
from workflow.delivery.models import Delivery
from workflow.messages import checks as messages_checks
from workflow.messages import queries, review, versions
from workflow.messages.models import Message

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
    ), status


def _refused(message_id: int, exc: CrierError, prefix: str = ""):
    """The message page again, saying why, with the status the API would answer (403, 409, 422)."""
    field = exc.field if exc.field in ("reason", "note") else "action"
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
        acknowledged=request.form.getlist("acknowledged"), note=request.form.get("note") or None))
    if refused:
        return _refused(message_id, refused, "Not approved: ")
    flash(f"Version {version} approved: {present.state_label(message.status).lower()}.")
    return redirect(url_for("console.status", message_id=message_id))


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


# Audit -----------------------------------------------------------------------------

def _audit_rows(message_id: int):
    session = db()
    message = queries.get_message(session, message_id)
    events = audit.events_for_message(session, message.id)
    deliveries = session.execute(select(Delivery).where(Delivery.message_id == message.id)
                                 .options(joinedload(Delivery.account), joinedload(Delivery.version))
                                 .order_by(Delivery.id)).scalars().all()
    return message, events, deliveries


def _details(event) -> list[tuple[str, str]]:
    try:
        data = audit.details_of(event)
    except ValueError:
        return [("details", event.details)]
    out = []
    for key, value in data.items():
        out.append((key.replace("_", " "), value if isinstance(value, str) else json.dumps(value)))
    return out


@bp.get("/messages/<int:message_id>/audit")
@login_required
def audit_page(message_id: int):
    message, events, deliveries = _audit_rows(message_id)
    return render_template("console/audit.html", title=f"Audit: message {message.id}", message=message,
                           events=events, deliveries=deliveries, details=_details)


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> str:
    """A cell a spreadsheet will show as text, never run as a formula."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_START):
        return "'" + text
    return text


@bp.get("/messages/<int:message_id>/audit.csv")
@login_required
def audit_csv(message_id: int):
    message, events, deliveries = _audit_rows(message_id)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["record", "time_utc", "actor", "action", "version", "content_hash", "account",
                     "state", "attempts", "url", "details"])
    for e in events:
        writer.writerow([csv_cell(v) for v in (
            "event", e.created_at.isoformat(), e.actor, e.action, e.version_number, e.content_hash,
            "", "", "", "", e.details)])
    for d in deliveries:
        writer.writerow([csv_cell(v) for v in (
            "delivery", (d.sent_at or d.updated_at).isoformat(), "system", d.purpose,
            d.version.number if d.version else "", d.version.content_hash if d.version else "",
            d.account.name if d.account else d.account_id, d.state, d.attempts, d.url or "",
            d.last_error or "")])
    return Response(out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="crier-message-{message.id}-audit.csv"'})
