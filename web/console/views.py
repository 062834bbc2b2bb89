"""Console pages shared by everyone: sign in and out, home, the pause control, errors."""
from __future__ import annotations

from flask import flash, g, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf.csrf import CSRFError
from sqlalchemy import and_, select
from sqlalchemy.orm import joinedload

from workflow.accounts import channel_accounts as accounts
from workflow.accounts import policy
from workflow.accounts.models import ChannelAccount, User
from workflow.accounts.policy import Action
from workflow.core import london
from workflow.core.errors import CrierError
from workflow.core.runtime import settings_of
from workflow.messages import appeals
from workflow.messages.models import Incident, Message, MessageVersion
from workflow.scheduling import pause

from ..auth import console_user
from ..context import db
from . import bp, present
from .forms import attempt
from .signin import safe_next

HOME_LIMIT = 50


def wants_json() -> bool:
    return request.path.endswith(".json") or request.is_json or (
        request.accept_mimetypes.best == "application/json")


@bp.errorhandler(CrierError)
def _domain_error(exc: CrierError):
    if wants_json():
        body = {"code": exc.code, "message": exc.message}
        if exc.field:
            body["field"] = exc.field
        return jsonify({"error": body}), exc.status
    return render_template("console/error.html", title="Something needs attention",
                           message=exc.message, status=exc.status), exc.status


@bp.errorhandler(CSRFError)
def _csrf_error(exc: CSRFError):
    message = "This form had expired or did not come from Crier. Nothing was changed; please try again."
    if wants_json():
        return jsonify({"error": {"code": "csrf", "message": message}}), 400
    return render_template("console/error.html", title="Form expired", message=message, status=400), 400


@bp.errorhandler(404)
def _not_found(exc):
    if wants_json():
        return jsonify({"error": {"code": "not_found", "message": "no such page"}}), 404
    return render_template("console/error.html", title="Not found",
                           message="There is no such page.", status=404), 404


@bp.app_context_processor
def _console_context():
    if not request.blueprint == "console":
        return {}
    pauses, names = [], {}
    if current_user.is_authenticated:
        if "console_pauses" not in g:
            g.console_pauses = present.active_pauses(db())
        pauses = g.console_pauses
        ids = {i for p in pauses for i in (p.account_ids or [])}
        if ids:
            names = {a.id: a.name for a in db().execute(
                select(ChannelAccount).where(ChannelAccount.id.in_(ids))).scalars()}
    return {
        "pauses": pauses,
        "pause_scope": lambda p: present.pause_scope(p, names),
        "london": london.label,
        "state_label": present.state_label,
        "delivery_label": present.delivery_label,
        "kind_label": present.kind_label,
        "excerpt": present.excerpt,
        "may": lambda action: current_user.is_authenticated and policy.may(console_user(), action),
    }


def _latest_rows(stmt):
    """Messages with the body of their latest version, without one query per row."""
    stmt = stmt.join(MessageVersion, and_(MessageVersion.message_id == Message.id,
                                          MessageVersion.number == Message.current_version))
    stmt = stmt.add_columns(MessageVersion.body).options(
        joinedload(Message.author), joinedload(Message.incident))
    return [(m, body) for m, body in db().execute(stmt).all()]


@bp.get("/")
@login_required
def home():
    user = console_user()
    session = db()
    mine = _latest_rows(select(Message).where(
        Message.author_id == user.id, Message.status.in_(["draft", "rejected"]))
        .order_by(Message.updated_at.desc()).limit(HOME_LIMIT))
    queue = []
    if policy.may(user, Action.VERIFY):
        queue = _latest_rows(select(Message).where(Message.status == "awaiting_verification")
                             .order_by(Message.updated_at.desc()).limit(HOME_LIMIT))
    attention = _latest_rows(select(Message).where(
        Message.status.in_(["failed", "partially_published", "held"]))
        .order_by(Message.updated_at.desc()).limit(HOME_LIMIT))
    recent = _latest_rows(select(Message).where(
        Message.status.in_(["approved", "scheduled", "publishing", "published"]))
        .order_by(Message.updated_at.desc()).limit(20))
    reconnect = session.execute(select(ChannelAccount).where(ChannelAccount.status == "reconnect")
                                .order_by(ChannelAccount.created_at.desc())).scalars().all()
    incidents = session.execute(select(Incident).where(Incident.status == "open")
                                .order_by(Incident.created_at.desc()).limit(20)).scalars().all()
    live_appeals = appeals.appeals(session, live_only=True)
    return render_template("console/home.html", title="Home", mine=mine, queue=queue,
                           attention=attention, recent=recent, reconnect=reconnect,
                           incidents=incidents, user=user, live_appeals=live_appeals,
                           overdue_appeals=[a for a in live_appeals if a.overdue],
                           remind_hours=present.duration(settings_of(session).appeal_remind_after))


# Pause -----------------------------------------------------------------------

@bp.get("/pause")
@login_required
def pause_page():
    user = console_user()
    policy.require(user, Action.PAUSE)
    groups = present.group_accounts(accounts.list_accounts(db()))
    return render_template("console/pause.html", title="Pause routine posts", groups=groups,
                           errors={}, form={})


@bp.post("/pause")
@login_required
def pause_routine():
    user = console_user()
    policy.require(user, Action.PAUSE)
    reason = (request.form.get("reason") or "").strip()
    account_ids = [int(v) for v in request.form.getlist("accounts") if v.isdigit()]
    areas = [a for a in request.form.getlist("areas") if a]
    errors = {}
    if not reason:
        errors["reason"] = "Say why routine posts are paused: everyone will see it."
    else:
        _, refused = attempt(lambda: pause.pause_routine(db(), user, reason, account_ids=account_ids or None,
                                                         areas=areas or None), propagate=())
        if refused:
            errors[refused.field or "reason"] = refused.message
    if errors:
        groups = present.group_accounts(accounts.list_accounts(db()))
        return render_template("console/pause.html", title="Pause routine posts", groups=groups,
                               errors=errors, form=request.form), 422
    flash("Routine posts are paused.")
    return redirect(url_for("console.home"))


@bp.post("/pause/lift")
@login_required
def lift_pause():
    user = console_user()
    policy.require(user, Action.PAUSE)
    pause_id = request.form.get("pause_id")
    pause.lift_pause(db(), user, pause_id=int(pause_id) if pause_id and pause_id.isdigit() else None)
    flash("The pause is lifted: routine posts go out again.")
    return redirect(safe_next(request.form.get("next")))


def user_names(ids) -> dict[int, str]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return {u.id: u.name for u in db().execute(select(User).where(User.id.in_(ids))).scalars()}

