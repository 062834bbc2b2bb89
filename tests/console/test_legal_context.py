"""The legal context in the console: the incident page shows and edits it, the message and compose
pages show the context in effect, and the verify page asks for the authority to name someone arrested."""
from __future__ import annotations

import json

from sqlalchemy import select

from tests.api.test_legal_context import ARREST, ROAD
from tests.console.test_acknowledgement import finding_ids, submitted
from tests.console.test_console import status_of
from workflow.audit.models import AuditEvent
from workflow.messages import incidents, review
from workflow.messages.models import Incident


def test_the_incident_page_shows_and_changes_the_legal_context(console, session, officer, supervisor,
                                                               channel_accounts):
    incident = incidents.open_incident(session, officer, "Burglaries in Tottington", legal_context={"arrest_made": True})
    message = submitted(session, officer, channel_accounts["website"], ARREST)
    message.incident_id = incident.id
    session.flush()
    ids = finding_ids(session, message.id)
    approved = review.approve(session, supervisor, message.id, 1, acknowledged=ids, note="On authority.",
                              authority={"officer": "Supt Rowe", "reason": "Public safety."})
    incident_id, message_id = incident.id, approved.id
    session.commit()
    session.rollback()  # waking the workers after the commit read the deliveries: end that read

    client, reviewer = console(officer), console(supervisor)
    page = client.get(f"/incidents/{incident_id}").get_data(as_text=True)
    assert '<legend>What applies to this incident</legend>' in page
    assert 'id="legal-arrest_made" name="legal" value="arrest_made" checked' in page
    assert '<label for="legal-charged">Someone has been charged</label>' in page
    assert 'id="legal-charged" name="legal" value="charged">' in page

    saved = client.post(f"/incidents/{incident_id}/legal", {"legal": ["arrest_made", "charged"]},
                        follow_redirects=True)
    text = saved.get_data(as_text=True)
    assert saved.status_code == 200 and f"Approval voided, back for verification: message {message_id}" in text
    assert 'id="legal-charged" name="legal" value="charged" checked' in text
    session.expire_all()
    assert session.get(Incident, incident_id).legal == {"arrest_made": True, "charged": True}
    assert status_of(session, message_id) == "awaiting_verification"
    session.rollback()

    shown = reviewer.get(f"/messages/{message_id}").get_data(as_text=True)
    assert 'id="approval-voided"' in shown and "changed the legal context" in shown
    assert "<li>Someone has been charged</li>" in shown and "Legal context in effect" in shown
    event = session.execute(select(AuditEvent).where(AuditEvent.action == "incident.legal_context_changed")
                            .order_by(AuditEvent.id.desc())).scalars().first()
    details = json.loads(event.details)
    assert (details["previous"]["charged"], details["legal"]["charged"]) == (False, True)
    session.rollback()


def test_the_verify_page_asks_for_the_authority_to_name_someone_arrested(console, session, officer, supervisor,
                                                                         channel_accounts):
    message = submitted(session, officer, channel_accounts["website"], ARREST)
    ids, message_id, content_hash = finding_ids(session, message.id), message.id, message.latest.content_hash
    session.commit()
    client = console(supervisor)
    page = client.get(f"/messages/{message_id}").get_data(as_text=True)
    assert "<legend>Authority for naming someone arrested</legend>" in page
    assert '<label for="authority_officer">' in page and '<label for="authority_reason">' in page

    form = {"version": "1", "content_hash": content_hash, "acknowledged": ids, "note": "Agreed."}
    refused = client.post(f"/messages/{message_id}/approve", form)
    assert refused.status_code == 422
    assert "needs the authorising officer" in refused.get_data(as_text=True)
    assert status_of(session, message_id) == "awaiting_verification"
    session.rollback()

    approved = client.post(f"/messages/{message_id}/approve", {
        **form, "authority_officer": "Supt Jane Rowe", "authority_reason": "Wanted for further offences."})
    assert approved.status_code == 302, approved.get_data(as_text=True)
    assert status_of(session, message_id) == "approved"
    audit_page = client.get(f"/messages/{message_id}/audit").get_data(as_text=True)
    assert "officer: Supt Jane Rowe; reason: Wanted for further offences." in audit_page
    session.rollback()


def test_the_compose_page_shows_the_context_in_effect(console, session, officer, channel_accounts):
    incident = incidents.open_incident(session, officer, "Road death on the A56",
                                       legal_context={"death": True, "family_informed": True})
    message = submitted(session, officer, channel_accounts["website"], ROAD)
    incident_id, message_id = incident.id, message.id
    session.commit()
    client = console(officer)
    page = client.get(f"/compose?incident={incident_id}").get_data(as_text=True)
    assert "<li>Someone has died</li>" in page and "<li>The family has been informed</li>" in page
    own = client.get(f"/messages/{message_id}/edit").get_data(as_text=True)
    assert "Nothing recorded: the checks read the text alone." in own
