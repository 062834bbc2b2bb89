"""Browser tests: the console served on loopback by a real HTTP server on
PostgreSQL, driven by Debian's Chromium through Playwright, audited by axe-core.

Without Chromium the tests skip, unless CI=1 (or CRIER_REQUIRE_SERVICES) is set:
then they fail, so a CI run can never pass without having run them.
"""
from __future__ import annotations

import re
import threading
from typing import Iterator

import pytest
from werkzeug.serving import make_server

from tests.conftest import TEST_PASSWORD, app_config, make_user

# Long enough for a slow CI machine; every wait is on a condition, never a sleep.
WAIT_MS = 15_000


@pytest.fixture
def simulators() -> Iterator[dict]:
    """The X and Graph simulators on loopback, for the delivery engine to post to."""
    from channels.simulators.graph import GraphSimulator
    from channels.simulators.xapi import XSimulator

    x, graph = XSimulator(), GraphSimulator()
    x.start()
    graph.start()
    try:
        yield {"x": x, "graph": graph}
    finally:
        x.stop()
        graph.stop()


@pytest.fixture
def server_settings() -> dict:
    """Settings over the tests' usual ones for the served app (a test module may override it)."""
    return {}


@pytest.fixture
def server(pg_url, simulators, tmp_path, monkeypatch, server_settings) -> Iterator[dict]:
    """The Crier app on a free loopback port, in a thread, on this test's PostgreSQL database."""
    from web import create_app

    monkeypatch.setenv("CRIER_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app(app_config(pg_url, tmp_path, X_API_URL=simulators["x"].url,
                                FACEBOOK_GRAPH_URL=simulators["graph"].url,
                                CONNECT_TIMEOUT=2, READ_TIMEOUT=5, **server_settings))
    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, name="crier-test-server", daemon=True)
    thread.start()
    runtime = app.extensions["crier"]
    session = runtime.session()
    try:
        yield {"url": f"http://127.0.0.1:{http.server_port}", "app": app, "session": session,
               "runtime": runtime, **simulators}
    finally:
        session.close()
        http.shutdown()
        thread.join(timeout=10)
        runtime.engine.dispose()


@pytest.fixture
def users(server):
    session = server["session"]
    return {"officer": make_user(session, "olivia", "officer"),
            "supervisor": make_user(session, "sam", "supervisor")}


@pytest.fixture
def sign_in(browser, server):
    """``sign_in(user)`` opens a new browser context (its own cookies) signed in as ``user``."""
    contexts = []

    def open_page(user):
        context = browser.new_context(base_url=server["url"], locale="en-GB", timezone_id="Europe/London")
        context.set_default_timeout(WAIT_MS)
        contexts.append(context)
        page = context.new_page()
        page.goto("/login")
        page.get_by_label("Username").fill(user.username)
        page.get_by_label("Password").fill(TEST_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(re.compile(r"/$"))
        return page

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def audit_a11y(axe):
    """``audit_a11y(page)`` fails the test on any axe-core violation on the page as it is now."""

    def check(page, what: str = "") -> None:
        results = axe.run(page)
        assert results.violations_count == 0, f"{what or page.url}:\n{results.generate_report()}"

    return check
