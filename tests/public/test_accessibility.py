"""The public pages pass an axe-core audit in Chromium (skipped where Chromium is not installed)."""
from __future__ import annotations

import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.conftest import REQUIRE_SERVICES
from tests.public.support import at, correct, publish, withdraw

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]


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
def test_public_pages_pass_axe(served, session, officer, supervisor, site_accounts):
    import os

    chromium = os.environ.get("CRIER_CHROMIUM", CHROMIUM)
    if not Path(chromium).exists():
        if REQUIRE_SERVICES:
            pytest.fail(f"Chromium is required and is not at {chromium}")
        pytest.skip(f"Chromium not installed at {chromium}")
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import sync_playwright

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
    axe = Axe()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=ARGS, headless=True)
        try:
            page = browser.new_page()
            for path in paths:
                page.goto(served + path)
                results = axe.run(page)
                assert results.violations_count == 0, f"{path}:\n{results.generate_report()}"
        finally:
            browser.close()
