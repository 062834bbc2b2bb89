"""Message history: every message the desk has written, found by its words and filtered by status,
account, area, incident, author and dates, a page at a time. The search is the API's own
(:mod:`workflow.messages.search`), so the console and ``GET /api/v1/messages`` find the same."""
from __future__ import annotations

from flask import render_template, request
from flask_login import login_required

from workflow.accounts import channel_accounts as accounts
from workflow.accounts import users as people
from workflow.core.errors import NotFoundError, ValidationError
from workflow.messages import incidents, search
from workflow.messages.states import MessageState

from ..context import db
from . import bp
from .forms import filtered_link

#: Messages on one page of the history.
PAGE_SIZE = 25
#: Incidents offered in the incident filter, newest first.
INCIDENTS_LISTED = 500


@bp.get("/history")
@login_required
def history():
    session = db()
    args = request.args.to_dict()
    args.setdefault("limit", str(PAGE_SIZE))
    errors: dict[str, str] = {}
    found, filters = None, search.Filters()
    try:
        filters = search.parse_filters(args)
        found = search.search_messages(session, filters)
    except ValidationError as exc:
        errors[exc.field or "q"] = exc.message
    known = accounts.list_accounts(session)
    listed = incidents.list_incidents(session, limit=INCIDENTS_LISTED)
    if filters.incident and filters.incident not in {i.id for i in listed}:
        # An older incident named in the address: still shown as the one chosen.
        try:
            listed.append(incidents.get_incident(session, filters.incident))
        except NotFoundError:
            pass
    areas = sorted({a.area for a in known if a.area} | {i.area for i in listed if i.area})
    return render_template(
        "console/history.html", title="Message history", found=found, errors=errors, form=request.args,
        statuses=list(MessageState), channel_accounts=known, areas=areas,
        incidents=listed, authors=people.list_users(session),
        page_link=lambda n: filtered_link("console.history", n),
        searched=any(v for k, v in request.args.items() if k not in ("page", "limit")),
    ), 422 if errors else 200
