"""With no mail server set (the demo), e-mail notices are kept in the console's Outbox, unsent."""
from __future__ import annotations

import pytest

from tests.conftest import make_account, make_user
from tests.console.conftest import sign_in
from tests.notices.conftest import CONSOLE, notices, send_waiting
from workflow.messages import drafts, review


@pytest.fixture
def notice_settings() -> dict:
    return {"CONSOLE_URL": CONSOLE}


def test_mails_wait_in_the_outbox_when_no_mail_server_is_set(app, runtime, session):
    author = make_user(session, "olivia", "officer")
    sam = make_user(session, "sam", "supervisor")
    sam.email = "sam@police.example"
    session.commit()
    website = make_account(session, "website", "Force website")
    message = drafts.create_draft(session, author, {"body": "Road closed on Bridge Street.", "accounts": [website.id]})
    review.submit(session, author, message.id)
    [email] = notices(runtime, channel="email")
    assert email.state == "kept" and email.address == "sam@police.example"
    assert notices(runtime, channel="webhook") == []  # no team webhook set either
    assert send_waiting(runtime) == []  # nothing for a worker to do
    page = sign_in(app, sam).get("/outbox").get_data(as_text=True)
    assert "no mail server is set" in page and 'data-state="kept"' in page
    assert "Road closed on Bridge Street." in page and f"{CONSOLE}/messages/{message.id}" in page
