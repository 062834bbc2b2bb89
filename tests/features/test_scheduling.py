"""Scheduled posts, approvals after their time, and the publish-now / new-time decision."""
from __future__ import annotations

import pytest

from tests.features.support import approved, at, audit_actions, deliveries
from workflow.core.errors import (
    InvalidStateError,
    PermissionDeniedError,
    ValidationError,
)
from workflow.scheduling import late as corrections


def test_future_publish_at_is_scheduled_and_due_at_that_time(session, officer, supervisor, accounts,
                                                              dispatcher):
    ids = [accounts["x"].id, accounts["website"].id]
    # London local times: 15:30 GMT in March, 15:30 BST (14:30 UTC) in July.
    winter = approved(session, officer, supervisor, ids, at("2027-03-01T10:00:00"),
                      publish_at="2027-03-01T15:30:00")
    summer = approved(session, officer, supervisor, ids, at("2027-03-01T10:00:00"),
                      publish_at="2027-07-01T15:30:00", body="Summer fete at the station on Saturday.")
    assert winter.status == summer.status == "scheduled"
    for message, due in ((winter, at("2027-03-01T15:30:00")), (summer, at("2027-07-01T14:30:00"))):
        rows = deliveries(session, message.id)
        assert sorted(d.account_id for d in rows) == sorted(ids)
        assert {(d.state, d.purpose, d.due_at) for d in rows} == {("pending", "publish", due)}
    # Nothing is woken early: the sweeper sends them when due.
    assert dispatcher.ids == []


def test_approval_within_the_grace_period_goes_now(session, officer, supervisor, accounts, dispatcher):
    now = at("2027-03-01T09:04:00")
    message = approved(session, officer, supervisor, [accounts["x"].id], now, publish_at="2027-03-01T09:00:00")
    assert message.status == "approved"
    rows = deliveries(session, message.id)
    assert [(d.state, d.due_at) for d in rows] == [("pending", now)]
    assert dispatcher.ids == [rows[0].id]


def late_message(session, officer, supervisor, accounts):
    return approved(session, officer, supervisor, [accounts["x"].id, accounts["website"].id],
                    at("2027-03-01T09:10:00"), publish_at="2027-03-01T09:00:00")


def test_late_approval_is_held_and_not_sent(session, officer, supervisor, accounts, dispatcher):
    message = late_message(session, officer, supervisor, accounts)
    assert message.status == "held"
    rows = deliveries(session, message.id)
    assert {d.state for d in rows} == {"held"}
    assert all("choose publish now or a new time" in d.last_error for d in rows)
    assert dispatcher.ids == []


def test_publish_now_decision_releases_the_held_posts(session, officer, supervisor, supervisor2, accounts,
                                                      dispatcher):
    message = late_message(session, officer, supervisor, accounts)
    now = at("2027-03-01T09:20:00")
    decided = corrections.decide_held(session, supervisor2, message.id, publish_now=True, now=now)
    assert decided.status == "approved"
    rows = deliveries(session, message.id)
    assert {(d.state, d.due_at, d.last_error) for d in rows} == {("pending", now, None)}
    assert sorted(dispatcher.ids) == sorted(d.id for d in rows)
    event = audit_actions(session, message.id)[-1]
    assert (event.action, event.actor) == ("message.held_decided", "sunita")
    assert '"choice":"publish_now"' in event.details


def test_new_time_decision_schedules_the_held_posts(session, officer, supervisor, accounts, dispatcher):
    message = late_message(session, officer, supervisor, accounts)
    # The approver may decide too; a local time without offset is London time (BST in June).
    decided = corrections.decide_held(session, supervisor, message.id, publish_at="2027-06-01T17:00:00",
                                      now=at("2027-03-01T09:20:00"))
    assert decided.status == "scheduled"
    rows = deliveries(session, message.id)
    assert {(d.state, d.due_at) for d in rows} == {("pending", at("2027-06-01T16:00:00"))}
    assert dispatcher.ids == []


def test_decision_needs_a_supervisor_a_choice_and_a_held_message(session, officer, supervisor, supervisor2,
                                                                 accounts):
    message = late_message(session, officer, supervisor, accounts)
    now = at("2027-03-01T09:20:00")
    with pytest.raises(PermissionDeniedError):
        corrections.decide_held(session, officer, message.id, publish_now=True, now=now)
    with pytest.raises(ValidationError):
        corrections.decide_held(session, supervisor2, message.id, now=now)
    with pytest.raises(ValidationError):
        corrections.decide_held(session, supervisor2, message.id, publish_now=True,
                                publish_at="2027-03-02T09:00:00", now=now)
    with pytest.raises(ValidationError, match="passed"):
        corrections.decide_held(session, supervisor2, message.id, publish_at="2027-03-01T09:15:00", now=now)
    with pytest.raises(ValidationError):
        corrections.decide_held(session, supervisor2, message.id, publish_at="tomorrow", now=now)
    assert {d.state for d in deliveries(session, message.id)} == {"held"}
    corrections.decide_held(session, supervisor2, message.id, publish_now=True, now=now)
    with pytest.raises(InvalidStateError):
        corrections.decide_held(session, supervisor2, message.id, publish_now=True, now=now)
