"""The desk's dashboard, for supervisors and admins: time to verify and time to live per day,
failures by channel and messages per incident over the last 7, 14 or 30 days. Each chart has a
table of the same figures beside it; the figures come from :mod:`workflow.delivery.dashboard`."""
from __future__ import annotations

import datetime as dt

from flask import render_template, request
from flask_login import login_required

from workflow.accounts.policy import Action
from workflow.core.errors import ValidationError
from workflow.delivery import dashboard as figures
from workflow.delivery.dashboard import DayFigures

from ..auth import require_console
from ..context import db
from . import bp, present
from .charts import Chart, bar_chart, line_chart

#: Longest incident title shown under a bar.
LABEL_CHARS = 28


def duration(seconds: float | None) -> str:
    """A wait as the desk reads it: "4.5 s", "12 s", "3 min 05 s", "2 h 10 min"; "no data" for None."""
    if seconds is None:
        return "no data"
    if seconds < 10:
        return f"{seconds:.1f} s"
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min {whole % 60:02d} s"
    return f"{whole // 3600} h {whole % 3600 // 60:02d} min"


def _day(day: dt.date) -> str:
    return day.strftime("%a %d %b %Y")


def _daily_chart(title: str, rows: list[DayFigures], scale: float, unit: str) -> Chart:
    if not any(r.count for r in rows):
        return line_chart(title, {"Median": [], "90th percentile": []}, ylabel=unit)

    def points(pick) -> list:
        return [(r.day, None if pick(r) is None else round(pick(r) / scale, 2)) for r in rows]

    return line_chart(title, {"Median": points(lambda r: r.median), "90th percentile": points(lambda r: r.p90)},
                      ylabel=unit)


def _charts(data: figures.Dashboard) -> dict[str, Chart]:
    incidents = [present.excerpt(i.title, LABEL_CHARS) for i in data.incidents]
    return {
        "verify": _daily_chart("Time to verify, per day", data.verify, 60.0, "minutes"),
        "live": _daily_chart("Time to live, per day", data.live, 1.0, "seconds"),
        "failures": bar_chart("Failures by channel", [present.kind_label(o.channel) for o in data.outcomes],
                              {"Failed": [o.failed for o in data.outcomes]} if data.outcomes else {},
                              ylabel="failures"),
        "incidents": bar_chart("Messages per incident", incidents,
                               {"Messages": [i.messages for i in data.incidents]} if incidents else {},
                               ylabel="messages"),
    }


@bp.get("/dashboard")
@login_required
def dashboard():
    require_console(Action.OVERSEE)
    errors: dict[str, str] = {}
    try:
        days = figures.parse_period(request.args.get("days"))
    except ValidationError as exc:
        errors["days"] = exc.message
        days = figures.PERIODS[0]
    data = figures.dashboard(db(), days)
    return render_template("console/dashboard.html", title="Dashboard", data=data, charts=_charts(data),
                           periods=figures.PERIODS, duration=duration, london_day=_day, errors=errors), (
        422 if errors else 200)
