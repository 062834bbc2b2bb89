"""Incidents in the console: the list, and one incident's page with every message, version and
channel, its public timeline, and closing or reopening it."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import login_required

from workflow.accounts import policy
from workflow.accounts.policy import Action
from workflow.messages import incidents
from workflow.website.urls import incident_link

from ..auth import console_user
from ..context import db
from . import bp, present
from .forms import attempt


@bp.get("/incidents")
@login_required
def incident_list():
    session = db()
    return _list_page(may_open=policy.may(console_user(), Action.DRAFT))


def _list_page(errors: dict[str, str] | None = None, form=None, status: int = 200, *, may_open: bool = True):
    session = db()
    rows = incidents.list_incidents(session)
    return render_template("console/incidents.html", title="Incidents", incidents=rows,
                           counts=incidents.message_counts(session, [i.id for i in rows]), may_open=may_open,
                           errors=errors or {}, form=form or {}), status


@bp.post("/incidents")
@login_required
def open_incident():
    title = request.form.get("title") or ""
    made, refused = attempt(lambda: incidents.open_incident(
        db(), console_user(), title, request.form.get("area") or None,
        exercise=request.form.get("exercise") == "yes"), propagate=())
    if refused:
        return _list_page({"title": refused.message}, request.form, refused.status)
    flash(f"Incident opened: {made.title}.")
    return redirect(url_for("console.incident_page", incident_id=made.id))


@bp.get("/incidents/<int:incident_id>")
@login_required
def incident_page(incident_id: int):
    session = db()
    incident = incidents.get_incident(session, incident_id)
    timeline = [(m, present.current_deliveries(m.deliveries))
                for m in sorted(incident.messages, key=lambda m: (m.created_at, m.id))]
    return render_template("console/incident.html", title=f"Incident: {incident.title}", incident=incident,
                           timeline=timeline, public_link=incident_link(session, incident),
                           may_change=policy.may(console_user(), Action.DRAFT))


@bp.post("/incidents/<int:incident_id>/status")
@login_required
def incident_status(incident_id: int):
    wanted = request.form.get("status")
    _, refused = attempt(lambda: incidents.update_incident(db(), console_user(), incident_id, status=wanted))
    flash(refused.message if refused else ("Incident closed." if wanted == "closed" else "Incident reopened."))
    return redirect(url_for("console.incident_page", incident_id=incident_id))
