"""In a real browser: acknowledging the checks on the verify page, and recording an incident's
legal context (issue 11, points 2 and 3)."""
from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlalchemy import select

from tests.conftest import make_account
from workflow.audit.models import AuditEvent
from workflow.messages import drafts, incidents, review
from workflow.messages.models import Incident, Message

#: A named arrested man and his record (serious), and someone's e-mail (a privacy warning).
TEXT = ("Officers investigating a burglary in Tottington have arrested John Smith, 34, on suspicion of "
        "burglary. He remains in custody and has previous convictions for burglary. Anyone with information "
        "can e-mail jane.doe1984@gmail.com.")


def _submitted(server, officer, body: str, incident_id: int | None = None) -> int:
    session = server["session"]
    website = make_account(session, "website", "Force website")
    data = {"body": body, "accounts": [website.id], **({"incident": incident_id} if incident_id else {})}
    message = drafts.create_draft(session, officer, data)
    review.submit(session, officer, message.id)
    message_id = message.id
    session.rollback()
    return message_id


def _status(server, message_id: int) -> str:
    session = server["session"]
    session.expire_all()
    try:
        return str(session.get(Message, message_id).status)
    finally:
        session.rollback()


def test_the_verifier_ticks_each_highlighted_finding_before_approving(server, users, sign_in, audit_a11y):
    message_id = _submitted(server, users["officer"], TEXT)
    page = sign_in(users["supervisor"])
    page.goto(f"/messages/{message_id}")

    # Each finding is marked in the text and tied to its entry.
    findings = page.locator("#findings .finding")
    count = findings.count()
    assert count == 3
    expect(page.locator("#findings .finding-serious")).to_have_count(2)
    marks = page.locator(".checked-text mark")
    expect(marks.filter(has_text="John Smith")).to_have_count(1)
    expect(marks.filter(has_text="jane.doe1984@gmail.com")).to_have_count(1)
    expect(marks.filter(has_text="previous convictions")).to_have_count(1)
    for i in range(marks.count()):
        target = marks.nth(i).get_attribute("aria-describedby")
        expect(page.locator(f"#{target}")).to_have_count(1)
    audit_a11y(page, "verify page with findings")

    approve = page.get_by_role("button", name="Approve version 1")
    status = page.locator("#approve-status")
    expect(approve).to_be_disabled()
    expect(status).to_contain_text(f"{count} of {count} findings still to acknowledge")

    # Ticking every finding is not enough: a serious one needs the authority and a reason.
    boxes = page.locator("#findings input[name=acknowledged]")
    for i in range(count):
        boxes.nth(i).check()
    expect(approve).to_be_disabled()
    expect(status).to_contain_text("the authorising officer")
    page.get_by_label("Authorising officer (name and rank)").fill("Supt Jane Rowe")
    page.get_by_label("Their reason for naming").fill("He is wanted for further offences.")
    expect(status).to_contain_text("a reason why it is safe to publish")
    expect(approve).to_be_disabled()
    page.get_by_label(re.compile("^Why it is safe to publish")).fill("Agreed with the CPS and the SIO.")
    expect(approve).to_be_enabled()
    expect(status).to_have_text("Every finding is acknowledged.")

    # Unticking one blocks the approval again.
    boxes.nth(0).uncheck()
    expect(approve).to_be_disabled()
    expect(status).to_contain_text(f"1 of {count} findings still to acknowledge")
    boxes.nth(0).check()

    approve.click()
    page.wait_for_url(re.compile(rf"/messages/{message_id}/status$"))
    assert _status(server, message_id) == "approved"
    page.goto(f"/messages/{message_id}/audit")
    expect(page.locator("table").first).to_contain_text("Supt Jane Rowe")
    expect(page.locator("table").first).to_contain_text("acknowledged")


def test_without_the_script_the_server_still_refuses_an_unticked_approval(server, users, browser, sign_in):
    message_id = _submitted(server, users["officer"], TEXT)
    page = sign_in(users["supervisor"])
    page.context.route(re.compile(r".*/verify\.js.*"), lambda route: route.abort())
    page.goto(f"/messages/{message_id}")
    page.get_by_role("button", name="Approve version 1").click()
    expect(page.locator(".error-summary")).to_contain_text("acknowledge every legal and privacy finding")
    assert _status(server, message_id) == "awaiting_verification"


def test_an_officer_records_the_incidents_legal_context_and_an_approval_is_voided(server, users, sign_in,
                                                                                audit_a11y):
    session = server["session"]
    incident = incidents.open_incident(session, users["officer"], "Burglaries in Tottington")
    incident_id = incident.id
    session.rollback()
    message_id = _submitted(server, users["officer"],
                            "Officers investigating a burglary in Tottington have arrested a 34-year-old man. "
                            "He remains in custody.", incident_id)
    review.approve(session, users["supervisor"], message_id, 1)
    session.rollback()

    page = sign_in(users["officer"])
    page.goto(f"/incidents/{incident_id}")
    legal = page.get_by_role("group", name="What applies to this incident")
    expect(legal.get_by_role("checkbox")).to_have_count(9)
    audit_a11y(page, "incident page with its legal context")
    legal.get_by_label("Someone has been arrested").check()
    legal.get_by_label("A reporting restriction applies").check()
    page.get_by_role("button", name="Save the legal context").click()

    saved = page.get_by_role("status").filter(has_text="Legal context saved")
    expect(saved).to_contain_text(f"Approval voided, back for verification: message {message_id}")
    expect(legal.get_by_label("A reporting restriction applies")).to_be_checked()
    expect(legal.get_by_label("Someone has been arrested")).to_be_checked()
    expect(legal.get_by_label("Someone has been charged")).not_to_be_checked()
    session.expire_all()
    assert session.get(Incident, incident_id).legal == {"arrest_made": True, "reporting_restriction": True}
    session.rollback()
    assert _status(server, message_id) == "awaiting_verification"

    page.goto(f"/messages/{message_id}")
    expect(page.locator("#approval-voided")).to_contain_text("changed the legal context")
    expect(page.locator("#legal-in-effect")).to_contain_text("A reporting restriction applies")

    # Unticking goes back the same way; the change is in the audit trail, old -> new.
    page.goto(f"/incidents/{incident_id}")
    legal.get_by_label("A reporting restriction applies").uncheck()
    page.get_by_role("button", name="Save the legal context").click()
    expect(legal.get_by_label("A reporting restriction applies")).not_to_be_checked()
    changes = session.execute(select(AuditEvent.details).where(
        AuditEvent.action == "incident.legal_context_changed").order_by(AuditEvent.id)).scalars().all()
    session.rollback()
    assert len(changes) == 2 and '"reporting_restriction":true' in changes[0].replace(" ", "")
