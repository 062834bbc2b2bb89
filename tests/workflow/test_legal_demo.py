"""The demo's legal-context example: an incident with an arrest recorded and a message awaiting
verification whose findings ask for an authority; made once however often the demo starts."""
from __future__ import annotations

from sqlalchemy import func, select

from tests.conftest import make_user
from workflow.messages import review
from workflow.messages.checks import checks_for
from workflow.messages.demo import ensure_legal_example
from workflow.messages.models import Incident, Message


def test_the_demo_opens_one_incident_with_a_message_that_needs_an_authority(session, website_account):
    assert ensure_legal_example(session) is None, "without the demo officer there is nothing to show"
    make_user(session, "officer", "officer")
    incident = ensure_legal_example(session)
    assert incident.legal == {"arrest_made": True}
    message = session.execute(select(Message).where(Message.incident_id == incident.id)).scalar_one()
    assert message.status == "awaiting_verification"
    found = review.findings_to_acknowledge(checks_for(session, message, message.latest))
    assert review.NEEDS_AUTHORITY in {f["code"] for f in found}
    assert ensure_legal_example(session).id == incident.id
    assert session.execute(select(func.count()).select_from(Incident)).scalar_one() == 1
