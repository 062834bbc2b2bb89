"""History search, the dashboard and the audit browser in a real browser, each page audited with
axe-core. Waits are on conditions, never on time."""
from __future__ import annotations

import datetime as dt
import re

from playwright.sync_api import expect

from tests.conftest import make_account, make_user
from tests.workflow.desk_history import DeskHistory
from workflow.core.database import utcnow
from workflow.core.london import from_wall_clock, local
from workflow.messages import drafts, review


def _history(server, users) -> dict:
    session = server["session"]
    website = make_account(session, "website", "Force website")
    north = make_account(session, "x", "North X", area="North",
                         credentials=server["x"].state.add_account("north"))
    officer = users["officer"]
    ids = {}
    for n in range(1, 4):
        ids[n] = drafts.create_draft(session, officer, {
            "body": f"Flooding update {n}: the river is high near Mill Road.", "accounts": [website.id, north.id]}).id
    ids["other"] = drafts.create_draft(session, officer, {"body": "The summer fair is on Saturday.",
                                                         "accounts": [website.id]}).id
    review.submit(session, officer, ids[2])
    session.commit()
    return ids


def test_history_search_in_the_browser(server, users, sign_in, audit_a11y):
    ids = _history(server, users)
    page = sign_in(users["officer"])
    page.get_by_role("link", name="History", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Message history")
    audit_a11y(page, "history")

    page.get_by_label("Words in the message").fill("flooding river")
    page.get_by_label("Area").select_option("North")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", name=re.compile("Messages found"))).to_be_visible()
    assert "q=flooding+river" in page.url and "area=North" in page.url
    results = page.locator("#results > li")
    expect(results).to_have_count(3)
    expect(page.locator("#results")).not_to_contain_text("summer fair")
    audit_a11y(page, "history with results")

    # Narrower: only what awaits verification; the form keeps the other filters.
    page.get_by_label("Status").select_option("awaiting_verification")
    page.get_by_role("button", name="Search").click()
    expect(results).to_have_count(1)
    expect(page.get_by_label("Words in the message")).to_have_value("flooding river")
    page.get_by_role("link", name=re.compile(f"^Message {ids[2]}:")).click()
    expect(page).to_have_url(re.compile(f"/messages/{ids[2]}$"))

    # A page at a time, the filters kept from page to page.
    page.goto("/history?q=flooding&limit=2")
    expect(results).to_have_count(2)
    page.get_by_role("link", name="Next page").click()
    expect(results).to_have_count(1)
    assert "q=flooding" in page.url and "page=2" in page.url
    page.get_by_role("link", name="Previous page").click()
    expect(results).to_have_count(2)

    # A bad date is named in the error summary, which leads to the field.
    page.goto("/history?from=2026-02-30")
    summary = page.locator(".error-summary")
    expect(summary).to_contain_text("from must be a date")
    summary.get_by_role("link").click()
    expect(page.get_by_label("From")).to_have_attribute("aria-invalid", "true")
    audit_a11y(page, "history with an error")


def test_dashboard_in_the_browser(server, users, sign_in, audit_a11y):
    session = server["session"]
    website = make_account(session, "website", "Force website")
    history = DeskHistory(server["runtime"], session, users["officer"], users["supervisor"])
    yesterday = local(utcnow()).date() - dt.timedelta(days=1)
    base = from_wall_clock(dt.datetime.combine(yesterday, dt.time(9)))
    history.approved([website.id], base, base + dt.timedelta(seconds=150),
                     live={website.id: base + dt.timedelta(seconds=155)}, incident={"title": "Flooding in the North"})
    old = base - dt.timedelta(days=20)
    history.approved([website.id], old, old + dt.timedelta(seconds=60), incident={"title": "Missing walker"})

    page = sign_in(users["supervisor"])
    page.get_by_role("link", name="Dashboard", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Dashboard")
    charts = page.get_by_role("img")
    expect(charts).to_have_count(4)
    expect(page.get_by_role("img", name=re.compile("^Failures by channel"))).to_be_visible()
    expect(page.locator("#verify-table")).to_contain_text("2 min 30 s")
    expect(page.locator("#live-table")).to_contain_text("5.0 s")
    expect(page.locator("#incidents-table")).to_contain_text("Flooding in the North")
    expect(page.locator("#incidents-table")).not_to_contain_text("Missing walker")
    # Every chart is a real image the browser decoded.
    assert page.evaluate("Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)")
    audit_a11y(page, "dashboard")

    page.get_by_label("Last 30 days").check()
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"days=30"))
    expect(page.locator("#incidents-table")).to_contain_text("Missing walker")
    expect(page.locator("#verify-table tbody tr")).to_have_count(30)


def test_audit_browser_in_the_browser(server, users, sign_in, audit_a11y):
    _history(server, users)
    admin = make_user(server["session"], "ada", "admin")
    page = sign_in(admin)
    page.get_by_role("link", name="Audit trail", exact=True).click()
    expect(page.locator("#chain-status")).to_contain_text("Chain intact")
    audit_a11y(page, "audit trail")
    page.get_by_label("What").select_option("message.submitted")
    page.get_by_role("button", name="Show events").click()
    expect(page.locator("tbody tr")).to_have_count(1)
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("Download every matching event as CSV")).click()
    lines = open(download.value.path(), encoding="utf-8").read().splitlines()
    assert len(lines) == 2 and ",message.submitted," in lines[1]
