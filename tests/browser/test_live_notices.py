"""The live notice: a supervisor's open console shows, without a reload, the notice of a
message another user just sent for verification (announced politely, accessible), and a
browser notification when the supervisor allowed them."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.conftest import make_account
from workflow.messages import drafts, review

#: Stands in for the browser's Notification, to see what Crier asks it to show.
NOTIFICATION_SPY = """
window.__shown = [];
window.Notification = function (title, options) { window.__shown.push({ title: title, body: options.body }); };
window.Notification.permission = "granted";
window.Notification.requestPermission = function () { return Promise.resolve("granted"); };
"""


def test_a_supervisors_open_console_shows_the_notice_when_an_officer_submits(server, users, sign_in, audit_a11y):
    page = sign_in(users["supervisor"])
    page.context.add_init_script(NOTIFICATION_SPY)
    page.reload()
    officers_page = sign_in(users["officer"])
    expect(page.locator("#live-notices-list")).to_have_attribute("aria-live", "polite")
    expect(page.locator("#live-notices-list article")).to_have_count(0)

    session = server["session"]
    website = make_account(session, "website", "Force website")
    message = drafts.create_draft(session, users["officer"], {
        "body": "Police are appealing for witnesses to a collision on Station Road.", "accounts": [website.id]})
    review.submit(session, users["officer"], message.id)

    notice = page.locator("#live-notices-list article")
    expect(notice).to_have_count(1)  # waits for the next poll; the page is never reloaded
    expect(notice).to_have_attribute("data-event", "submitted")
    expect(notice.get_by_role("link")).to_contain_text(f"message {message.id}")
    expect(notice.get_by_role("link")).to_have_attribute("href", re.compile(rf"/messages/{message.id}$"))
    expect(notice).to_contain_text("collision on Station Road")
    shown = page.evaluate("window.__shown")
    assert len(shown) == 1 and f"message {message.id}" in shown[0]["title"]
    assert "Station Road" in shown[0]["body"]
    audit_a11y(page, "the console with a live notice")

    # The author is not asked to verify her own message.
    feed = officers_page.evaluate("fetch('/notices/live.json?after=0').then(r => r.json())")
    assert feed["notices"] == []

    notice.get_by_role("button", name=re.compile("Dismiss")).click()
    expect(page.locator("#live-notices-list article")).to_have_count(0)


def test_the_notice_settings_and_outbox_pages_work_and_are_accessible(server, users, sign_in, audit_a11y):
    page = sign_in(users["supervisor"])
    page.get_by_role("link", name="Notices", exact=True).click()
    expect(page.locator("#duty-state")).to_contain_text("off duty")
    audit_a11y(page, "notices and duty")
    page.get_by_role("button", name="Go on duty").click()
    expect(page.locator("#duty-state")).to_contain_text("on duty")
    page.get_by_label("By e-mail").uncheck()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_label("By e-mail")).not_to_be_checked()
    expect(page.get_by_label(re.compile("In every console"))).to_be_checked()

    session = server["session"]
    website = make_account(session, "website", "Force website")
    message = drafts.create_draft(session, users["officer"], {"body": "Road closed on Mill Lane.",
                                                              "accounts": [website.id]})
    review.submit(session, users["officer"], message.id)
    page.get_by_role("link", name="Outbox").click()
    expect(page.locator("#outbox tbody tr")).to_have_count(1)  # live only: e-mail is off, no webhook
    expect(page.locator("#outbox tbody tr").first).to_have_attribute("data-channel", "live")
    audit_a11y(page, "the outbox")
