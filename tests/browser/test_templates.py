"""The template picker in a real browser: choosing a template shows a field per gap, "Fill in
the text" fills the message box through the server, autosave keeps the draft with its template,
and the page passes axe-core. Waits are on conditions, never on time."""
from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlalchemy import select

from tests.conftest import make_account
from workflow.messages.library import ensure_library
from workflow.messages.models import Message


def test_an_officer_fills_a_template_and_submits_it_for_verification(server, users, sign_in, audit_a11y):
    session = server["session"]
    make_account(session, "website", "Force website")
    ensure_library(session)
    officer = sign_in(users["officer"])
    violations: list[str] = []
    officer.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)

    officer.get_by_role("link", name="New message", exact=True).click()
    expect(officer.locator("#template-pick")).to_be_hidden()  # the script builds the fields itself
    officer.get_by_label("Template", exact=True).select_option(label="Road closure")
    expect(officer.get_by_label("Road", exact=True)).to_be_visible()
    expect(officer.get_by_label("Location", exact=True)).to_be_visible()
    expect(officer.get_by_label("Reason", exact=True)).to_be_visible()
    audit_a11y(officer, "compose with the template picker")
    officer.get_by_label("Road", exact=True).fill("The A38")
    officer.get_by_label("Location", exact=True).fill("between junctions 4 and 5")
    officer.get_by_role("button", name="Fill in the text").click()
    expect(officer.locator("#template-status")).to_contain_text("Still to fill: reason")
    expect(officer.get_by_label("Message text")).to_have_value(re.compile(
        r"^The A38 is closed between junctions 4 and 5 because of \{reason\}\."))
    officer.get_by_label("Reason", exact=True).fill("a collision")
    officer.get_by_role("button", name="Fill in the text").click()
    expect(officer.locator("#template-status")).to_contain_text("Filled in: read it through")
    expect(officer.get_by_label("Message text")).to_have_value(re.compile(
        r"^The A38 is closed between junctions 4 and 5 because of a collision\. Please avoid the area"))
    officer.get_by_role("checkbox", name=re.compile("^Force website")).check()
    expect(officer.locator("#save-status")).to_contain_text("Saved as version")
    expect(officer.locator("#preview")).to_contain_text("because of a collision")
    officer.get_by_role("button", name="Submit for verification").click()
    expect(officer.get_by_role("heading", level=1)).to_contain_text("Awaiting verification")
    assert violations == []

    session.expire_all()
    message = session.execute(select(Message)).scalar_one()
    assert message.template_id is not None and message.status == "awaiting_verification"
    assert message.template_values == {"road": "The A38", "location": "between junctions 4 and 5",
                                       "reason": "a collision"}
    assert message.latest.body.startswith("The A38 is closed between junctions 4 and 5 because of a collision.")
    session.commit()

    # The Templates page, for a supervisor who may edit it.
    supervisor = sign_in(users["supervisor"])
    supervisor.get_by_role("link", name="Templates", exact=True).click()
    expect(supervisor.get_by_role("link", name="Add a template")).to_be_visible()
    audit_a11y(supervisor, "templates page")
    supervisor.get_by_role("link", name="Scam warning").click()
    expect(supervisor.get_by_label("Wording")).to_have_value(re.compile(r"^We are warning people in \{area\}"))
    audit_a11y(supervisor, "template edit page")
