"""Invisible and deceptive characters are refused in every text, with the position named.

A right-to-left override can make a post read backwards on the platforms; a
zero-width space can hide a word from the verifier; control characters can
break feeds. Emoji joined by a zero-width joiner (a firefighter, a family)
are one emoji and stay allowed.
"""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.api.conftest import assert_error
from tests.console.conftest import sign_in
from workflow.messages.models import Message, MessageVersion

HIDDEN = [
    ("\u202e", "U+202E (RIGHT-TO-LEFT OVERRIDE)"),
    ("\u202d", "U+202D (LEFT-TO-RIGHT OVERRIDE)"),
    ("\u2066", "U+2066 (LEFT-TO-RIGHT ISOLATE)"),
    ("\u2069", "U+2069 (POP DIRECTIONAL ISOLATE)"),
    ("\u200b", "U+200B (ZERO WIDTH SPACE)"),
    ("\u200c", "U+200C (ZERO WIDTH NON-JOINER)"),
    ("\u200d", "U+200D (ZERO WIDTH JOINER)"),
    ("\u2060", "U+2060 (WORD JOINER)"),
    ("\ufeff", "U+FEFF (ZERO WIDTH NO-BREAK SPACE)"),
    ("\x07", "U+0007"),
    ("\x1b", "U+001B"),
    ("\t", "U+0009"),
    ("\x85", "U+0085"),
]


def count(session, model) -> int:
    return session.execute(select(func.count()).select_from(model)).scalar_one()


@pytest.mark.parametrize("char, named", HIDDEN)
def test_a_hidden_character_in_the_body_is_refused_with_its_position(api, session, officer, website_account,
                                                                      char, named):
    body = f"Road closed{char} on the A1."
    response = api(officer).post("/messages", json={"body": body, "accounts": [website_account.id]})
    error = assert_error(response, 422, field="body")
    assert named in error["message"] and "position 12" in error["message"], error
    assert count(session, Message) == 0


def test_every_text_field_refuses_them(api, session, officer, supervisor, website_account):
    client = api(officer)
    evil = "Road closed on the \u202eA1\u202c."
    for payload, field in [
        ({"variants": {str(website_account.id): evil}}, "variants"),
        ({"incident": {"title": evil}}, "incident"),
        ({"incident": {"title": "A1 collision", "area": "North\u200b"}}, "incident"),
    ]:
        response = client.post("/messages", json={"body": "Road closed.", "accounts": [website_account.id],
                                                  **payload})
        assert_error(response, 422, field=field)
    created = client.post("/messages", json={"body": "Road closed.", "accounts": [website_account.id]}).get_json()
    assert_error(client.patch(f"/messages/{created['id']}", json={"body": evil}), 422, field="body")
    assert client.post(f"/messages/{created['id']}/submit").status_code == 200
    assert_error(api(supervisor).post(f"/messages/{created['id']}/reject", json={"reason": evil}),
                 422, field="reason")
    assert_error(api(supervisor).post("/pause", json={"reason": evil}), 422, field="reason")
    assert count(session, MessageVersion) == 1


def test_emoji_joined_by_a_zero_width_joiner_are_allowed(api, session, officer, website_account):
    body = "Thank you to our colleagues \U0001F469\u200d\U0001F692 and every family \U0001F468\u200d\U0001F469\u200d\U0001F467 who helped."
    response = api(officer).post("/messages", json={"body": body, "accounts": [website_account.id]})
    assert response.status_code == 201, response.get_json()
    assert session.get(Message, response.get_json()["id"]).latest.body == body
    # A joiner that joins nothing is hidden text, emoji or not.
    stray = api(officer).post("/messages", json={"body": "Thanks \U0001F44D\u200d all", "accounts": [website_account.id]})
    assert_error(stray, 422, field="body")


def test_the_console_refuses_them_too(app, session, officer, website_account):
    console = sign_in(app, officer)
    page = console.post("/compose", {"body": "Road closed \u202eon the A1.", "accounts": [str(website_account.id)]})
    assert page.status_code == 422
    assert "RIGHT-TO-LEFT OVERRIDE" in page.get_data(as_text=True)
    assert count(session, Message) == 0
