"""HTTP caching of the public pages: ETag, Last-Modified, 304, and changes that invalidate them."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import event
from werkzeug.http import http_date

from tests.public.support import at, correct, publish, withdraw

PATHS = ["/news", "/feeds/news.atom", "/feeds/cap.atom", "/feeds/cap.xml"]


@pytest.fixture
def live(session, officer, supervisor, site_accounts):
    ids = [site_accounts["website"].id]
    first = publish(session, officer, supervisor, ids, at("2026-03-01T09:00:00"),
                    "Officers are at the scene of a collision on the A1.", incident={"title": "A1 collision"})
    second = publish(session, officer, supervisor, ids, at("2026-03-01T10:30:00"),
                     "Road reopened.", incident=first.incident.slug)
    return {"first": first, "second": second, "incident": first.incident.slug}


def paths(live) -> list[str]:
    return PATHS + [f"/news/{live['first'].slug}", f"/incidents/{live['incident']}",
                    f"/feeds/cap/crier-m{live['first'].id}-v1.xml"]


def test_pages_send_validators_and_answer_304(client, live):
    for path in paths(live):
        response = client.get(path)
        assert response.status_code == 200, path
        etag = response.headers["ETag"]
        assert etag.startswith('"') and etag.endswith('"')
        # One update's page changes with that update only; lists and timelines with any.
        own = path.endswith(live["first"].slug) or path.endswith("-v1.xml")
        expected = "Sun, 01 Mar 2026 09:00:00 GMT" if own else "Sun, 01 Mar 2026 10:30:00 GMT"
        assert response.headers["Last-Modified"] == expected, path
        assert response.cache_control.public and response.cache_control.max_age == 30
        # The same for everyone: no visitor is handed a cookie.
        assert "Set-Cookie" not in response.headers, path
        again = client.get(path, headers={"If-None-Match": etag})
        assert again.status_code == 304, path
        assert again.get_data() == b""
        assert again.headers["ETag"] == etag
        since = client.get(path, headers={"If-Modified-Since": response.headers["Last-Modified"]})
        assert since.status_code == 304, path
        a_second_before = http_date(response.last_modified - dt.timedelta(seconds=1))
        earlier = client.get(path, headers={"If-Modified-Since": a_second_before})
        assert earlier.status_code == 200, path
        other = client.get(path, headers={"If-None-Match": '"something-else"'})
        assert other.status_code == 200, path


def test_if_none_match_wins_over_if_modified_since(client, live):
    response = client.get("/news")
    stale = client.get("/news", headers={"If-None-Match": '"old"',
                                         "If-Modified-Since": response.headers["Last-Modified"]})
    assert stale.status_code == 200


def test_a_correction_changes_the_validators(client, session, officer, supervisor, live):
    before = {path: client.get(path) for path in paths(live)}
    correct(session, officer, supervisor, live["first"], at("2026-03-01T11:00:00"),
            "Officers are at the scene of a collision on the A1(M).", "It is the A1(M).")
    for path, old in before.items():
        response = client.get(path, headers={"If-None-Match": old.headers["ETag"],
                                             "If-Modified-Since": old.headers["Last-Modified"]})
        if path.startswith("/feeds/cap/"):
            assert response.status_code == 303  # v1 is no longer the current alert
            continue
        assert response.status_code == 200, path
        assert response.headers["ETag"] != old.headers["ETag"]
        assert response.headers["Last-Modified"] == "Sun, 01 Mar 2026 11:00:00 GMT"


def test_a_withdrawal_changes_the_validators(client, session, officer, live):
    page = f"/news/{live['second'].slug}"
    old = client.get(page)
    listing = client.get("/news")
    withdraw(session, officer, live["second"], at("2026-03-01T12:00:00"), deliver=False)
    gone = client.get(page, headers={"If-None-Match": old.headers["ETag"]})
    assert gone.status_code == 410
    assert gone.headers["ETag"] != old.headers["ETag"]
    fresh = client.get("/news", headers={"If-None-Match": listing.headers["ETag"]})
    assert fresh.status_code == 200
    assert "Road reopened" not in fresh.get_data(as_text=True)
    assert client.get(page, headers={"If-None-Match": gone.headers["ETag"]}).status_code == 304


def test_a_page_of_another_message_keeps_its_etag(client, session, officer, supervisor, site_accounts, live):
    page = f"/news/{live['first'].slug}"
    old = client.get(page)
    publish(session, officer, supervisor, [site_accounts["website"].id], at("2026-03-01T13:00:00"),
            "Something else entirely.")
    assert client.get(page, headers={"If-None-Match": old.headers["ETag"]}).status_code == 304
    assert client.get("/news", headers={"If-None-Match": client.get("/news").headers["ETag"]}).status_code == 304


def test_a_304_is_answered_without_loading_the_updates(client, runtime, live):
    response = client.get(f"/news/{live['first'].slug}")
    statements: list[str] = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(runtime.engine, "before_cursor_execute", record)
    try:
        again = client.get(f"/news/{live['first'].slug}", headers={"If-None-Match": response.headers["ETag"]})
    finally:
        event.remove(runtime.engine, "before_cursor_execute", record)
    assert again.status_code == 304
    queries = [s for s in statements if s.lstrip().upper().startswith(("SELECT", "WITH"))]
    assert len(queries) == 1
    assert "message_versions" not in queries[0]


def test_absent_pages_are_not_cached(client, live):
    response = client.get("/news/no-such-update")
    assert response.status_code == 404
    assert "ETag" not in response.headers
    assert response.cache_control.no_cache


def test_head_answers_like_get_without_a_body(client, live):
    got = client.get("/feeds/news.atom")
    head = client.head("/feeds/news.atom")
    assert head.status_code == 200
    assert head.get_data() == b""
    assert head.headers["ETag"] == got.headers["ETag"]
    assert head.headers["Last-Modified"] == got.headers["Last-Modified"]
