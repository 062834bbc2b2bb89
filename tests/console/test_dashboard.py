"""The console's dashboard: supervisors' and admins' only; each chart a described PNG with a table
of the same figures beside it; the period chosen from 7, 14 or 30 days."""
from __future__ import annotations

import datetime as dt
import re

import pytest

from tests.conftest import make_account
from tests.workflow.desk_history import DeskHistory
from web.console.dashboard import duration
from workflow.core.database import utcnow
from workflow.core.london import from_wall_clock, local


def _table(html: str, table_id: str) -> list[list[str]]:
    body = re.search(rf'<table id="{table_id}">.*?<tbody>(.*?)</tbody>', html, re.S).group(1)
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", body, re.S):
        cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        rows.append([re.sub(r"<[^>]+>", "", cell).strip() for cell in cells])
    return rows


@pytest.fixture
def desk(runtime, session, officer, supervisor, website_account):
    """Yesterday (London): approvals after 1 and 3 minutes, a website post live after 4 s, an X post
    refused; twenty days ago: an approval after 10 minutes, in an incident."""
    x = make_account(session, "x", "Force X")
    history = DeskHistory(runtime, session, officer, supervisor)
    yesterday = local(utcnow()).date() - dt.timedelta(days=1)
    base = from_wall_clock(dt.datetime.combine(yesterday, dt.time(10)))
    s = dt.timedelta(seconds=1)
    history.approved([website_account.id, x.id], base, base + 60 * s, live={website_account.id: base + 64 * s},
                     failed={x.id: base + 70 * s}, incident={"title": "Flooding in the North"})
    history.approved([website_account.id], base + 3600 * s, base + 3780 * s)
    old = from_wall_clock(dt.datetime.combine(yesterday - dt.timedelta(days=19), dt.time(10)))
    history.approved([website_account.id], old, old + 600 * s, incident={"title": "Missing walker"})
    return {"yesterday": yesterday}


def test_only_supervisors_and_admins_see_the_dashboard(console, officer, supervisor, admin):
    assert console(officer).get("/dashboard").status_code == 403
    assert 'href="/dashboard"' not in console(officer).get("/").get_data(as_text=True)
    for person in (supervisor, admin):
        response = console(person).get("/dashboard")
        assert response.status_code == 200
        assert 'href="/dashboard" aria-current="page"' in response.get_data(as_text=True)


def test_tables_beside_the_charts_show_the_figures(console, supervisor, desk):
    html = console(supervisor).get("/dashboard").get_data(as_text=True)
    day = desk["yesterday"].strftime("%a %d %b %Y")
    verify = _table(html, "verify-table")
    assert len(verify) == 7
    assert [day, "2", "2 min 00 s", "3 min 00 s"] in verify
    assert verify[0][1:] == ["0", "no data", "no data"]
    assert [day, "1", "4.0 s", "4.0 s"] in _table(html, "live-table")
    assert _table(html, "live-channel-table") == [
        ["X", "0", "no data", "no data"], ["Facebook", "0", "no data", "no data"],
        ["Website", "1", "4.0 s", "4.0 s"]]
    assert _table(html, "failures-table") == [["X", "1", "0", "100%"], ["Facebook", "0", "0", "no data"],
                                              ["Website", "0", "1", "0%"]]
    assert _table(html, "incidents-table") == [["Flooding in the North", "open", "1"]]
    # Four charts, each a PNG in the page with its figures in words.
    images = re.findall(r'<img src="data:image/png;base64,[^"]+" alt="([^"]+)"', html)
    assert len(images) == 4
    assert any(alt.startswith("Failures by channel. X 1, Facebook 0, Website 0") for alt in images)
    assert any("Median: 1 points from 2 to 2" in alt for alt in images)  # minutes


def test_the_period_reaches_further_back(console, supervisor, desk):
    client = console(supervisor)
    html = client.get("/dashboard?days=30").get_data(as_text=True)
    assert len(_table(html, "verify-table")) == 30
    assert _table(html, "incidents-table") == [["Missing walker", "open", "1"], ["Flooding in the North", "open", "1"]]
    assert re.search(r'<input type="radio" id="days-30" name="days" value="30" checked>', html)
    assert len(_table(client.get("/dashboard?days=14").get_data(as_text=True), "verify-table")) == 14


@pytest.mark.parametrize("days", ["8", "x", "-1"])
def test_other_periods_are_refused_on_the_page(console, supervisor, days):
    response = console(supervisor).get(f"/dashboard?days={days}")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'class="error-summary"' in html and "days must be one of 7, 14, 30" in html
    assert len(_table(html, "verify-table")) == 7


@pytest.mark.parametrize("seconds,text", [(None, "no data"), (0.0, "0.0 s"), (4.04, "4.0 s"), (12.4, "12 s"),
                                          (59.6, "1 min 00 s"), (185, "3 min 05 s"), (7800, "2 h 10 min")])
def test_durations_read_as_the_desk_reads_them(seconds, text):
    assert duration(seconds) == text
