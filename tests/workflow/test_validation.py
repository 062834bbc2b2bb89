"""Input the database could not store is refused by the services themselves
(the console and the CLI reach them without the API's own checks)."""
from __future__ import annotations

import json

import pytest

from tests.conftest import make_account
from workflow.accounts import channel_accounts as accounts
from workflow.core.errors import ValidationError
from workflow.messages import drafts as messages


@pytest.mark.parametrize("data, field", [
    ({"body": "lone \udc80 surrogate"}, "body"),
    ({"variants": {"ACCOUNT": "lone \ud800"}}, "variants"),
    ({"change_note": "note \udfff"}, "change_note"),
    ({"accounts": [2**63]}, "accounts"),
    ({"accounts": [10**30]}, "accounts"),
    ({"accounts": [-(2**70)]}, "accounts"),
    ({"incident": "slug\x00with-nul"}, "incident"),
    ({"incident": "slug\udc80"}, "incident"),
    ({"incident": {"title": "Fire \udc80"}}, "incident"),
    ({"incident": {"title": "Fire", "area": "North\x00"}}, "incident"),
    ({"incident": {"title": "Fire", "area": "North\udc80"}}, "incident"),
])
def test_unstorable_drafts_are_refused_with_the_field(session, count, officer, website_account, data, field):
    base = {"body": "Road closed.", "accounts": [website_account.id]}
    if "variants" in data:
        data = {"variants": {str(website_account.id): data["variants"]["ACCOUNT"]}}
    with pytest.raises(ValidationError) as refused:
        messages.create_draft(session, officer, {**base, **data})
    assert refused.value.field == field
    assert count(messages.Message) == 0


def test_unstorable_edits_leave_the_draft_alone(session, snapshot, officer, website_account):
    draft = messages.create_draft(session, officer, {"body": "Road closed.", "accounts": [website_account.id]})
    before = snapshot(draft.id)
    for data in ({"body": "x\udc80"}, {"accounts": [2**64]}):
        with pytest.raises(ValidationError):
            messages.edit_message(session, officer, draft.id, data)
        assert snapshot(draft.id) == before


@pytest.mark.parametrize("name, area, field", [
    ("Force\x00site", None, "name"),
    ("Force \udc80", None, "name"),
    ("Force site", "North\x00", "area"),
    ("Force site", "North \udc80", "area"),
])
def test_unstorable_account_names_are_refused(session, name, area, field):
    with pytest.raises(ValidationError) as refused:
        accounts.add_account(session, "website", name, {}, area=area)
    assert refused.value.field == field
    assert accounts.list_accounts(session) == []


def test_drafts_may_target_every_kind_of_channel(session, officer, website_account, fresh):
    x = make_account(session, "x", "Force X")
    facebook = make_account(session, "facebook", "Force Facebook")
    draft = messages.create_draft(session, officer, {"body": "Road closed on the A1.",
                                                     "accounts": [x.id, facebook.id, website_account.id]})
    rendered = json.loads(fresh(draft.id).latest.content)["rendered"]
    assert {v["kind"] for v in rendered.values()} == {"x", "facebook", "website"}
    assert all(v["posts"] for v in rendered.values())


@pytest.mark.parametrize("rule, says", [
    ("FREQ=SECONDLY;BYMONTH=2;BYMONTHDAY=30", "FREQ must be"),
    ("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30", "never occurs"),
    ("FREQ=MONTHLY;BYMONTH=4,6;BYMONTHDAY=31", "never occurs"),
    ("FREQ=DAILY;BYSETPOS=1", "may use only"),
    ("FREQ=YEARLY;BYWEEKNO=60", "may use only"),
    ("FREQ=DAILY;BYMONTH=13", "months 1 to 12"),
    ("FREQ=DAILY;BYMONTHDAY=x", "whole numbers"),
    ("FREQ", "not a valid RRULE"),
])
def test_rules_that_never_occur_or_are_unsupported_are_refused(session, count, officer, website_account,
                                                               rule, says):
    # dateutil would search to the year 9999 for some of these before giving
    # up; they are refused from the rule's parts instead.
    with pytest.raises(ValidationError) as refused:
        messages.create_draft(session, officer, {"body": "Drop-in surgery at the library.",
                                                 "accounts": [website_account.id],
                                                 "publish_at": "2030-01-07T09:00:00Z", "recurrence": rule})
    assert refused.value.field == "recurrence"
    assert says in refused.value.message
    assert count(messages.Message) == 0


def test_a_rare_but_real_rule_is_accepted(session, officer, website_account):
    draft = messages.create_draft(session, officer, {
        "body": "Leap day surgery.", "accounts": [website_account.id],
        "publish_at": "2030-01-07T09:00:00Z", "recurrence": "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29"})
    assert draft.latest.recurrence == "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29"
