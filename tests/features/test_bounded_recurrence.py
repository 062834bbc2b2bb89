"""Repeat rules are checked when written and every computation on them is bounded.

``FREQ=DAILY;INTERVAL=0`` once spun for ever inside the database write lock
and took the whole desk down. Every rule is now refused with the part named
when it is written (API, console form, autosave), and a bad rule already
stored cannot hang anything: the scheduler parks its series with a reason.
"""
from __future__ import annotations

import datetime as dt
import random

import pytest
from dateutil import rrule
from sqlalchemy import func, select, text

from tests.console.conftest import sign_in
from tests.features.support import approved, at, audit_actions
from workflow.messages.models import Decision, Message
from workflow.scheduling.recurrence import plan_due_occurrences
from workflow.scheduling.rules import LONDON, next_occurrence

# Each would loop, overflow or search to the year 9999 in dateutil if it got that far.
BAD_RULES = [
    ("FREQ=DAILY;INTERVAL=0", "INTERVAL"),
    ("FREQ=DAILY;INTERVAL=-1", "INTERVAL"),
    ("FREQ=WEEKLY;INTERVAL=367", "INTERVAL"),
    ("FREQ=DAILY;INTERVAL=1,2", "INTERVAL"),
    ("FREQ=DAILY;COUNT=1001", "COUNT"),
    ("FREQ=DAILY;COUNT=0", "COUNT"),
    ("FREQ=DAILY;UNTIL=20991231T000000Z", "UNTIL"),
    ("FREQ=DAILY;UNTIL=tomorrow", "UNTIL"),
    ("FREQ=MINUTELY", "FREQ"),
    ("INTERVAL=2", "FREQ"),
    ("FREQ=HOURLY;BYHOUR=25", "BYHOUR"),
    ("FREQ=DAILY;BYMINUTE=60", "BYMINUTE"),
    ("FREQ=MONTHLY;BYMONTHDAY=0", "BYMONTHDAY"),
    ("FREQ=MONTHLY;BYDAY=+6MO", "BYDAY"),
    ("FREQ=DAILY;BYDAY=+1MO", "BYDAY"),
    ("FREQ=YEARLY;BYDAY=+60MO", "BYDAY"),
    ("FREQ=WEEKLY;BYDAY=XX", "BYDAY"),
    ("FREQ=DAILY;FREQ=WEEKLY", "twice"),
    ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29;BYDAY=1MO", "5 years"),
    ("FREQ=MONTHLY;BYDAY=5MO;BYMONTHDAY=1", "5 years"),
]
FIRST = "2027-03-22T09:00:00"


@pytest.mark.timeout(30)
@pytest.mark.parametrize("rule, says", BAD_RULES)
def test_a_bad_rule_is_refused_through_the_api_naming_the_problem(api, session, officer, website_account,
                                                                   rule, says):
    response = api(officer).post("/messages", json={
        "body": "Drop-in surgery at the library.", "accounts": [website_account.id],
        "publish_at": FIRST, "recurrence": rule})
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert error["field"] == "recurrence" and says in error["message"], error
    assert session.execute(select(func.count()).select_from(Message)).scalar_one() == 0


@pytest.mark.timeout(30)
def test_an_edit_to_a_spinning_rule_is_refused_and_keeps_the_approval(api, session, officer, supervisor,
                                                                       website_account):
    series = approved(session, officer, supervisor, [website_account.id], at("2027-03-20T12:00:00"),
                      publish_at=FIRST, recurrence="FREQ=WEEKLY;BYDAY=MO", body="Drop-in surgery.")
    response = api(officer).patch(f"/messages/{series.id}", json={"recurrence": "FREQ=DAILY;INTERVAL=0"})
    assert response.status_code == 422 and response.get_json()["error"]["field"] == "recurrence"
    session.expire_all()
    assert session.get(Message, series.id).current_version == 1


@pytest.mark.timeout(30)
def test_the_console_form_and_autosave_refuse_a_spinning_rule(app, session, officer, website_account):
    console = sign_in(app, officer)
    form = {"body": "Drop-in surgery at the library.", "accounts": [str(website_account.id)],
            "publish_at": FIRST, "recurrence": "FREQ=DAILY;INTERVAL=0"}
    page = console.post("/compose", form)
    assert page.status_code in (400, 422)
    assert "INTERVAL" in page.get_data(as_text=True)
    saved = console.post_json("/compose/autosave.json", {**form, "accounts": [website_account.id]})
    assert saved.status_code in (400, 422)
    assert "INTERVAL" in saved.get_data(as_text=True)
    assert session.execute(select(func.count()).select_from(Message)).scalar_one() == 0


