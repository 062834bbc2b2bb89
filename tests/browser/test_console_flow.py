"""The console in a real browser: draft, verify, watch it go live; previews, autosave, failures.

Every page visited is audited with axe-core. Waits are on conditions, never on time.
"""
from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlalchemy import select

from tests.conftest import make_account
from workflow.delivery.models import Delivery
from workflow.messages import drafts as messages_drafts
from workflow.messages import review
from workflow.messages.models import Message
from workflow.scheduling.models import Pause

LONG_TEXT = " ".join(
    f"Update {i}: officers remain at the scene on the High Street and ask people to avoid the area."
    for i in range(1, 9))


def _accounts(server, facebook_token: str | None = None):
    """Accounts whose credentials the simulators know (or a Facebook token they refuse)."""
    session = server["session"]
    page = server["graph"].state.add_page("Force Facebook")
    facebook = page.credentials()
    if facebook_token is not None:
        facebook["page_access_token"] = facebook_token
    return {
        "website": make_account(session, "website", "Force website"),
        "facebook": make_account(session, "facebook", "Force Facebook", credentials=facebook),
        "x": make_account(session, "x", "Force X", credentials=server["x"].state.add_account("force")),
        "x_north": make_account(session, "x", "North X", area="North",
                                credentials=server["x"].state.add_account("north")),
    }


def _deliver(server, message_id: int, account_id: int) -> Delivery:
    """Run the delivery engine in this process for one delivery, against the simulators."""
    from workflow.delivery.send import deliver

    session = server["session"]
    session.expire_all()
    d = session.execute(select(Delivery).where(Delivery.message_id == message_id,
                                               Delivery.account_id == account_id)).scalar_one()
    deliver(server["runtime"], d.id, owner="browser-test")
    session.expire_all()
    return session.get(Delivery, d.id)


def _row(page, account_name: str):
    return page.locator("#delivery-rows tr").filter(has=page.get_by_role("rowheader", name=re.compile(account_name)))


def test_officer_drafts_supervisor_verifies_and_each_channel_goes_live(server, users, sign_in, audit_a11y):
    accounts = _accounts(server)
    officer = sign_in(users["officer"])
    audit_a11y(officer, "home (officer)")

    # The officer drafts, with the keyboard-friendly form, and submits.
    officer.get_by_role("link", name="New message", exact=True).click()
    officer.get_by_label("Message text").fill("The A38 is closed northbound at Junction 4 after a collision.")
    for name in ("Force website", "Force Facebook", "Force X"):
        officer.get_by_role("checkbox", name=re.compile(f"^{name}")).check()
    expect(officer.locator("#save-status")).to_contain_text("Saved as version", timeout=15_000)
    expect(officer.locator("#preview .pv-x .x-count")).to_contain_text("of 280 characters")
    audit_a11y(officer, "compose")
    officer.get_by_role("button", name="Submit for verification").click()
    expect(officer.get_by_role("heading", level=1)).to_contain_text("Awaiting verification")

    # The author is told why they cannot approve, and is not offered the button.
    expect(officer.locator("#approve-blocked")).to_contain_text("only a supervisor can verify")
    expect(officer.get_by_role("button", name=re.compile("^Approve"))).to_have_count(0)
    audit_a11y(officer, "message page (author)")
    message_id = int(re.search(r"/messages/(\d+)", officer.url).group(1))

    # A supervisor, in a second browser context, verifies from the queue.
    supervisor = sign_in(users["supervisor"])
    queue = supervisor.get_by_role("region", name=re.compile("Waiting for verification"))
    queue.get_by_role("link", name=re.compile("The A38 is closed")).click()
    expect(supervisor.get_by_text("Exactly what each channel will carry")).to_be_visible()
    audit_a11y(supervisor, "verify page")
    supervisor.get_by_role("button", name="Approve version 1").click()
    expect(supervisor.get_by_role("heading", level=1)).to_contain_text("Live status")

    # The officer watches the channels turn published without reloading.
    officer.goto(f"/messages/{message_id}/status")
    expect(_row(officer, "Force website")).to_have_attribute("data-state", "pending")
    audit_a11y(officer, "status page (pending)")
    navigations = []
    officer.on("framenavigated", lambda frame: navigations.append(frame.url))
    for key in ("website", "facebook", "x"):
        account = accounts[key]
        delivery = _deliver(server, message_id, account.id)
        assert delivery.state == "sent", delivery.last_error
        row = _row(officer, account.name)
        expect(row).to_have_attribute("data-state", "sent")
        expect(officer.locator("#delivery-announce")).to_contain_text(f"{account.name}: Published")
        expect(row.get_by_role("link", name=re.compile("Open the live post"))).to_have_attribute(
            "href", delivery.url)
    assert len(server["x"].posts) == 1 and len(server["graph"].state.live_posts()) == 1
    expect(officer.locator("#status-banner")).to_contain_text("Published")
    assert navigations == []  # no reload happened
    audit_a11y(officer, "status page (published)")

    officer.get_by_role("link", name="Audit trail").click()
    expect(officer.get_by_role("rowheader", name="message.approved")).to_be_visible()
    audit_a11y(officer, "audit page")


