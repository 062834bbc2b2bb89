"""The insights page: local share per account, followers over time, engagement and visits per post and
per channel, best hours to post; each chart beside a table of the same figures, each table as CSV.
And the gazetteer: each area's places, shown to everyone and edited by admins."""

from __future__ import annotations

import csv
import dataclasses
import io
from collections import defaultdict
from typing import Any, Callable

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import login_required

from workflow.accounts.policy import Action
from workflow.core import london
from workflow.insights import gazetteer, reports

from ..auth import require_console
from ..context import db
from . import bp
from .charts import Chart, bar_chart, line_chart
from .forms import attempt


@dataclasses.dataclass(frozen=True)
class Table:
    """A table of figures, shown beside its chart and downloadable as CSV."""

    name: str
    caption: str
    headings: tuple[str, ...]
    rows: list[tuple[Any, ...]]


def _share(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.1f}%"


def _when(value) -> str:
    return london.label(value) if value is not None else ""


def reach_table(session) -> Table:
    rows = [
        (
            r.account.name,
            str(r.account.kind),
            r.account.area or "Force-wide",
            "" if r.followers is None else r.followers,
            "" if r.followers_read is None else r.followers_read,
            "" if r.local_followers is None else r.local_followers,
            _share(r.local_share),
            _when(r.collected_at),
        )
        for r in reports.reach(session)
    ]
    return Table(
        "reach",
        "Local share per account (latest collection)",
        (
            "Account",
            "Channel",
            "Area",
            "Followers",
            "Locations read",
            "Local followers",
            "Local share",
            "Collected",
        ),
        rows,
    )


def followers_table(session) -> tuple[Table, dict[str, list]]:
    series: dict[str, list] = defaultdict(list)
    rows = []
    for item in reports.audience_accounts(session):
        _, history, _ = reports.account_reach(session, item.id)
        for row in history:
            if row.followers is not None and row.finished_at is not None:
                series[item.name].append((london.local(row.finished_at), row.followers))
                rows.append((item.name, _when(row.finished_at), row.followers, _share(row.local_share)))
    return Table(
        "followers", "Followers over time", ("Account", "Collected", "Followers", "Local share"), rows
    ), series


def posts_table(session) -> Table:
    rows = [
        (p.slug, _when(p.sent_at), p.reactions, p.shares, p.replies, p.visits) for p in reports.posts(session)
    ]
    return Table(
        "posts",
        "Engagement and visits per post (newest first)",
        ("Update", "Sent", "Reactions", "Shares", "Replies", "Visits"),
        rows,
    )


def channels_table(session) -> Table:
    rows = [
        (c.account.name, str(c.account.kind), c.posts, c.reactions, c.shares, c.replies, c.visits)
        for c in reports.channels(session)
    ]
    return Table(
        "channels",
        "Engagement and visits per channel",
        ("Account", "Channel", "Posts read", "Reactions", "Shares", "Replies", "Visits"),
        rows,
    )


def hours_table(session) -> Table:
    rows = [
        (f"{hour:02d}:00", posts, f"{average:.1f}") for hour, posts, average in reports.best_hours(session)
    ]
    return Table(
        "hours",
        "Best hours to post (London time the post went out)",
        ("Hour", "Posts", "Average reactions + shares + replies"),
        rows,
    )


TABLES: dict[str, Callable[[Any], Table]] = {
    "reach": reach_table,
    "followers": lambda s: followers_table(s)[0],
    "posts": posts_table,
    "channels": channels_table,
    "hours": hours_table,
}


def _charts(session) -> list[tuple[Chart, Table]]:
    reach = reach_table(session)
    figures = reports.reach(session)
    shares = [round((r.local_share or 0) * 100, 1) for r in figures]
    names = [f"{r.account.name}" for r in figures]
    force = [s if r.account.area is None else 0 for s, r in zip(shares, figures, strict=True)]
    local = [s if r.account.area is not None else 0 for s, r in zip(shares, figures, strict=True)]
    out = [
        (
            bar_chart(
                "Local share of followers, %",
                names,
                {"Force-wide": force, "Neighbourhood": local},
                ylabel="%",
                stacked=True,
            ),
            reach,
        )
    ]
    table, series = followers_table(session)
    out.append((line_chart("Followers over time", series, ylabel="followers"), table))
    posts = posts_table(session)
    recent = list(reversed(posts.rows[:12]))
    out.append(
        (
            bar_chart(
                "Engagement and visits per post",
                [r[0][:24] for r in recent],
                {
                    "Reactions": [r[2] for r in recent],
                    "Shares": [r[3] for r in recent],
                    "Replies": [r[4] for r in recent],
                    "Visits": [r[5] for r in recent],
                },
            ),
            posts,
        )
    )
    per_channel = channels_table(session)
    out.append(
        (
            bar_chart(
                "Engagement and visits per channel",
                [r[0] for r in per_channel.rows],
                {
                    "Reactions": [r[3] for r in per_channel.rows],
                    "Shares": [r[4] for r in per_channel.rows],
                    "Replies": [r[5] for r in per_channel.rows],
                    "Visits": [r[6] for r in per_channel.rows],
                },
            ),
            per_channel,
        )
    )
    hours = hours_table(session)
    out.append(
        (
            bar_chart(
                "Best hours to post: average engagement",
                [r[0][:2] for r in hours.rows],
                {"Average engagement": [float(r[2]) for r in hours.rows]},
                ylabel="per post",
            ),
            hours,
        )
    )
    return out


