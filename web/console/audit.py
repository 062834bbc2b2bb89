"""The audit trail in the console: one message's record (events and deliveries), and the audit
browser (every event, filtered by message, person, action and dates) headed by the check of the
whole chain. Both export CSV through the one writer here."""
from __future__ import annotations

import csv
import io
import json
from itertools import chain as concat
from typing import Any, Iterable, Iterator

from flask import Response, render_template, request
from flask_login import login_required

from workflow.accounts.policy import Action
from workflow.audit import chain as audit
from workflow.audit import trail, verification
from workflow.audit.models import AuditEvent
from workflow.core.database import utcnow
from workflow.core.errors import ValidationError
from workflow.core.london import local
from workflow.core.runtime import audit_key
from workflow.delivery.models import Delivery
from workflow.messages import queries

from ..auth import require_console
from ..context import db, runtime
from . import bp
from .forms import filtered_link

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

CSV_HEADER = ("record", "time_utc", "actor", "action", "version", "content_hash", "account", "state",
              "attempts", "url", "details", "event_id", "message")


def csv_cell(value: Any) -> str:
    """A cell a spreadsheet will show as text, never run as a formula."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_START):
        return "'" + text
    return text


def _event_row(e: AuditEvent) -> tuple:
    return ("event", e.created_at.isoformat(), e.actor, e.action, e.version_number, e.content_hash,
            "", "", "", "", e.details, e.id, e.message_id)


def _delivery_row(d: Delivery) -> tuple:
    return ("delivery", (d.sent_at or d.updated_at).isoformat(), "system", d.purpose,
            d.version.number if d.version else "", d.version.content_hash if d.version else "",
            d.account.name if d.account else d.account_id, d.state, d.attempts, d.url or "",
            d.last_error or "", "", d.message_id)


def csv_lines(events: Iterable[AuditEvent], deliveries: Iterable[Delivery] = ()) -> Iterator[str]:
    """The audit CSV, a line at a time: a header, a row per event, then a row per delivery."""
    out = io.StringIO()
    writer = csv.writer(out)
    rows = concat([CSV_HEADER], (_event_row(e) for e in events), (_delivery_row(d) for d in deliveries))
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
        yield out.getvalue()
        out.seek(0)
        out.truncate()


def _csv_response(lines: Iterable[str], filename: str) -> Response:
    return Response(lines, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _details(event: AuditEvent) -> list[tuple[str, str]]:
    try:
        data = audit.details_of(event)
    except ValueError:
        return [("details", event.details)]
    if not isinstance(data, dict):
        return [("details", event.details)]
    return [(key.replace("_", " "), _detail_text(value)) for key, value in data.items()]


def _detail_text(value: Any) -> str:
    """A detail in words: flags as the ones that hold, an authority as officer and reason, the rest as JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and value and all(isinstance(v, bool) for v in value.values()):
        return ", ".join(k.replace("_", " ") for k, v in value.items() if v) or "none"
    if isinstance(value, dict) and value and all(isinstance(v, str) for v in value.values()):
        return "; ".join(f"{k.replace('_', ' ')}: {v}" for k, v in value.items())
    return json.dumps(value)


# One message -------------------------------------------------------------------------

@bp.get("/messages/<int:message_id>/audit")
@login_required
def audit_page(message_id: int):
    session = db()
    message = queries.get_message(session, message_id)
    return render_template("console/audit.html", title=f"Audit: message {message.id}", message=message,
                           events=audit.events_for_message(session, message.id),
                           deliveries=trail.message_deliveries(session, message.id), details=_details)


@bp.get("/messages/<int:message_id>/audit.csv")
@login_required
def audit_csv(message_id: int):
    session = db()
    message = queries.get_message(session, message_id)
    lines = csv_lines(audit.events_for_message(session, message.id), trail.message_deliveries(session, message.id))
    return _csv_response(list(lines), f"crier-message-{message.id}-audit.csv")


# The audit browser ---------------------------------------------------------------------

def _check() -> verification.TrailCheck:
    """The whole trail checked now, in a session of its own (the check reads the chain in batches)."""
    crier = runtime()
    with crier.session() as session:
        return verification.check_trail(session, audit_key(crier.settings), crier.settings.audit_checkpoints or None)


@bp.get("/audit")
@login_required
def audit_browser():
    require_console(Action.OVERSEE)
    # The check reads in a session of its own; on SQLite a transaction holds the database's
    # one write lock from its start, so the request's own transaction ends first.
    db().rollback()
    check = _check()
    session = db()
    errors: dict[str, str] = {}
    try:
        filters = trail.parse_filters(request.args)
        page = trail.find_events(session, filters)
    except ValidationError as exc:
        errors[exc.field or "message"] = exc.message
        filters, page = trail.TrailFilters(), trail.TrailPage([], 1, trail.PAGE_SIZE, False)
    action_names = trail.actions(session)
    families = sorted({name.split(".", 1)[0] + trail.FAMILY for name in action_names if "." in name})
    return render_template(
        "console/audit_trail.html", title="Audit trail", check=check, page=page, errors=errors,
        form=request.args, actions=action_names, families=families, actors=trail.actors(session),
        details=_details, page_link=lambda n: filtered_link("console.audit_browser", n),
        csv_link=filtered_link("console.audit_browser_csv"),
    ), 422 if errors else 200


@bp.get("/audit.csv")
@login_required
def audit_browser_csv():
    """Every event the browser's filters match (not one page), oldest first."""
    require_console(Action.OVERSEE)
    filters = trail.parse_filters(request.args)
    crier = runtime()

    def lines() -> Iterator[str]:
        with crier.session() as session:
            yield from csv_lines(trail.matching_events(session, filters))

    stamp = local(utcnow()).strftime("%Y%m%d-%H%M")
    return _csv_response(lines(), f"crier-audit-{stamp}.csv")
