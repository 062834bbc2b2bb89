"""Live status of one message: each channel's delivery, polled by the page; correct and withdraw."""
from __future__ import annotations

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_login import login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from workflow.accounts import policy
from workflow.accounts.policy import Action
from workflow.core import london
from workflow.delivery.models import ACTIVE, Delivery
from workflow.messages import appeal_rules, appeals, corrections
from workflow.messages import queries as messages
from workflow.messages.models import Message
from workflow.messages.states import LIVE, MessageState
from workflow.scheduling import late

from ..auth import console_user
from ..context import db
from . import bp, present
from .forms import attempt

# How often the page asks for news, in milliseconds.
POLL_MS = 1500


def _deliveries(message_id: int) -> list[Delivery]:
    return db().execute(select(Delivery).where(Delivery.message_id == message_id)
                        .options(joinedload(Delivery.account), joinedload(Delivery.version))
                        .order_by(Delivery.id)).scalars().all()


def banner(message: Message, current: list[Delivery]) -> dict | None:
    """The one sentence at the top of the page; partial publication can never be missed."""
    if str(message.status) == "withdrawn":
        return {"kind": "info", "title": "Withdrawn", "text": "This message was withdrawn from every channel."}
    result = present.outcome(message, current)
    sent = [d for d in current if str(d.state) == "sent"]
    failed = [d for d in current if str(d.state) == "failed"]
    names = ", ".join(d.account.name for d in failed if d.account)
    if result == "partially_published":
        return {"kind": "warning", "title": "Partially published",
                "text": f"{len(sent)} of {len([d for d in current if str(d.state) != 'cancelled'])} channels "
                        f"carry it. Failed on: {names}. The public does not see the same message everywhere."}
    if result == "failed":
        return {"kind": "error", "title": "Not published",
                "text": f"Every channel failed ({names}). Nothing is live."}
    if result == "published":
        return {"kind": "success", "title": "Published", "text": "Every channel carries this message."}
    if result == "held":
        return {"kind": "warning", "title": "Held", "text": "Nothing will go out until someone decides."}
    if result == "in_progress":
        return {"kind": "info", "title": "Publishing", "text": "Channels are being updated; this page follows them."}
    return None


def delivery_view(d: Delivery) -> dict:
    return {
        "id": d.id,
        "account": d.account.name if d.account else str(d.account_id),
        "kind": present.kind_label(d.account.kind) if d.account else "",
        "scope": d.account.scope if d.account else "",
        "purpose": str(d.purpose),
        "version": d.version.number if d.version else None,
        "state": str(d.state),
        "label": present.delivery_label(d.state),
        "url": d.url if (d.url or "").startswith(("https://", "http://")) else None,
        "error": d.last_error if str(d.state) in ("failed", "retrying", "unknown", "held") else None,
        "advice": present.delivery_advice(d),
        "attempts": d.attempts,
        "due": london.label(d.due_at),
    }


def status_view(message: Message) -> dict:
    current = present.current_deliveries(_deliveries(message.id))
    return {
        "id": message.id,
        "status": str(message.status),
        "status_label": present.state_label(message.status),
        "banner": banner(message, current),
        "settled": bool(current) and all(str(d.state) not in ACTIVE for d in current),
        "deliveries": [delivery_view(d) for d in current],
    }


@bp.get("/messages/<int:message_id>/status")
@login_required
def status(message_id: int):
    return _status_page(messages.get_message(db(), message_id), {}, {})


@bp.get("/messages/<int:message_id>/status.json")
@login_required
def status_json(message_id: int):
    message = messages.get_message(db(), message_id)
    response = jsonify(status_view(message))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/messages/<int:message_id>/correct")
@login_required
def correct(message_id: int):
    body = request.form.get("body") or ""
    note = (request.form.get("change_note") or "").strip()
    errors = {}
    if not body.strip():
        errors["correction-body"] = "Write the corrected text."
    if not note:
        errors["change_note"] = "Say what changed: the website shows this note."
    if not errors:
        _, refused = attempt(lambda: corrections.correct(db(), console_user(), message_id, body, note))
        if refused:
            errors["change_note" if refused.field == "change_note" else "correction-body"] = refused.message
    if errors:
        return _status_with_errors(message_id, errors)
    flash("Correction saved: it goes to a supervisor for verification before it is published.")
    return redirect(url_for("console.message", message_id=message_id))


@bp.post("/messages/<int:message_id>/withdraw")
@login_required
def withdraw(message_id: int):
    reason = (request.form.get("reason") or "").strip()
    if not reason:
        return _status_with_errors(message_id, {"withdraw-reason": "Say why it is withdrawn."})
    _, refused = attempt(lambda: corrections.withdraw(db(), console_user(), message_id, reason))
    if refused:
        return _status_with_errors(message_id, {"withdraw-reason": refused.message})
    flash("Withdrawn: Crier is deleting it from every channel.")
    return redirect(url_for("console.status", message_id=message_id))


@bp.post("/messages/<int:message_id>/decide")
@login_required
def decide(message_id: int):
    publish_now = request.form.get("choice") == "now"
    publish_at = request.form.get("publish_at") or None
    _, refused = attempt(lambda: late.decide_held(db(), console_user(), message_id, publish_now=publish_now,
                                                  publish_at=None if publish_now else publish_at))
    if refused:
        return _status_with_errors(message_id, {"publish_at": refused.message})
    flash("Decision recorded.")
    return redirect(url_for("console.status", message_id=message_id))


def _status_with_errors(message_id: int, errors: dict[str, str]):
    return _status_page(messages.get_message(db(), message_id), errors, request.form), 422


def appeal_view(message: Message) -> dict | None:
    """Where the appeal this message belongs to stands, and whether the desk can close it now."""
    if message.appeal is None and message.closes_appeal_id is None:
        return None
    session = db()
    if message.closes_appeal_id is not None:
        return {"found_update": True, "root": message.closes_appeal_id}
    root = appeal_rules.appeal_root(session, message)
    update = appeals.found_update(session, root)
    closed = root.appeal_closed_at is not None
    return {"found_update": False, "root": root.id, "closed": closed, "found": update,
            "can_close": not closed and update is None and str(message.status) != "withdrawn"}


def _status_page(message: Message, errors: dict[str, str], form):
    state = str(message.status)
    return render_template("console/status.html", title=f"Live status: message {message.id}",
                           message=message, view=status_view(message), poll_ms=POLL_MS,
                           can_correct=MessageState(state) in LIVE,
                           can_withdraw=state != "withdrawn",
                           can_decide=state == "held"
                           and policy.may(console_user(), Action.DECIDE_LATE),
                           appeal=appeal_view(message), errors=errors, form=form)


@bp.post("/messages/<int:message_id>/found")
@login_required
def found(message_id: int):
    text = (request.form.get("text") or "").strip() or None
    update, refused = attempt(lambda: appeals.report_found(db(), console_user(), message_id, text))
    if refused:
        return _status_with_errors(message_id, {"found-text": refused.message})
    flash("The found update is with the supervisors for verification. Once it is out, the appeal is "
          "withdrawn from every channel.")
    return redirect(url_for("console.message", message_id=update.id))
