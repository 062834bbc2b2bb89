"""The template library and the appeal lifecycle in the console, without script: the
Templates page, the compose page's picker filled on the server, the "Found — close appeal"
button and the home page's reminder of appeals live too long."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, update

from workflow.core.database import utcnow
from workflow.messages.library import ensure_library
from workflow.messages.models import Message, MessageTemplate

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

VALUES = {"value-name": "Mary Vale", "value-age": "81", "value-location": "Hexley", "value-time": "noon",
          "value-description": "5ft 2in, with white hair and a red coat", "value-reference": "57"}


def template_id(session, key: str) -> int:
    ensure_library(session)
    found = session.execute(select(MessageTemplate.id).where(MessageTemplate.key == key)).scalar_one()
    session.commit()
    return found


def messages(session) -> int:
    count = session.execute(select(func.count()).select_from(Message)).scalar_one()
    session.commit()
    return count


def test_everyone_reads_the_library_and_only_supervisors_change_it(console, officer, supervisor, session):
    as_officer = console(officer)
    page = as_officer.get("/templates").get_data(as_text=True)
    assert "Missing person appeal" in page and "Charge update" in page and "Add a template" not in page
    assert as_officer.get("/templates/new").status_code == 403
    road = template_id(session, "road_closure")
    assert as_officer.post(f"/templates/{road}", {"name": "Mine", "body": "x"}).status_code == 403
    assert as_officer.post(f"/templates/{road}/retire").status_code == 403
    as_supervisor = console(supervisor)
    refused = as_supervisor.post("/templates/new", {"name": "Cordon", "body": "Cordon at {location", "kind":
                                                    "incident"})
    assert refused.status_code == 422 and "never closed" in refused.get_data(as_text=True)
    made = as_supervisor.post("/templates/new", {"name": "Cordon", "body": "A cordon is in place at {location}.",
                                                 "kind": "incident"})
    assert made.status_code == 302
    assert "Cordon" in as_officer.get("/templates").get_data(as_text=True)
    assert as_supervisor.post(f"/templates/{road}/retire", {"retire": "yes"}).status_code == 302
    session.expire_all()
    assert session.get(MessageTemplate, road).retired_at is not None
    session.commit()


def test_the_picker_fills_a_template_on_the_server_and_the_draft_remembers_it(console, officer, session,
                                                                              channel_accounts):
    client = console(officer)
    website = channel_accounts["website"].id
    session.commit()
    tid = template_id(session, "missing_person_appeal")
    page = client.get("/compose").get_data(as_text=True)
    assert 'id="template-picker"' in page and "Missing person appeal" in page
    gaps = client.post("/compose", {"template": str(tid), "action": "pick", "body": ""}).get_data(as_text=True)
    assert 'id="value-name"' in gaps and 'id="value-description"' in gaps and 'id="value-reference"' in gaps
    partial = {k: v for k, v in VALUES.items() if k != "value-reference"}
    filled = client.post("/compose", {"template": str(tid), "action": "fill", "body": "", **partial})
    text = filled.get_data(as_text=True)
    assert filled.status_code == 200 and "Can you help us find Mary Vale?" in text
    assert "Still to fill: reference" in text and messages(session) == 0  # filling saves nothing
    saved = client.post("/compose", {"template": str(tid), "action": "submit", "accounts": str(website),
                                     "body": "Can you help us find Mary Vale? Call 101 quoting {reference}.",
                                     **partial})
    # An unfilled gap blocks submission; the draft is kept.
    assert saved.status_code == 422 and "{reference}" in saved.get_data(as_text=True)
    session.expire_all()
    message = session.execute(select(Message)).scalar_one()
    assert message.template_id == tid and message.appeal == "missing_person"
    assert message.template_values["name"] == "Mary Vale" and message.status == "draft"
    session.commit()


def test_found_button_and_the_reminder_on_the_home_page(console, officer, supervisor, session, channel_accounts):
    from workflow.messages import drafts, review

    website = channel_accounts["website"].id
    tid = template_id(session, "missing_person_appeal")
    values = {k[len("value-"):]: v for k, v in VALUES.items()}
    body = ("Can you help us find Mary Vale? Mary Vale, 81, was last seen in Hexley at noon. Please call 101 "
            "quoting 57.")
    appeal = drafts.create_draft(session, officer, {"body": body, "accounts": [website], "template": tid,
                                                    "values": values})
    review.submit(session, officer, appeal.id)
    session.execute(update(Message).where(Message.id == appeal.id).values(
        status="published", published_at=utcnow() - dt.timedelta(days=2)))
    session.commit()
    client = console(officer)
    home = client.get("/").get_data(as_text=True)
    assert 'id="appeal-reminder"' in home and "Appeals still live after 24 hours" in home
    status = client.get(f"/messages/{appeal.id}/status").get_data(as_text=True)
    assert "Found &mdash; close appeal" in status
    found = client.post(f"/messages/{appeal.id}/found", {"text": ""})
    assert found.status_code == 302
    session.expire_all()
    update_ = session.execute(select(Message).where(Message.closes_appeal_id == appeal.id)).scalar_one()
    assert update_.status == "awaiting_verification" and "Mary Vale" in update_.latest.body
    assert "red coat" not in update_.latest.body
    session.commit()
    after = client.get(f"/messages/{appeal.id}/status").get_data(as_text=True)
    assert "Found &mdash; close appeal" not in after and f"message {update_.id}</a>" in after
    assert "found update awaiting verification" in client.get("/").get_data(as_text=True)
    again = client.post(f"/messages/{appeal.id}/found", {"text": ""})
    assert again.status_code == 422 and "already this appeal" in again.get_data(as_text=True)
