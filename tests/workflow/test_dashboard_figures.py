"""The dashboard's figures, exact for a known history, on SQLite and PostgreSQL: time to verify and
time to live per London day (median and 90th percentile), by channel, failures by channel and
messages per incident, over 7 and 14 days."""
from __future__ import annotations

import datetime as dt

import pytest

from tests.conftest import make_account
from tests.workflow.desk_history import DeskHistory, at
from workflow.core.errors import ValidationError
from workflow.delivery import dashboard, stats
from workflow.messages.models import Message

NOW = at("2026-11-20T15:00:00")


@pytest.fixture
def desk(runtime, session, officer, supervisor, website_account):
    x = make_account(session, "x", "Force X")
    web = website_account.id
    history = DeskHistory(runtime, session, officer, supervisor)

    def approved(start: str, wait: float, **kw) -> int:
        submitted = at(start)
        return history.approved(kw.pop("accounts", [web]), submitted, submitted + _s(wait), **kw)

    def later(start: str, wait: float, after: float):
        return at(start) + _s(wait + after)

    # 18 November: approvals after 1, 2 and 5 minutes; posts live after 2 s, 10 s (X) and 4 s.
    approved("2026-11-18T09:00:00", 60, accounts=[web, x.id],
             live={web: later("2026-11-18T09:00:00", 60, 2), x.id: later("2026-11-18T09:00:00", 60, 10)})
    first = approved("2026-11-18T10:00:00", 120, live={web: later("2026-11-18T10:00:00", 120, 4)},
                     incident={"title": "Flooding in the North"})
    flooding = session.get(Message, first).incident_id
    approved("2026-11-18T11:00:00", 300, incident=flooding)
    # 19 November: after 30 s (X refused it, the website took it after 1 s), 90 s, 10 and 15 minutes.
    approved("2026-11-19T09:00:00", 30, accounts=[web, x.id], incident={"title": "Fire at the docks"},
             live={web: later("2026-11-19T09:00:00", 30, 1)}, failed={x.id: later("2026-11-19T09:00:00", 30, 5)})
    for hour, wait in ((10, 90), (11, 600), (12, 900)):
        approved(f"2026-11-19T{hour}:00:00", wait)
    # 10 November, inside 14 days but not 7: after 999 s, live after 20 s.
    approved("2026-11-10T09:00:00", 999, live={web: later("2026-11-10T09:00:00", 999, 20)},
             incident={"title": "Missing walker"})
    return {"x": x.id, "website": web, "flooding": flooding}


def _s(seconds: float) -> dt.timedelta:
    return dt.timedelta(seconds=seconds)


def _days(rows) -> dict[str, tuple]:
    return {r.day.isoformat(): (r.count, r.median, r.p90) for r in rows if r.count}


def test_seven_days_of_figures(session, desk):
    data = dashboard.dashboard(session, 7, now=NOW)
    assert (data.first_day.isoformat(), data.last_day.isoformat()) == ("2026-11-14", "2026-11-20")
    assert [r.day.isoformat() for r in data.verify] == [f"2026-11-{d}" for d in range(14, 21)]
    assert _days(data.verify) == {"2026-11-18": (3, 120.0, 300.0), "2026-11-19": (4, 345.0, 900.0)}
    assert data.verify[0].median is None and data.verify[0].p90 is None
    assert _days(data.live) == {"2026-11-18": (3, 4.0, 10.0), "2026-11-19": (1, 1.0, 1.0)}
    assert {c.channel: (c.count, c.median, c.p90) for c in data.live_by_channel} == {
        "x": (1, 10.0, 10.0), "facebook": (0, None, None), "website": (3, 2.0, 4.0)}
    assert {o.channel: (o.failed, o.sent) for o in data.outcomes} == {
        "x": (1, 1), "facebook": (0, 0), "website": (0, 3)}
    assert [(i.title, i.messages) for i in data.incidents] == [("Flooding in the North", 2), ("Fire at the docks", 1)]


def test_fourteen_days_reach_further_back(session, desk):
    data = dashboard.dashboard(session, 14, now=NOW)
    assert data.first_day.isoformat() == "2026-11-07"
    assert _days(data.verify)["2026-11-10"] == (1, 999.0, 999.0)
    assert _days(data.live)["2026-11-10"] == (1, 20.0, 20.0)
    # A tie of one message each: the newer incident first.
    assert [(i.title, i.messages) for i in data.incidents] == [
        ("Flooding in the North", 2), ("Missing walker", 1), ("Fire at the docks", 1)]


def test_a_wait_counts_on_its_london_day(runtime, session, officer, supervisor, website_account):
    # 23:30 UTC on 1 July is 00:30 on 2 July in London (BST).
    history = DeskHistory(runtime, session, officer, supervisor)
    history.approved([website_account.id], at("2026-07-01T23:29:00"), at("2026-07-01T23:30:00"))
    data = dashboard.dashboard(session, 7, now=at("2026-07-03T12:00:00"))
    assert _days(data.verify) == {"2026-07-02": (1, 60.0, 60.0)}


def test_percentiles_are_by_nearest_rank():
    assert stats.percentile_90([5, 1, 3]) == 5
    assert stats.percentile_90(list(range(1, 11))) == 9
    assert stats.percentile_90(list(range(1, 12))) == 10
    assert stats.median([1, 2, 3, 4]) == 2.5
    assert stats.median([]) is None and stats.percentile_90([]) is None


@pytest.mark.parametrize("value,days", [(None, 7), ("", 7), ("14", 14), ("30", 30)])
def test_periods(value, days):
    assert dashboard.parse_period(value) == days


@pytest.mark.parametrize("value", ["8", "0", "-7", "seven", "7.0", "1e9"])
def test_other_periods_are_refused(value):
    with pytest.raises(ValidationError) as refused:
        dashboard.parse_period(value)
    assert refused.value.field == "days"
