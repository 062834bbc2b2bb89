"""Corrections of live messages and withdrawals."""
from __future__ import annotations

import pytest

from tests.features.support import (
    approved,
    at,
    audit_actions,
    deliveries,
    mark_sent,
    set_status,
)
from workflow.core.errors import (
    InvalidStateError,
    PermissionDeniedError,
    TwoPersonRuleError,
    ValidationError,
)
from workflow.messages import corrections, drafts, review

T0 = at("2027-05-10T08:00:00")


def live_message(session, officer, supervisor, accounts, sent=("x", "facebook", "website"), status="published"):
    ids = [accounts[k].id for k in ("x", "facebook", "website")]
    message = approved(session, officer, supervisor, ids, T0, incident={"title": "Collision on the ring road"},
                       body="The ring road is closed at junction 4 after a collision.")
    rows = deliveries(session, message.id)
    mark_sent(session, [d for d in rows if d.account.kind in sent])
    set_status(session, message, status)
    return message


def test_a_correction_is_a_new_version_verified_again(session, officer, supervisor, supervisor2, accounts,
                                                      dispatcher):
    message = live_message(session, officer, supervisor, accounts, sent=("x", "website"),
                           status="partially_published")
    facebook = deliveries(session, message.id)[1]
    facebook.state, facebook.last_error = "failed", "content refused"
    session.commit()
    corrected = corrections.correct(session, officer, message.id,
                                    "The ring road is closed at junction 5 after a collision.",
                                    "Junction 5, not junction 4")
    assert corrected.status == "awaiting_verification" and corrected.current_version == 2
    v2 = corrected.latest
    assert v2.change_note == "Junction 5, not junction 4" and "junction 5" in v2.body
    assert v2.publish_at is None and v2.content_hash != corrected.versions[0].content_hash
    # Nothing goes out until a second person verifies it.
    assert deliveries(session, message.id, purpose="correct") == []
    with pytest.raises(PermissionDeniedError):
        review.approve(session, officer, message.id, 2)
    now = at("2027-05-10T08:30:00")
    review.approve(session, supervisor2, message.id, 2, now=now)
    live = {d.account_id: d for d in deliveries(session, message.id, purpose="publish", state="sent")}
    fixes = deliveries(session, message.id, purpose="correct")
    assert {(d.account_id, d.parent_id, d.state, d.due_at) for d in fixes} == {
        (a, p.id, "pending", now) for a, p in live.items()}
    # No live post on Facebook: it gets the corrected text as a first publication.
    fresh = [d for d in deliveries(session, message.id, purpose="publish") if d.version.number == 2]
    assert [(d.account_id, d.parent_id) for d in fresh] == [(accounts["facebook"].id, None)]
    assert sorted(dispatcher.ids[-3:]) == sorted([d.id for d in fixes] + [fresh[0].id])
    event = [e for e in audit_actions(session, message.id) if e.action == "message.corrected"][0]
    assert event.actor == "olivia" and "Junction 5, not junction 4" in event.details


def test_an_editor_of_the_correction_cannot_verify_it(session, officer, supervisor, accounts):
    message = live_message(session, officer, supervisor, accounts)
    corrections.correct(session, supervisor, message.id, "The ring road has reopened.", "Reopened")
    with pytest.raises(TwoPersonRuleError):
        review.approve(session, supervisor, message.id, 2, now=T0)


def test_a_correction_voids_approvals_and_cancels_what_is_unsent(session, officer, supervisor, accounts):
    message = live_message(session, officer, supervisor, accounts, sent=("x",), status="publishing")
    with pytest.raises(InvalidStateError, match="still going out"):
        corrections.correct(session, officer, message.id, "The ring road has reopened.", "Reopened")
    set_status(session, message, "partially_published")
    corrections.correct(session, officer, message.id, "The ring road has reopened.", "Reopened")
    states = {d.account.kind: (d.state, d.last_error) for d in deliveries(session, message.id)}
    assert states["x"] == ("sent", None)
    assert states["facebook"] == states["website"] == ("cancelled", "superseded by a correction")
    assert all(d.voided_at is not None for d in message.decisions)


def test_correction_refusals(session, officer, officer2, supervisor, accounts):
    draft = drafts.create_draft(session, officer, {"body": "Draft text.", "accounts": [accounts["x"].id]})
    with pytest.raises(InvalidStateError, match="edit it instead"):
        corrections.correct(session, officer, draft.id, "Better text.", "Fix")
    message = live_message(session, officer, supervisor, accounts)
    for note in (None, "", "  "):
        with pytest.raises(ValidationError):
            corrections.correct(session, officer, message.id, "Better text.", note)
    with pytest.raises(ValidationError):
        corrections.correct(session, officer, message.id, "", "Fix")
    with pytest.raises(PermissionDeniedError):
        corrections.correct(session, officer2, message.id, "Better text.", "Fix")
    session.refresh(message)
    assert message.current_version == 1 and message.status == "published"
    corrections.withdraw(session, officer, message.id, "Wrong road", now=T0)
    with pytest.raises(InvalidStateError):
        corrections.correct(session, officer, message.id, "Better text.", "Fix")


