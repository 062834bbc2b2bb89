"""The verify page: each legal or privacy finding is marked in the text with its reason and
guidance, and ticked off before the approval counts."""
from __future__ import annotations

import re

from sqlalchemy import select

from tests.api.test_acknowledgement import PERSONAL, SERIOUS
from tests.console.test_console import status_of
from workflow.delivery.models import Delivery
from workflow.messages import drafts, review
from workflow.messages.checks import checks_for
from workflow.messages.models import Message


def submitted(session, author, account, body):
    message = drafts.create_draft(session, author, {"body": body, "accounts": [account.id]})
    return review.submit(session, author, message.id)


def finding_ids(session, message_id) -> list[str]:
    message = session.get(Message, message_id)
    return [f["id"] for f in review.findings_to_acknowledge(checks_for(session, message, message.latest))]


def test_the_verify_page_marks_each_finding_and_asks_for_a_tick(console, session, officer, supervisor,
                                                                 channel_accounts):
    message = submitted(session, officer, channel_accounts["website"], PERSONAL)
    ids = finding_ids(session, message.id)
    session.commit()
    assert ids
    page = console(supervisor).get(f"/messages/{message.id}").get_data(as_text=True)
    for finding_id in ids:
        assert f'name="acknowledged" value="{finding_id}"' in page
        assert f'id="finding-{finding_id}"' in page
    marked = re.findall(r"<mark[^>]*>(.*?)</mark>", page)
    assert "jane.doe1984@gmail.com" in marked


def test_approving_without_the_ticks_is_refused_and_approves_nothing(console, session, officer, supervisor,
                                                                     channel_accounts):
    message = submitted(session, officer, channel_accounts["website"], PERSONAL)
    message_id, ids = message.id, finding_ids(session, message.id)
    content_hash = message.latest.content_hash
    session.commit()
    client = console(supervisor)
    refused = client.post(f"/messages/{message_id}/approve", {"version": "1", "content_hash": content_hash})
    assert refused.status_code == 409
    assert "acknowledge every legal and privacy finding" in refused.get_data(as_text=True)
    assert status_of(session, message_id) == "awaiting_verification"
    assert session.execute(select(Delivery)).scalars().all() == []
    session.rollback()  # nothing of this session may hold SQLite's write lock while the app works

    approved = client.post(f"/messages/{message_id}/approve",
                           {"version": "1", "content_hash": content_hash, "acknowledged": ids})
    assert approved.status_code == 302, approved.get_data(as_text=True)
    assert status_of(session, message_id) == "approved"


def test_a_serious_finding_needs_a_reason_on_the_page(console, session, officer, supervisor, channel_accounts):
    message = submitted(session, officer, channel_accounts["website"], SERIOUS)
    ids = finding_ids(session, message.id)
    content_hash = message.latest.content_hash
    session.commit()
    client = console(supervisor)
    page = client.get(f"/messages/{message.id}").get_data(as_text=True)
    assert "(needed: a finding is serious)" in page
    refused = client.post(f"/messages/{message.id}/approve",
                          {"version": "1", "content_hash": content_hash, "acknowledged": ids})
    assert refused.status_code == 422 and "serious finding needs a short reason" in refused.get_data(as_text=True)
    approved = client.post(f"/messages/{message.id}/approve", {
        "version": "1", "content_hash": content_hash, "acknowledged": ids,
        "note": "The family and the SIO agreed this wording."})
    assert approved.status_code == 302
