"""Strict input: unknown fields, variant keys, publish times and empty edits, through the API and console."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from tests.api.conftest import assert_error
from tests.conftest import make_account
from tests.console.conftest import sign_in
from workflow.messages.models import Decision, Message, MessageVersion

NOW = dt.datetime.now(dt.timezone.utc)


def next_clock_change(month: int) -> str:
    """01:30 on the next last Sunday of ``month`` (March: skipped in London; October: passed twice)."""
    year = NOW.year
    while True:
        day = dt.date(year, month, 31)
        day -= dt.timedelta(days=(day.weekday() + 1) % 7)
        if day > NOW.date() + dt.timedelta(days=1):
            return f"{day.isoformat()}T01:30:00"
        year += 1


GAP, TWICE = next_clock_change(3), next_clock_change(10)


def count(session, model) -> int:
    return session.execute(select(func.count()).select_from(model)).scalar_one()


@pytest.mark.parametrize("path, payload, field", [
    ("/messages", {"body": "Road closed.", "accounts": "ACCOUNTS", "bdy": "typo"}, "bdy"),
    ("/messages", {"body": "Road closed.", "accounts": "ACCOUNTS", "approved": True}, "approved"),
    ("/messages", {"body": "Road closed.", "accounts": "ACCOUNTS", "status": "published"}, "status"),
    ("/pause", {"reason": "Major incident", "force": True}, "force"),
])
def test_unknown_fields_are_refused_naming_the_field(api, session, officer, supervisor, website_account,
                                                     path, payload, field):
    client = api(supervisor if path == "/pause" else officer)
    data = {k: ([website_account.id] if v == "ACCOUNTS" else v) for k, v in payload.items()}
    error = assert_error(client.post(path, json=data), 422, field=field)
    assert field in error["message"]
    assert count(session, Message) == 0


def test_unknown_fields_on_every_action_are_refused(api, session, officer, supervisor, website_account):
    client, boss = api(officer), api(supervisor)
    created = client.post("/messages", json={"body": "Road closed.", "accounts": [website_account.id]}).get_json()
    path = f"/messages/{created['id']}"
    assert_error(client.patch(path, json={"body": "Road shut.", "owner": "sam"}), 422, field="owner")
    assert client.post(f"{path}/submit").status_code == 200
    assert_error(boss.post(f"{path}/approve", json={"version": 1, "force": True}), 422, field="force")
    assert_error(boss.post(f"{path}/reject", json={"reason": "No", "notify": False}), 422, field="notify")
    assert count(session, Decision) == 0


def test_variant_keys_must_be_target_account_ids(api, session, officer, website_account):
    other = make_account(session, "x", "North X")
    client = api(officer)
    for variants in ({"north": "text"}, {str(other.id): "text"}, {"99999": "text"}):
        response = client.post("/messages", json={"body": "Road closed.", "accounts": [website_account.id],
                                                  "variants": variants})
        assert_error(response, 422, field="variants")
    assert count(session, Message) == 0


@pytest.mark.parametrize("when, says", [
    ("2201-01-01T09:00:00Z", "a year ahead"),
    ((NOW + dt.timedelta(days=400)).isoformat(), "a year ahead"),
    ((NOW - dt.timedelta(hours=1)).isoformat(), "in the past"),
    (GAP, "does not exist"),
    (TWICE, "happens twice"),
])
def test_publish_times_out_of_range_or_on_a_clock_change_are_refused(api, session, officer, website_account,
                                                                      when, says):
    response = api(officer).post("/messages", json={"body": "Road closed.", "accounts": [website_account.id],
                                                    "publish_at": when})
    error = assert_error(response, 422, field="publish_at")
    assert says in error["message"], error
    assert count(session, Message) == 0


def test_an_ambiguous_local_time_with_its_offset_is_taken(api, session, officer, website_account):
    response = api(officer).post("/messages", json={"body": "Road closed.", "accounts": [website_account.id],
                                                    "publish_at": TWICE + "+00:00"})
    assert response.status_code == 201, response.get_json()
    version = session.get(Message, response.get_json()["id"]).latest
    assert version.publish_at == dt.datetime.fromisoformat(TWICE).replace(tzinfo=dt.timezone.utc)


def test_an_empty_edit_is_refused_and_keeps_the_approval(api, session, officer, supervisor, website_account):
    client = api(officer)
    soon = (NOW + dt.timedelta(days=2)).isoformat()
    created = client.post("/messages", json={"body": "Road closed.", "accounts": [website_account.id],
                                             "publish_at": soon}).get_json()
    path = f"/messages/{created['id']}"
    assert client.post(f"{path}/submit").status_code == 200
    assert api(supervisor).post(f"{path}/approve", json={"version": 1}).status_code == 200
    for empty in ({}, {"version": 1}):
        assert_error(client.patch(path, json=empty), 422, field="body")
    session.expire_all()
    assert count(session, MessageVersion) == 1
    assert session.get(Message, created["id"]).status == "scheduled"
    assert session.execute(select(Decision.voided_at)).scalar_one() is None


def test_the_console_refuses_a_publish_time_a_year_away(app, session, officer, website_account):
    console = sign_in(app, officer)
    page = console.post("/compose", {"body": "Road closed.", "accounts": [str(website_account.id)],
                                     "publish_at": (NOW + dt.timedelta(days=500)).strftime("%Y-%m-%dT%H:%M")})
    assert page.status_code == 422
    assert "a year ahead" in page.get_data(as_text=True)
    assert count(session, Message) == 0
