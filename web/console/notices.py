"""Notices in the console: the live feed every open page polls, your notice settings and
duty, and the outbox of every notice (with the e-mails kept when no mail server is set)."""
from __future__ import annotations

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from workflow.accounts import policy
from workflow.accounts.policy import Action
from workflow.core import london
from workflow.core.runtime import settings_of
from workflow.notices import duty
from workflow.notices import queries as notices

from ..auth import console_user, require_console
from ..context import db
from . import bp
from .forms import attempt

#: How often an open console asks for new notices, in milliseconds.
NOTICE_POLL_MS = 3000
OUTBOX_PAGE = 100


@bp.app_context_processor
def _notice_context():
    if request.blueprint != "console" or not current_user.is_authenticated:
        return {}

    def live_after() -> int:
        # A page starts after the newest notice: older ones were shown on earlier pages.
        return notices.latest_live_id(db(), console_user().id)

    return {"live_after": live_after, "notice_poll_ms": NOTICE_POLL_MS}


def notice_view(n) -> dict:
    return {"id": n.id, "event": str(n.event), "subject": n.subject, "body": n.body, "link": n.link,
            "message": n.message_id, "at": london.label(n.created_at)}


@bp.get("/notices/live.json")
@login_required
def live_notices():
    raw = request.args.get("after", "0")
    after = int(raw) if raw.isdigit() and len(raw) < 19 else 0
    found = notices.live_feed(db(), console_user().id, after)
    response = jsonify({"notices": [notice_view(n) for n in found],
                        "after": found[-1].id if found else after})
    response.headers["Cache-Control"] = "no-store"
    return response


def _settings_page(errors: dict[str, str] | None = None, status: int = 200):
    user = console_user()
    return render_template("console/notice_settings.html", title="Notices and duty", person=user,
                           chosen=duty.settings_for(db(), user.id), recent=notices.recent_live(db(), user.id),
                           may_duty=policy.is_supervisor(user), errors=errors or {}), status


@bp.get("/settings/notices")
@login_required
def notice_settings():
    return _settings_page()


@bp.post("/settings/notices")
@login_required
def change_notice_settings():
    form = request.form
    _, refused = attempt(lambda: duty.set_channels(db(), console_user(), email=form.get("email") == "on",
                                                   live=form.get("live") == "on"), propagate=())
    if refused:
        return _settings_page({"channels": refused.message}, refused.status)
    flash("Your notice channels are saved.")
    return redirect(url_for("console.notice_settings"))


@bp.post("/settings/duty")
@login_required
def change_duty():
    on_duty = request.form.get("on_duty") == "yes"
    _, refused = attempt(lambda: duty.set_duty(db(), console_user(), on_duty), propagate=())
    if refused:
        return _settings_page({"duty": refused.message}, refused.status)
    flash("You are on duty: you are told first when a message waits for verification." if on_duty
          else "You are off duty.")
    return redirect(url_for("console.notice_settings"))


@bp.get("/outbox")
@login_required
def outbox():
    require_console(Action.VERIFY)
    channel = request.args.get("channel") or None
    state = request.args.get("state") or None
    raw = request.args.get("page", "1")
    page = int(raw) if raw.isdigit() and 0 < int(raw) <= 10_000 else 1
    found = notices.outbox(db(), channel=channel, state=state, limit=OUTBOX_PAGE + 1,
                           offset=(page - 1) * OUTBOX_PAGE)
    return render_template("console/outbox.html", title="Outbox", rows=found[:OUTBOX_PAGE],
                           more=len(found) > OUTBOX_PAGE, page=page, channel=channel, state=state,
                           mail_server=bool(settings_of(db()).smtp_url))