def test_withdraw_takes_every_live_post_down_and_cancels_the_rest(session, officer, supervisor, supervisor2,
                                                                  accounts, dispatcher):
    message = live_message(session, officer, supervisor, accounts, sent=("x", "website"),
                           status="partially_published")
    facebook = deliveries(session, message.id)[1]
    # Settled (a correction waits while a post is still retrying).
    facebook.state = "failed"
    session.commit()
    # An X correction is a reply of its own; on the website it edited the page.
    corrections.correct(session, officer, message.id, "The ring road is closed at junction 5.", "Junction 5")
    review.approve(session, supervisor2, message.id, 2, now=at("2027-05-10T08:30:00"))
    fixes = deliveries(session, message.id, purpose="correct")
    mark_sent(session, fixes)
    pending_publish = deliveries(session, message.id, purpose="publish", state="pending")
    assert [d.account.kind for d in pending_publish] == ["facebook"]
    dispatcher.calls.clear()

    withdrawn = corrections.withdraw(session, officer, message.id, "Wrong road: we will repost",
                                     now=at("2027-05-10T09:00:00"))
    assert withdrawn.status == "withdrawn" and withdrawn.withdrawn_at == at("2027-05-10T09:00:00")
    rows = deliveries(session, message.id)
    publish_live = [d for d in rows if d.purpose == "publish" and d.state == "sent"]
    x_reply = [d for d in fixes if d.account.kind == "x"]
    pulls = [d for d in rows if d.purpose == "withdraw"]
    assert sorted(d.parent_id for d in pulls) == sorted(d.id for d in publish_live + x_reply)
    assert {(d.state, d.queue) for d in pulls} == {("pending", "incident")}
    assert all(d.account_id == d.parent.account_id for d in pulls)
    # The failed first attempt stays on record; the unsent publication is cancelled.
    assert {d.state for d in rows if d.purpose == "publish" and d.account.kind == "facebook"} == {
        "failed", "cancelled"}
    assert sorted(dispatcher.ids) == sorted(d.id for d in pulls)
    event = audit_actions(session, message.id)[-1]
    assert (event.action, event.actor) == ("message.withdrawn", "olivia")
    assert "Wrong road: we will repost" in event.details
    assert str(pending_publish[0].id) in event.details
    # Withdrawn is final.
    with pytest.raises(InvalidStateError):
        corrections.withdraw(session, supervisor, message.id, "again")
    # A post that lands after the withdrawal (it was in a worker's hands) is taken down once.
    late = pending_publish[0]
    late.state = "sent"
    session.commit()
    first = corrections.withdraw_post(session, late)
    assert first is not None and first.parent_id == late.id
    assert corrections.withdraw_post(session, late) is None


def test_who_may_withdraw_and_the_reason(session, officer, officer2, supervisor, admin, accounts, dispatcher):
    message = live_message(session, officer, supervisor, accounts)
    dispatcher.calls.clear()
    for reason in (None, "", "   "):
        with pytest.raises(ValidationError):
            corrections.withdraw(session, officer, message.id, reason)
    with pytest.raises(PermissionDeniedError):
        corrections.withdraw(session, officer2, message.id, "Not mine to pull")
    assert deliveries(session, message.id, purpose="withdraw") == [] and dispatcher.ids == []
    corrections.withdraw(session, supervisor, message.id, "Supervisor pulled it")
    assert len(deliveries(session, message.id, purpose="withdraw")) == 3
    other = live_message(session, officer, supervisor, accounts)
    corrections.withdraw(session, admin, other.id, "Admin pulled it")
    draft = drafts.create_draft(session, officer, {"body": "Draft.", "accounts": [accounts["x"].id]})
    assert corrections.withdraw(session, officer, draft.id, "Not needed").status == "withdrawn"
    assert deliveries(session, draft.id) == []


def test_withdrawing_a_scheduled_message_cancels_it(session, officer, supervisor, accounts, dispatcher):
    message = approved(session, officer, supervisor, [accounts["x"].id], T0, publish_at="2027-05-11T09:00:00")
    corrections.withdraw(session, officer, message.id, "Event cancelled", now=T0)
    assert [(d.state, d.purpose) for d in deliveries(session, message.id)] == [("cancelled", "publish")]
    assert dispatcher.ids == []
