"""Incidents in the console: open one, see its timeline and channels, close and reopen it."""
from __future__ import annotations

import re

from workflow.messages import drafts, review
from workflow.messages.models import Incident


def test_an_officer_opens_an_incident_and_follows_it(console, session, officer, supervisor, channel_accounts):
    client = console(officer)
    assert "No incidents yet." in client.get("/incidents").get_data(as_text=True)
    opened = client.post("/incidents", {"title": "Flooding on the A38", "area": "North"})
    assert opened.status_code == 302
    incident_id = int(re.search(r"/incidents/(\d+)$", opened.headers["Location"]).group(1))

    message = drafts.create_draft(session, officer, {"body": "The A38 is closed at Junction 4.",
                                                     "accounts": [channel_accounts["website"].id],
                                                     "incident": incident_id})
    review.submit(session, officer, message.id)
    review.approve(session, supervisor, message.id, 1)
    session.commit()

    page = client.get(f"/incidents/{incident_id}").get_data(as_text=True)
    assert "Flooding on the A38" in page and f"/messages/{message.id}" in page
    assert "Version 1" in page and "Force website: Waiting to send" in page
    assert "/incidents/flooding-on-the-a38-" in page  # the public timeline
    listed = client.get("/incidents").get_data(as_text=True)
    assert f"/incidents/{incident_id}" in listed

    assert client.post(f"/incidents/{incident_id}/status", {"status": "closed"}).status_code == 302
    session.expire_all()
    assert session.get(Incident, incident_id).status == "closed"
    session.rollback()
    assert "Reopen the incident" in client.get(f"/incidents/{incident_id}").get_data(as_text=True)


def test_an_incident_needs_a_title_and_an_exercise_is_marked(console, session, officer):
    client = console(officer)
    refused = client.post("/incidents", {"title": "  "})
    assert refused.status_code == 422 and "title" in refused.get_data(as_text=True)
    made = client.post("/incidents", {"title": "Exercise Dragon", "exercise": "yes"})
    incident_id = int(made.headers["Location"].rsplit("/", 1)[1])
    assert session.get(Incident, incident_id).exercise is True
    session.rollback()
    assert 'id="exercise-banner"' in client.get(f"/incidents/{incident_id}").get_data(as_text=True)


def test_an_unknown_incident_is_a_404(console, officer):
    assert console(officer).get("/incidents/987654").status_code == 404