@bp.get("/insights")
@login_required
def insights_page():
    require_console(Action.READ)
    session = db()
    accounts = [(a.id, a.name) for a in reports.audience_accounts(session)]
    return render_template(
        "console/insights.html", title="Insights", panels=_charts(session), accounts=accounts
    )


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    # A spreadsheet runs a cell that starts like a formula: an account name must stay text.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def csv_response(table: Table) -> Response:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(table.headings)
    writer.writerows([_cell(v) for v in row] for row in table.rows)
    return Response(
        buffer.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="crier-{table.name}.csv"'},
    )


@bp.get("/insights/<name>.csv")
@login_required
def insights_csv(name: str):
    require_console(Action.READ)
    if name.startswith("places-") and name[7:].isdigit():
        return csv_response(places_table(db(), int(name[7:])))
    if name == "gazetteer":
        return csv_response(
            Table(
                "gazetteer",
                "Gazetteer",
                ("area", "place"),
                [(p.area, p.name) for p in gazetteer.places(db())],
            )
        )
    if name not in TABLES:
        abort(404)
    return csv_response(TABLES[name](db()))


def places_table(session, account_id: int) -> Table:
    reach, history, _ = reports.account_reach(session, account_id)
    latest = history[-1] if history else None
    rows = (
        [(p.place, p.area, p.followers) for p in sorted(latest.places, key=lambda p: (-p.followers, p.place))]
        if latest
        else []
    )
    return Table(
        f"places-{account_id}",
        f"Followers per place: {reach.account.name}",
        ("Place", "Area", "Followers"),
        rows,
    )


@bp.get("/insights/accounts/<int:account_id>")
@login_required
def insights_account(account_id: int):
    require_console(Action.READ)
    session = db()
    reach, history, running = reports.account_reach(session, account_id)
    places = places_table(session, account_id)
    top = places.rows[:15]
    chart = bar_chart(
        f"Followers per place: {reach.account.name}", [r[0] for r in top], {"Followers": [r[2] for r in top]}
    )
    return render_template(
        "console/insights_account.html",
        title=f"Insights: {reach.account.name}",
        reach=reach,
        history=history,
        running=running,
        panel=(chart, places),
        share=_share,
        when=_when,
    )


# The gazetteer -----------------------------------------------------------------------------


def _areas_page(errors: dict[str, str] | None = None, form=None, status: int = 200):
    session = db()
    return render_template(
        "console/areas.html",
        title="Areas and places",
        areas=gazetteer.by_area(session),
        errors=errors or {},
        form=form or {},
    ), status


@bp.get("/insights/areas")
@login_required
def areas_page():
    require_console(Action.READ)
    return _areas_page()


@bp.post("/insights/areas")
@login_required
def area_add_place():
    user = require_console(Action.ADMINISTER)
    made, refused = attempt(
        lambda: gazetteer.add_place(
            db(), user, request.form.get("area") or "", request.form.get("place") or ""
        ),
        propagate=(),
    )
    if refused:
        return _areas_page({refused.field or "place": refused.message}, request.form, refused.status)
    flash(f"{made.name} added to {made.area}.")
    return redirect(url_for("console.areas_page"))


@bp.post("/insights/areas/<int:place_id>/remove")
@login_required
def area_remove_place(place_id: int):
    user = require_console(Action.ADMINISTER)
    removed, refused = attempt(lambda: gazetteer.remove_place(db(), user, place_id))
    flash(refused.message if refused else f"{removed.name} removed from {removed.area}.")
    return redirect(url_for("console.areas_page"))


@bp.post("/insights/areas/import")
@login_required
def area_import():
    user = require_console(Action.ADMINISTER)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _areas_page({"file": "Choose a CSV file of area,place to import."}, status=422)
    raw = upload.read(gazetteer.MAX_IMPORT_BYTES + 1)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return _areas_page({"file": "The file is not UTF-8 text."}, status=422)
    result, refused = attempt(
        lambda: gazetteer.import_places(
            db(), user, gazetteer.read_csv(text), replace=request.form.get("replace") == "yes"
        ),
        propagate=(),
    )
    if refused:
        return _areas_page({"file": refused.message}, status=refused.status)
    flash(f"Imported {result[0]} place(s); {result[1]} were there already.")
    return redirect(url_for("console.areas_page"))