def test_a_failed_channel_shows_its_reason_and_partial_publication(server, users, sign_in, audit_a11y):
    session = server["session"]
    accounts = _accounts(server, facebook_token="EAAsim-revoked-token")
    message = messages_drafts.create_draft(session, users["officer"], {
        "body": "Missing person found safe. Thank you for sharing.",
        "accounts": [accounts["website"].id, accounts["facebook"].id]})
    review.submit(session, users["officer"], message.id)
    review.approve(session, users["supervisor"], message.id, 1)
    page = sign_in(users["officer"])
    page.goto(f"/messages/{message.id}/status")
    expect(_row(page, "Force Facebook")).to_have_attribute("data-state", "pending")

    assert _deliver(server, message.id, accounts["website"].id).state == "sent"
    refused = _deliver(server, message.id, accounts["facebook"].id)
    assert refused.state == "failed" and refused.last_error
    failed = _row(page, "Force Facebook")
    expect(failed).to_have_attribute("data-state", "failed")
    expect(failed).to_contain_text(refused.last_error)
    expect(failed).to_contain_text("What to do:")
    banner = page.locator("#status-banner")
    expect(banner).to_contain_text("Partially published")
    expect(banner).to_contain_text("Failed on: Force Facebook")
    audit_a11y(page, "status page (partially published)")


def test_a_too_long_x_text_shows_its_thread_split(server, users, sign_in, audit_a11y):
    _accounts(server)
    page = sign_in(users["officer"])
    page.goto("/compose")
    page.get_by_role("checkbox", name=re.compile("^Force X")).check()
    page.get_by_role("checkbox", name=re.compile("^Force website")).check()
    page.get_by_label("Message text").fill(LONG_TEXT)
    note = page.locator("#preview .pv-x .thread-note").first
    expect(note).to_contain_text("thread of")
    parts = int(note.get_attribute("data-thread-parts"))
    assert parts >= 3
    posts = page.locator("#preview .pv-x").first.locator(".x-post")
    expect(posts).to_have_count(parts)
    expect(posts.first.locator(".post-text")).to_contain_text(f"1/{parts}")
    expect(posts.last.locator(".post-text")).to_contain_text("/news/")  # the link ends the thread
    audit_a11y(page, "compose with a thread")


def test_a_draft_survives_a_reload(server, users, sign_in):
    accounts = _accounts(server)
    page = sign_in(users["officer"])
    page.goto("/compose")
    # Saved on the server as the officer types...
    page.get_by_role("checkbox", name=re.compile("^Force website")).check()
    page.get_by_label("Message text").fill("Roadworks on Mill Lane from Monday.")
    expect(page.locator("#save-status")).to_contain_text("Saved as version 1")
    expect(page).to_have_url(re.compile(r"/messages/\d+/edit$"))
    page.reload()
    expect(page.get_by_label("Message text")).to_have_value("Roadworks on Mill Lane from Monday.")
    expect(page.get_by_role("checkbox", name=re.compile("^Force website"))).to_be_checked()

    # ...and kept on the device when the server cannot take it yet (here: no account chosen).
    page.goto("/compose")
    page.get_by_label("Message text").fill("Still thinking about where this goes.")
    expect(page.locator("#save-status")).to_contain_text("kept on this device")
    page.reload()
    expect(page.get_by_label("Message text")).to_have_value("Still thinking about where this goes.")
    expect(page.locator("#save-status")).to_contain_text("Restored")
    session = server["session"]
    session.expire_all()
    assert [m.latest.body for m in session.execute(select(Message)).scalars()] == [
        "Roadworks on Mill Lane from Monday."]
    assert accounts  # the accounts exist on the page