@pytest.mark.timeout(60)
@pytest.mark.parametrize("stored", ["FREQ=DAILY;INTERVAL=0", "FREQ=MONTHLY;BYDAY=+5MO;BYMONTHDAY=1",
                                    "FREQ=HOURLY;BYHOUR=25"])
def test_a_bad_rule_already_stored_is_parked_with_a_reason(app, api, session, officer, supervisor,
                                                            website_account, stored):
    series = approved(session, officer, supervisor, [website_account.id], at("2027-03-20T12:00:00"),
                      publish_at=FIRST, recurrence="FREQ=WEEKLY;BYDAY=MO", body="Drop-in surgery.")
    for d in series.deliveries:
        d.state, d.remote_id = "sent", "page"
    series.status = "published"
    session.commit()
    # Written before today's checks, or straight into the database.
    session.execute(text("UPDATE message_versions SET recurrence = :rule WHERE message_id = :id"),
                    {"rule": stored, "id": series.id})
    session.commit()

    assert plan_due_occurrences(session, at("2027-03-29T09:00:00")) == []

    session.expire_all()
    message = session.get(Message, series.id)
    assert message.status == "held"
    assert "repeat rule" in message.rejection_reason and "edit the repeat" in message.rejection_reason
    assert all(d.voided_at is not None for d in session.execute(select(Decision)).scalars())
    assert "series.parked" in [e.action for e in audit_actions(session, series.id)]
    # Parked once: the scheduler does not come back to it.
    assert plan_due_occurrences(session, at("2027-04-05T09:00:00")) == []
    # The officer sees why, and every page still answers.
    assert api(officer).get(f"/messages/{series.id}").get_json()["rejection_reason"] == message.rejection_reason
    console = sign_in(app, officer)
    for page in (f"/messages/{series.id}", f"/messages/{series.id}/status", f"/messages/{series.id}/edit"):
        answer = console.get(page)
        assert answer.status_code == 200 and "repeat rule" in answer.get_data(as_text=True), page
    assert app.test_client().get("/news").status_code == 200
    # Fixing the repeat is an ordinary edit, verified again.
    fixed = api(officer).patch(f"/messages/{series.id}", json={"recurrence": "FREQ=WEEKLY;BYDAY=TU"})
    assert fixed.status_code == 200, fixed.get_json()
    assert fixed.get_json()["status"] == "awaiting_verification"


RULES = ["FREQ=HOURLY", "FREQ=HOURLY;INTERVAL=5", "FREQ=HOURLY;BYHOUR=9,17;BYMINUTE=30",
         "FREQ=DAILY", "FREQ=DAILY;INTERVAL=3", "FREQ=DAILY;BYDAY=MO,TH", "FREQ=DAILY;INTERVAL=2;BYDAY=FR",
         "FREQ=DAILY;BYMONTHDAY=1,15", "FREQ=WEEKLY", "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE",
         "FREQ=WEEKLY;INTERVAL=3;BYDAY=SU;BYHOUR=18", "FREQ=WEEKLY;INTERVAL=2;WKST=SU;BYDAY=SU,MO"]


@pytest.mark.parametrize("rule", RULES)
def test_a_long_running_series_finds_the_same_occurrences_as_a_search_from_its_start(rule):
    # Planning starts the search near the moment asked about, not at the series' start
    # years ago; the occurrences must be exactly those of the whole rule.
    start = dt.datetime(2024, 3, 30, 8, 45, tzinfo=LONDON).astimezone(dt.timezone.utc)
    whole = rrule.rrulestr(rule, dtstart=start.astimezone(LONDON).replace(tzinfo=None))
    picks = random.Random(rule)
    for _ in range(25):
        after = start + dt.timedelta(minutes=picks.randrange(0, 3 * 365 * 24 * 60))
        local = whole.after(after.astimezone(LONDON).replace(tzinfo=None), inc=True)
        while local.replace(tzinfo=LONDON).astimezone(dt.timezone.utc) < after:
            local = whole.after(local)
        assert next_occurrence(start, rule, after) == local.replace(tzinfo=LONDON).astimezone(dt.timezone.utc)
