"""Incidents in the console: the list, and one incident's page with every message, version and
channel, its public timeline, its legal context, and closing or reopening it."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import login_required

from workflow.accounts import policy
from workflow.accounts.policy import Action
from workflow.messages import incidents, legal
from workflow.messages.checks import CONTEXT_FIELDS
from workflow.website.urls import incident_link

from ..auth import console_user
from ..context import db
from . import bp, present
from .forms import attempt


@bp.get("/incidents")
@login_required
def incident_list():
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
    user = console_user()
    return render_template("console/incident.html", title=f"Incident: {incident.title}", incident=incident,
                           timeline=timeline, public_link=incident_link(session, incident),
                           may_change=policy.may(user, Action.DRAFT),
                           may_record_legal=policy.may(user, Action.RECORD_LEGAL),
                           legal_flags=legal.flags(incident.legal), legal_labels=legal.LABELS)


@bp.post("/incidents/<int:incident_id>/legal")
@login_required
def incident_legal(incident_id: int):
    ticked = set(request.form.getlist("legal"))
    changes = {name: name in ticked for name in CONTEXT_FIELDS}
    done, refused = attempt(lambda: legal.set_incident_context(db(), console_user(), incident_id, changes))
    if refused:
        flash(f"The legal context was not changed: {refused.message}", "error")
    else:
        flash(_legal_outcome(done[1]))
    return redirect(url_for("console.incident_page", incident_id=incident_id))


def _legal_outcome(rechecks: list[legal.Recheck]) -> str:
    voided = [r.message_id for r in rechecks if r.voided]
    changed = [r.message_id for r in rechecks if r.changed and not r.voided]
    if not rechecks:
        return "Legal context saved."
    said = [f"Legal context saved; the checks ran again on {len(rechecks)} message(s)."]
    if voided:
        said.append("Approval voided, back for verification: " + ", ".join(f"message {i}" for i in voided) + ".")
    if changed:
        said.append("Findings changed on " + ", ".join(f"message {i}" for i in changed) + ".")
    return " ".join(said)


@bp.post("/incidents/<int:incident_id>/status")
@login_required
def incident_status(incident_id: int):
    wanted = request.form.get("status")
    _, refused = attempt(lambda: incidents.update_incident(db(), console_user(), incident_id, status=wanted))
    flash(refused.message if refused else ("Incident closed." if wanted == "closed" else "Incident reopened."))
    return redirect(url_for("console.incident_page", incident_id=incident_id))