def test_every_page_passes_axe(server, users, sign_in, browser, audit_a11y):
    session = server["session"]
    accounts = _accounts(server)
    accounts["x_north"].status = "reconnect"
    session.add(Pause(reason="Major incident in the city centre", created_by_id=users["supervisor"].id))
    session.commit()
    message = messages_drafts.create_draft(session, users["officer"], {
        "body": "Road closed at the junction of High St and Mill Lane.",
        "accounts": [accounts["website"].id, accounts["x"].id], "incident": {"title": "Collision on the A38"}})
    review.submit(session, users["officer"], message.id)
    messages_drafts.edit_message(session, users["officer"], message.id, {"body": "Road closed at Mill Lane until 6pm."})

    # Signed out: the sign-in page, with and without an error.
    context = browser.new_context(base_url=server["url"])
    anonymous = context.new_page()
    anonymous.goto("/login")
    audit_a11y(anonymous, "sign in")
    anonymous.get_by_label("Username").fill("nobody")
    anonymous.get_by_label("Password").fill("wrong password")
    anonymous.get_by_role("button", name="Sign in").click()
    expect(anonymous.get_by_role("alert")).to_contain_text("Wrong username or password")
    audit_a11y(anonymous, "sign in with an error")
    context.close()

    live = messages_drafts.create_draft(session, users["officer"], {
        "body": "Appeal for witnesses after a burglary on Elm Road.", "accounts": [accounts["website"].id],
        "incident": {"title": "Burglary on Elm Road"}})  # incident updates go out during a pause
    review.submit(session, users["officer"], live.id)
    review.approve(session, users["supervisor"], live.id, 1)
    assert _deliver(server, live.id, accounts["website"].id).state == "sent"
    late = messages_drafts.create_draft(session, users["officer"], {
        "body": "Community drop-in at the library.", "accounts": [accounts["website"].id],
        "publish_at": "2026-01-05T09:00:00+00:00"})
    review.submit(session, users["officer"], late.id)
    review.approve(session, users["supervisor"], late.id, 1)

    supervisor = sign_in(users["supervisor"])
    expect(supervisor.locator(".pause-banner")).to_contain_text("Major incident in the city centre")
    audit_a11y(supervisor, "home (supervisor, paused)")
    for path, what in ((f"/messages/{message.id}", "verify page with a diff"),
                       (f"/messages/{message.id}/edit", "edit awaiting verification"),
                       (f"/messages/{message.id}/audit", "audit page"),
                       (f"/messages/{message.id}/status", "status page before approval"),
                       ("/pause", "pause page"),
                       (f"/messages/{live.id}/status", "status page with correct and withdraw"),
                       (f"/messages/{late.id}/status", "status page of a held message"),
                       ("/messages/999999", "not found")):
        supervisor.goto(path)
        audit_a11y(supervisor, what)
    supervisor.goto(f"/messages/{live.id}/status")
    expect(supervisor.get_by_role("heading", name="Correct it")).to_be_visible()
    supervisor.get_by_role("button", name="Withdraw from every channel").click()
    expect(supervisor.locator("#withdraw-reason-error")).to_be_visible()
    audit_a11y(supervisor, "status page with an error")
    supervisor.goto(f"/messages/{late.id}/status")
    expect(supervisor.get_by_role("heading", name="Held: decide when it goes out")).to_be_visible()
    supervisor.goto(f"/messages/{message.id}")
    supervisor.get_by_role("button", name="Reject").click()
    expect(supervisor.locator("#reason-error")).to_be_visible()
    expect(supervisor.get_by_label("Reason for rejecting")).to_have_attribute("aria-invalid", "true")
    audit_a11y(supervisor, "verify page with an error")
    supervisor.goto("/pause")
    supervisor.get_by_role("button", name="Pause routine posts").click()
    expect(supervisor.locator("#reason-error")).to_be_visible()
    audit_a11y(supervisor, "pause page with an error")

    officer = sign_in(users["officer"])
    officer.goto("/compose")
    officer.get_by_role("button", name="Save draft").click()
    expect(officer.locator(".error-summary")).to_be_focused()
    audit_a11y(officer, "compose with errors")


def test_the_axe_audit_catches_a_violation(browser, axe):
    """The audit above would see a real problem: an unlabelled field on a page without a language."""
    context = browser.new_context()
    try:
        page = context.new_page()
        page.set_content("<html><body><input type='text'></body></html>")
        results = axe.run(page)
        ids = {v["id"] for v in results.response["violations"]}
        assert {"label", "html-has-lang"} <= ids
    finally:
        context.close()


def _tab_to(page, selector: str, limit: int = 80) -> None:
    """Press Tab until ``selector`` has the focus, as a keyboard user would."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement && document.activeElement.matches(s)", selector):
            outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
            assert outline != "none", f"{selector} has no visible focus"
            return
    raise AssertionError(f"{selector} cannot be reached with the Tab key")


def test_keyboard_alone_drafts_and_submits(server, users, sign_in):
    _accounts(server)
    page = sign_in(users["officer"])
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    _tab_to(page, "a[href='/compose']")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/compose$"))
    _tab_to(page, "#body")
    page.keyboard.type("Flooding on the B1234 near the bridge: use another route.")
    _tab_to(page, "input[type=checkbox][name=accounts]:not(:checked)")
    page.keyboard.press("Space")
    expect(page.locator("input[name=accounts]:checked")).to_have_count(1)
    _tab_to(page, "button[value=submit]")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Awaiting verification")


def test_submitting_while_autosave_runs_makes_one_message(server, users, sign_in):
    _accounts(server)
    page = sign_in(users["officer"])
    page.goto("/compose")
    page.get_by_role("checkbox", name=re.compile("^Force website")).check()
    page.get_by_label("Message text").fill("Lost dog found on Park Road; now at the station.")
    # Whether or not an autosave is under way at this moment, one message must come of it.
    page.get_by_role("button", name="Submit for verification").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Awaiting verification")
    session = server["session"]
    session.expire_all()
    rows = session.execute(select(Message)).scalars().all()
    assert [(m.status, m.latest.body) for m in rows] == [
        ("awaiting_verification", "Lost dog found on Park Road; now at the station.")]
