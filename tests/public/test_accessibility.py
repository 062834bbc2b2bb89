"""The public pages pass an axe-core audit in Chromium (skipped where Chromium is not installed)."""
from __future__ import annotations

import threading

import pytest
from werkzeug.serving import make_server

from tests.public.support import at, correct, publish, withdraw


@pytest.fixture
def served(app):
    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{http.server_port}"
    http.shutdown()
    thread.join(10)


@pytest.mark.browser
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_public_pages_pass_axe(served, browser, axe, session, officer, supervisor, site_accounts):
    ids = [site_accounts["website"].id]
    first = publish(session, officer, supervisor, ids, at("2026-03-01T09:00:00"),
                    "Officers are at the scene of a collision on the A1.\n\nPlease avoid the area.",
                    incident={"title": "A1 collision", "area": "Welwyn Hatfield"})
    correct(session, officer, supervisor, first, at("2026-03-01T09:30:00"),
            "Officers are at the scene of a collision on the A1(M).\n\nPlease avoid the area.", "It is the A1(M).")
    gone = publish(session, officer, supervisor, ids, at("2026-03-01T10:00:00"), "Withdrawn later.")
    withdraw(session, officer, gone, at("2026-03-01T10:30:00"))
    paths = ["/news", f"/news/{first.slug}", f"/incidents/{first.incident.slug}", f"/news/{gone.slug}",
             "/news/no-such-update"]
    session.commit()  # SQLite: release the write lock the served app needs
    context = browser.new_context()
    try:
        page = context.new_page()
        for path in paths:
            page.goto(served + path)
            results = axe.run(page)
            assert results.violations_count == 0, f"{path}:\n{results.generate_report()}"
    finally:
        context.close()
