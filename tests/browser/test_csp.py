"""The console works under its Content-Security-Policy: no page breaks it, the scripts still run."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.test_console_flow import _accounts


def watch_violations(page) -> list[str]:
    seen: list[str] = []
    page.on("console", lambda msg: seen.append(msg.text) if "Content Security Policy" in msg.text else None)
    page.add_init_script("document.addEventListener('securitypolicyviolation', e => "
                         "console.error('Content Security Policy violation: ' + e.violatedDirective));")
    return seen


def test_the_console_runs_under_its_policy(server, users, sign_in):
    _accounts(server)
    page = sign_in(users["officer"])
    violations = watch_violations(page)
    page.goto("/compose")
    page.get_by_role("checkbox", name=re.compile("^Force X")).check()
    page.get_by_label("Message text").fill("The A38 is closed at junction 4. Please avoid the area.")
    # The preview is drawn by compose.js from the server: scripts and fetches run.
    expect(page.locator("#preview .pv-x .x-post").first).to_contain_text("The A38 is closed")
    for path in ("/", "/pause", "/news"):
        page.goto(path)
        page.wait_for_load_state("load")
    assert violations == []
