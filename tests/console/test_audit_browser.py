"""The audit browser: the whole trail filtered by message, person, action and dates, a page at a
time, exported as CSV through the one audit CSV writer, under the chain's check (intact, or broken
at the event someone changed)."""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select, text

from workflow.audit.models import AuditEvent
from workflow.core.database import utcnow
from workflow.core.london import local
from workflow.messages import drafts, review


@pytest.fixture
def trail(session, officer, supervisor, website_account):
    """Two messages: one approved by the supervisor, one drafted and submitted with a formula in it."""
    first = drafts.create_draft(session, officer, {"body": "The A38 is open again.", "accounts": [website_account.id]})
    review.submit(session, officer, first.id)
    review.approve(session, supervisor, first.id, 1)
    second = drafts.create_draft(session, officer, {"body": "=HYPERLINK(\"http://x\") Mill Road is closed.",
                                                   "accounts": [website_account.id]})
    review.submit(session, officer, second.id)
    ids = {"first": first.id, "second": second.id,
           "events": list(session.execute(select(AuditEvent.id).order_by(AuditEvent.id)).scalars())}
    session.commit()
    return ids


def event_ids(html: str) -> list[int]:
    body = re.search(r"<tbody>(.*?)</tbody>", html, re.S).group(1)
    return [int(i) for i in re.findall(r"<tr[^>]*>\s*<td>(\d+)", body)]


def next_link(html: str) -> str | None:
    found = re.search(r'<a href="([^"]+)" rel="next">', html)
    return unescape(found.group(1)) if found else None


def rows_of(response) -> list[list[str]]:
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def test_only_supervisors_and_admins_see_the_whole_trail(console, officer, supervisor, admin, trail):
    assert console(officer).get("/audit").status_code == 403
    assert console(officer).get("/audit.csv").status_code == 403
    assert "Audit trail</a>" not in console(officer).get("/").get_data(as_text=True)
    for person in (supervisor, admin):
        page = console(person).get("/audit")
        assert page.status_code == 200
        assert 'href="/audit"' in page.get_data(as_text=True)


def test_the_trail_is_shown_newest_first_with_the_chain_intact(console, supervisor, trail):
    html = console(supervisor).get("/audit").get_data(as_text=True)
    assert "Chain intact" in html and f"{len(trail['events'])} events checked" in html
    assert event_ids(html) == sorted(trail["events"], reverse=True)


def test_filters_by_message_person_action_and_dates(console, session, supervisor, trail):
    client = console(supervisor)

    def shown(query: str) -> list[tuple[str, str, int | None]]:
        html = client.get(f"/audit?{query}").get_data(as_text=True)
        ids = event_ids(html)
        rows = session.execute(select(AuditEvent.actor, AuditEvent.action, AuditEvent.message_id)
                               .where(AuditEvent.id.in_(ids))).all()
        session.rollback()
        return sorted(tuple(row) for row in rows)

    assert shown(f"message={trail['first']}") == sorted([
        ("olivia", "message.drafted", trail["first"]), ("olivia", "message.submitted", trail["first"]),
        ("sam", "message.approved", trail["first"])])
    assert shown("user=sam") == [("sam", "message.approved", trail["first"])]
    assert shown("action=message.submitted") == sorted([
        ("olivia", "message.submitted", trail["first"]), ("olivia", "message.submitted", trail["second"])])
    assert [a for _, a, _ in shown(f"action=message.*&message={trail['second']}")] == [
        "message.drafted", "message.submitted"]
    today = local(utcnow()).date()
    assert len(shown(f"from={today}&to={today}")) == len(trail["events"])
    assert shown(f"to={today - dt.timedelta(days=1)}") == []
    assert shown(f"from={today + dt.timedelta(days=1)}") == []


def test_pages_keep_the_filters(console, supervisor, trail):
    client = console(supervisor)
    page = client.get("/audit?action=message.*&limit=2").get_data(as_text=True)
    seen = event_ids(page)
    assert len(seen) == 2
    following = next_link(page)
    assert parse_qs(urlsplit(following).query) == {"action": ["message.*"], "limit": ["2"], "page": ["2"]}
    while following:
        page = client.get(following).get_data(as_text=True)
        seen += event_ids(page)
        following = next_link(page)
    assert seen == sorted(seen, reverse=True) and len(seen) == len(set(seen)) == 5


def test_csv_exports_every_filtered_event_with_the_one_writer(console, supervisor, trail):
    client = console(supervisor)
    html = client.get("/audit?action=message.submitted&limit=1").get_data(as_text=True)
    export = unescape(re.search(r'<a href="(/audit\.csv[^"]*)" download>', html).group(1))
    assert parse_qs(urlsplit(export).query) == {"action": ["message.submitted"], "limit": ["1"]}
    rows = rows_of(client.get(export))
    # The header of the per-message export, the same writer.
    per_message = rows_of(client.get(f"/messages/{trail['first']}/audit.csv"))
    assert rows[0] == per_message[0]
    assert rows[0][:3] == ["record", "time_utc", "actor"] and rows[0][-2:] == ["event_id", "message"]
    # Every page of the filter (not one), oldest first.
    assert [(r[0], r[3], int(r[12])) for r in rows[1:]] == [
        ("event", "message.submitted", trail["first"]), ("event", "message.submitted", trail["second"])]
    drafted = rows_of(client.get(f"/audit.csv?message={trail['second']}&action=message.drafted"))
    assert len(drafted) == 2 and '"text":"=HYPERLINK' in drafted[1][10]
    for row in drafted[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@")), cell


@pytest.mark.parametrize("query,field", [("message=abc", "message"), ("from=2026-02-30", "from"),
                                         ("from=2026-12-05&to=2026-12-04", "to"), ("user=" + "x" * 121, "user")])
def test_bad_filters_are_pointed_at(console, supervisor, trail, query, field):
    client = console(supervisor)
    response = client.get(f"/audit?{query}")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'href="#{field}"' in html and event_ids(html) == []
    assert "Chain intact" in html
    assert client.get(f"/audit.csv?{query}").status_code == 422


def test_a_changed_event_shows_the_chain_broken_there(console, session, supervisor, trail):
    changed = trail["events"][2]
    session.execute(text("UPDATE audit_events SET details = :d WHERE id = :id"),
                    {"d": '{"text":"Something else"}', "id": changed})
    session.commit()
    html = console(supervisor).get("/audit").get_data(as_text=True)
    assert "Chain intact" not in html
    status = re.search(r'<section class="banner banner-error" id="chain-status" role="alert".*?</section>', html, re.S)
    assert status, "the broken chain is not shown as an alert"
    assert f"Chain broken at event {changed}" in status.group(0)
    assert "its contents were changed after it was written" in status.group(0)
    assert re.search(rf'<tr class="broken-here">\s*<td>{changed} <span class="tag tag-error">Broken here', html)


def test_a_removed_seal_and_a_changed_decision_are_shown_too(console, session, supervisor, trail):
    client = console(supervisor)
    session.execute(text("UPDATE decisions SET reason = 'changed', content_hash = :h"), {"h": "0" * 64})
    session.commit()
    html = client.get("/audit").get_data(as_text=True)
    assert re.search(r"Audit trail broken at decision \d+", html)
    last = trail["events"][-1]
    session.execute(text("UPDATE audit_events SET mac = NULL WHERE id = :id"), {"id": last})
    session.commit()
    html = client.get("/audit").get_data(as_text=True)
    assert f"Chain broken at event {last}" in html and "its seal was removed" in html
