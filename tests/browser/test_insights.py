"""The insights page in Chromium: every chart image loads under the content policy, each beside its
table, CSV downloads, the gazetteer page, and no accessibility violation."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.test_csp import watch_violations
from tests.conftest import make_account
from workflow.insights import collection, gazetteer


def _audiences(server) -> None:
    session, x, graph = server["session"], server["x"], server["graph"]
    gazetteer.ensure_demo(session)
    ids = []
    for name, area, count in (("Force X", None, 1500), ("North neighbourhood X", "North", 900)):
        credentials = x.add_account(name.split()[0].lower() + "_x")
        x.audience.populate(credentials["user_id"], count)
        ids.append(make_account(session, "x", name, area=area, credentials=credentials).id)
    page = graph.add_page("Force Facebook")
    graph.audience.populate(page["page_id"], 600)
    ids.append(make_account(session, "facebook", "Force Facebook", credentials=page).id)
    session.commit()
    for account_id in ids:
        assert collection.collect_audience(server["runtime"], account_id).status == "complete"


def test_the_insights_page_shows_its_charts_and_tables(server, users, sign_in, audit_a11y):
    _audiences(server)
    page = sign_in(users["officer"])
    violations = watch_violations(page)
    page.get_by_role("link", name="Insights").click()
    expect(page.get_by_role("heading", name="Insights", exact=True)).to_be_visible()
    charts = page.locator("figure.chart img")
    expect(charts).to_have_count(5)
    for index in range(5):
        image = charts.nth(index)
        image.scroll_into_view_if_needed()
        assert image.evaluate("img => img.complete && img.naturalWidth > 600")
        assert image.get_attribute("alt")
    reach = page.get_by_role("table", name="Local share per account (latest collection)")
    link = page.locator('a[href="/insights/reach.csv"]')
    assert "Local share per account" in link.evaluate("a => a.textContent")
    expect(reach.get_by_role("row", name="North neighbourhood X")).to_contain_text("900")
    expect(reach).to_contain_text("%")
    with page.expect_download() as download:
        page.locator('a[href="/insights/reach.csv"]').click()
    assert download.value.suggested_filename == "crier-reach.csv"
    audit_a11y(page, "insights page")
    page.get_by_role("link", name="North neighbourhood X").click()
    expect(page.get_by_role("heading", name="Followers per place")).to_be_visible()
    assert page.locator("figure.chart img").evaluate("img => img.naturalWidth > 600")
    audit_a11y(page, "one account's insights")
    page.goto("/insights/areas")
    expect(page.get_by_role("heading", name="North")).to_be_visible()
    expect(page.get_by_text("Burslem", exact=True)).to_be_visible()
    audit_a11y(page, "areas and places")
    assert violations == []
