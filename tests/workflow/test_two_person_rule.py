"""The two-person rule and the lifecycle around it, at the service layer, on
SQLite and PostgreSQL."""
from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest

from tests.conftest import make_account
from workflow.accounts import policy
from workflow.audit import chain as audit
from workflow.core.errors import (
    ConflictError,
    InvalidStateError,
    NotFoundError,
    PermissionDeniedError,
    StaleVersionError,
    TwoPersonRuleError,
    ValidationError,
)
from workflow.delivery.models import Delivery
from workflow.messages import drafts, review
from workflow.messages import versions as messages_versions
from workflow.messages.models import Decision, Message
from workflow.messages.states import MessageState

# Who may verify -----------------------------------------------------------------

def test_only_a_supervisor_can_verify(session, snapshot, submitted, officer, officer2, supervisor):
    message = submitted(officer)
    before = snapshot(message.id)

    with pytest.raises(PermissionDeniedError) as refused:
        review.approve(session, officer2, message.id, 1)
    assert not isinstance(refused.value, TwoPersonRuleError)
    with pytest.raises(PermissionDeniedError):
        review.reject(session, officer2, message.id, "Not for officers to decide")
    assert snapshot(message.id) == before

    approved = review.approve(session, supervisor, message.id, 1)
    assert approved.status == MessageState.APPROVED


def test_an_admin_may_verify_what_they_did_not_write(session, submitted, officer, admin):
    message = submitted(officer)
    assert review.approve(session, admin, message.id, 1).status == MessageState.APPROVED


def test_the_author_cannot_verify_their_own_message(session, snapshot, submitted, supervisor, supervisor2):
    message = submitted(supervisor)
    before = snapshot(message.id)

    with pytest.raises(TwoPersonRuleError):
        review.approve(session, supervisor, message.id, 1)
    assert snapshot(message.id) == before
    assert policy.approval_blocker(supervisor, session.get(Message, message.id)) is not None

    assert review.approve(session, supervisor2, message.id, 1).status == MessageState.APPROVED


def test_a_supervisor_who_edited_cannot_verify(session, snapshot, submitted, officer,
                                               supervisor, supervisor2, fresh):
    message = submitted(officer)
    edited = drafts.edit_message(session, supervisor, message.id,
                                   {"body": "Road closed on the A1 northbound after a collision."})
    assert edited.current_version == 2
    assert edited.status == MessageState.AWAITING_VERIFICATION
    before = snapshot(message.id)

    with pytest.raises(TwoPersonRuleError):
        review.approve(session, supervisor, message.id, 2)
    assert snapshot(message.id) == before

    approved = review.approve(session, supervisor2, message.id, 2)
    assert approved.status == MessageState.APPROVED
    assert [d.reviewer_id for d in fresh(message.id).decisions] == [supervisor2.id]


def test_an_editor_of_any_earlier_version_stays_excluded(session, snapshot, draft, officer, supervisor,
                                                         supervisor2):
    message = draft(officer)
    drafts.edit_message(session, supervisor, message.id, {"body": "Road closed: A1 northbound."})
    drafts.edit_message(session, officer, message.id, {"body": "Road closed: A1 northbound, J3 to J4."})
    review.submit(session, officer, message.id)
    before = snapshot(message.id)

    with pytest.raises(TwoPersonRuleError):
        review.approve(session, supervisor, message.id, 3)
    assert snapshot(message.id) == before
    assert review.approve(session, supervisor2, message.id, 3).status == MessageState.APPROVED


def test_an_admin_who_edited_cannot_verify(session, snapshot, submitted, officer, admin, supervisor):
    message = submitted(officer)
    drafts.edit_message(session, admin, message.id, {"body": "Road closed on the A1 until 6pm."})
    before = snapshot(message.id)
    with pytest.raises(TwoPersonRuleError):
        review.approve(session, admin, message.id, 2)
    assert snapshot(message.id) == before
    review.approve(session, supervisor, message.id, 2)


def test_an_officer_cannot_edit_or_submit_someone_elses_message(session, snapshot, draft, submitted,
                                                                 officer, officer2):
    waiting = submitted(officer)
    before = snapshot(waiting.id)
    with pytest.raises(PermissionDeniedError):
        drafts.edit_message(session, officer2, waiting.id, {"body": "Something else entirely."})
    assert snapshot(waiting.id) == before

    mine = draft(officer)
    with pytest.raises(PermissionDeniedError):
        review.submit(session, officer2, mine.id)
    assert snapshot(mine.id).status == MessageState.DRAFT


def test_a_draft_that_was_never_submitted_cannot_be_approved(session, snapshot, draft, officer, supervisor):
    message = draft(officer)
    before = snapshot(message.id)
    with pytest.raises(InvalidStateError):
        review.approve(session, supervisor, message.id, 1)
    assert snapshot(message.id) == before


def test_approving_an_unknown_message_is_not_found(session, supervisor):
    for missing in (999_999, 2**63, -1, 0, "abc"):
        with pytest.raises(NotFoundError):
            review.approve(session, supervisor, missing, 1)


# An approval names its version --------------------------------------------------

def test_approving_a_stale_version_is_a_conflict_and_approves_nothing(session, snapshot, submitted,
                                                                       officer, supervisor, count):
    message = submitted(officer)
    drafts.edit_message(session, officer, message.id, {"body": "Road closed on the A1 until 6pm."})
    before = snapshot(message.id)

    with pytest.raises(StaleVersionError) as stale:
        review.approve(session, supervisor, message.id, 1)
    assert stale.value.status == 409
    assert snapshot(message.id) == before
    assert count(Decision, message_id=message.id) == 0
    assert count(Delivery, message_id=message.id) == 0

    # A version from the future is just as wrong.
    with pytest.raises(StaleVersionError):
        review.approve(session, supervisor, message.id, 3)
    assert snapshot(message.id) == before

    review.approve(session, supervisor, message.id, 2)
    assert count(Decision, message_id=message.id) == 1


@pytest.mark.parametrize("version", [None, "2", 1.0, True, [1]])
def test_an_approval_must_name_its_version_as_an_integer(session, snapshot, submitted, officer, supervisor,
                                                          version):
    message = submitted(officer)
    before = snapshot(message.id)
    with pytest.raises(ValidationError):
        review.approve(session, supervisor, message.id, version)
    assert snapshot(message.id) == before


def test_an_approval_with_the_wrong_content_hash_is_refused(session, snapshot, submitted, officer,
                                                             supervisor, fresh, count):
    message = submitted(officer)
    before = snapshot(message.id)
    wrong = hashlib.sha256(b"some other text").hexdigest()
    with pytest.raises(StaleVersionError):
        review.approve(session, supervisor, message.id, 1, wrong)
    assert snapshot(message.id) == before
    assert count(Delivery, message_id=message.id) == 0

    right = fresh(message.id).latest.content_hash
    assert review.approve(session, supervisor, message.id, 1, right).status == MessageState.APPROVED


def test_approving_twice_is_a_conflict(session, submitted, officer, supervisor, supervisor2, count):
    message = submitted(officer)
    review.approve(session, supervisor, message.id, 1)
    with pytest.raises(ConflictError):
        review.approve(session, supervisor2, message.id, 1)
    assert count(Decision, message_id=message.id) == 1


# Edits make versions and void approvals ------------------------------------------

def test_an_edit_after_submission_makes_a_new_version_that_needs_verifying(session, submitted,
                                                                           officer, fresh):
    message = submitted(officer)
    first_hash = fresh(message.id).latest.content_hash
    drafts.edit_message(session, officer, message.id, {"body": "Road closed on the A1 until 6pm."})
    m = fresh(message.id)
    assert m.status == MessageState.AWAITING_VERIFICATION
    assert [v.number for v in m.versions] == [1, 2]
    assert m.versions[0].content_hash == first_hash
    assert m.versions[1].content_hash != first_hash


def test_an_edit_after_approval_voids_it_and_cancels_unsent_deliveries(session, submitted, officer,
                                                                       supervisor, supervisor2, fresh):
    message = submitted(officer)
    review.approve(session, supervisor, message.id, 1)
    assert [d.state for d in fresh(message.id).deliveries] == ["pending"]

    drafts.edit_message(session, officer, message.id, {"body": "Road closed on the A1 until 6pm."})
    m = fresh(message.id)
    assert m.status == MessageState.AWAITING_VERIFICATION
    assert m.current_version == 2
    assert [d.voided_at is not None for d in m.decisions] == [True]
    assert [d.state for d in m.deliveries] == ["cancelled"]

    # The voided approval does not carry over: the new version needs its own.
    with pytest.raises(StaleVersionError):
        review.approve(session, supervisor2, message.id, 1)
    review.approve(session, supervisor2, message.id, 2)
    m = fresh(message.id)
    assert sorted(d.state for d in m.deliveries) == ["cancelled", "pending"]
    live = [d for d in m.decisions if d.voided_at is None]
    assert [(d.version_number, d.reviewer_id) for d in live] == [(2, supervisor2.id)]


def test_an_edit_of_a_scheduled_message_voids_its_approval(session, submitted, officer, supervisor, fresh):
    later = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=2)).isoformat()
    message = submitted(officer, publish_at=later)
    assert review.approve(session, supervisor, message.id, 1).status == MessageState.SCHEDULED

    drafts.edit_message(session, supervisor, message.id, {"body": "Open day moved to Sunday."})
    m = fresh(message.id)
    assert m.status == MessageState.AWAITING_VERIFICATION
    assert all(d.voided_at is not None for d in m.decisions)
    assert [d.state for d in m.deliveries] == ["cancelled"]


def test_an_edit_naming_a_stale_version_changes_nothing(session, snapshot, submitted, officer, supervisor):
    message = submitted(officer)
    drafts.edit_message(session, supervisor, message.id, {"body": "Road closed: A1."}, expected_version=1)
    before = snapshot(message.id)
    with pytest.raises(StaleVersionError):
        drafts.edit_message(session, officer, message.id, {"body": "Road open again."}, expected_version=1)
    assert snapshot(message.id) == before


def test_versions_are_never_changed_after_they_are_written(session, snapshot, submitted, officer,
                                                            supervisor, supervisor2):
    message = submitted(officer)
    v1 = snapshot(message.id).versions[0]
    drafts.edit_message(session, officer, message.id, {"body": "Road closed on the A1 until 6pm."})
    review.reject(session, supervisor, message.id, "Say which direction")
    drafts.edit_message(session, officer, message.id, {"body": "A1 northbound closed until 6pm."})
    review.submit(session, officer, message.id)
    review.approve(session, supervisor2, message.id, 3)
    versions = snapshot(message.id).versions
    assert versions[0] == v1
    assert [v[1] for v in versions] == [1, 2, 3]
    assert len({v[-1] for v in versions}) == 3


# Rejection ------------------------------------------------------------------------

@pytest.mark.parametrize("reason", [None, "", "   \n ", 42, "x" * (review.MAX_REASON + 1)])
def test_a_rejection_needs_a_reason(session, snapshot, submitted, officer, supervisor, reason):
    message = submitted(officer)
    before = snapshot(message.id)
    with pytest.raises(ValidationError) as refused:
        review.reject(session, supervisor, message.id, reason)
    assert refused.value.field == "reason"
    assert snapshot(message.id) == before


def test_a_rejection_returns_the_message_to_its_author_as_a_draft(session, submitted, officer,
                                                                  supervisor, fresh):
    message = submitted(officer)
    review.reject(session, supervisor, message.id, "Do not name the street yet")
    m = fresh(message.id)
    assert m.status == MessageState.REJECTED
    assert m.rejection_reason == "Do not name the street yet"
    assert [(d.decision, d.reason, d.reviewer_id) for d in m.decisions] == [
        ("rejected", "Do not name the street yet", supervisor.id)]
    assert m.deliveries == []
    with pytest.raises(InvalidStateError):
        review.approve(session, supervisor, message.id, 1)

    # Editable again by its author, then resubmitted and verified.
    drafts.edit_message(session, officer, message.id, {"body": "A road is closed in the town centre."})
    m = fresh(message.id)
    assert (m.status, m.current_version) == (MessageState.DRAFT, 2)
    review.submit(session, officer, message.id)
    m = fresh(message.id)
    assert m.status == MessageState.AWAITING_VERIFICATION
    assert m.rejection_reason is None
    # The supervisor who rejected it did not write it, so may verify the new version.
    assert review.approve(session, supervisor, message.id, 2).status == MessageState.APPROVED


def test_a_rejection_naming_a_stale_version_is_a_conflict(session, snapshot, submitted, officer, supervisor):
    message = submitted(officer)
    drafts.edit_message(session, officer, message.id, {"body": "Road closed on the A1 until 6pm."})
    before = snapshot(message.id)
    with pytest.raises(StaleVersionError):
        review.reject(session, supervisor, message.id, "Too vague", version=1)
    assert snapshot(message.id) == before


# Deliveries come with the approval ----------------------------------------------------

def test_approving_creates_one_delivery_per_target_in_the_same_transaction(session, draft, officer,
                                                                           supervisor, website_account,
                                                                           website2, fresh, count):
    x = make_account(session, "x", "Force X")
    facebook = make_account(session, "facebook", "North Facebook", area="North")
    targets = [website2.id, website_account.id, x.id, facebook.id]
    message = draft(officer, accounts=targets)
    review.submit(session, officer, message.id)
    assert count(Delivery, message_id=message.id) == 0

    review.approve(session, supervisor, message.id, 1)
    m = fresh(message.id)
    assert sorted(d.account_id for d in m.deliveries) == sorted(targets)
    assert {d.version_id for d in m.deliveries} == {m.latest.id}
    assert {d.state for d in m.deliveries} == {"pending"}
    assert {d.purpose for d in m.deliveries} == {"publish"}


def test_an_approval_whose_transaction_fails_leaves_no_decision_and_no_deliveries(
        session, snapshot, submitted, officer, supervisor, monkeypatch, count):
    message = submitted(officer)
    before = snapshot(message.id)
    real_record = audit.record

    def failing_record(s, actor, action, **kw):
        if action == "message.approved":
            # By now the decision and the deliveries have been flushed.
            assert s.query(Delivery).filter_by(message_id=message.id).count() == 1
            raise RuntimeError("the database went away")
        return real_record(s, actor, action, **kw)

    monkeypatch.setattr(audit, "record", failing_record)
    with pytest.raises(RuntimeError):
        review.approve(session, supervisor, message.id, 1)
    monkeypatch.setattr(audit, "record", real_record)

    assert snapshot(message.id) == before
    assert count(Decision, message_id=message.id) == 0
    assert count(Delivery, message_id=message.id) == 0
    assert review.approve(session, supervisor, message.id, 1).status == MessageState.APPROVED


def test_an_approval_wakes_the_workers_only_after_commit(session, runtime, submitted, officer, supervisor,
                                                       fresh):
    woken: list[list[int]] = []

    class Recorder:
        def dispatch(self, ids):
            # A worker's own session must already see the rows.
            with runtime.session() as s:
                assert s.get(Delivery, ids[0]) is not None
            woken.append(list(ids))

    session.info["crier.dispatcher"] = Recorder()
    message = submitted(officer)
    review.approve(session, supervisor, message.id, 1)
    assert woken == [[d.id for d in fresh(message.id).deliveries]]


# Content hash -------------------------------------------------------------------------

def test_the_content_hash_is_the_sha256_of_the_canonical_content(session, draft, officer,
                                                                  website_account, fresh):
    message = draft(officer, body="  Café closed\r\nfor the day.  ")
    version = fresh(message.id).latest
    assert version.content_hash == hashlib.sha256(version.content.encode("utf-8")).hexdigest()
    content = json.loads(version.content)
    assert json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False) == version.content
    assert content["body"] == "Café closed\nfor the day."
    assert content["targets"] == [website_account.id]
    assert content["rendered"][str(website_account.id)]["posts"]
    m = session.get(Message, message.id)
    again = messages_versions.canonical_content(session, m, messages_versions.Draft(version.body, [website_account.id]))
    assert again == (version.content, version.content_hash)


def test_the_content_hash_covers_text_targets_and_publish_time(session, draft, officer, website2, fresh):
    message = draft(officer)
    hashes = [fresh(message.id).latest.content_hash]
    for change in ({"body": "Road closed on the A1 until 6pm."},
                   {"accounts": [website2.id]},
                   {"publish_at": "2030-01-01T09:00:00+00:00"}):
        drafts.edit_message(session, officer, message.id, change)
        hashes.append(fresh(message.id).latest.content_hash)
    assert len(set(hashes)) == 4


def test_unicode_forms_of_the_same_text_hash_the_same(session, draft, officer, runtime, fresh):
    composed = draft(officer, body="Caf\u00e9 closed.")
    decomposed = draft(officer, body="Cafe\u0301 closed.")
    a, b = fresh(composed.id).latest, fresh(decomposed.id).latest
    assert a.body == b.body == "Caf\u00e9 closed."


def test_a_written_version_cannot_be_changed_or_deleted(session, snapshot, draft, officer):
    message = draft(officer)
    before = snapshot(message.id)
    version = session.get(Message, message.id).latest
    version.body = "Something that was never verified."
    with pytest.raises(InvalidStateError):
        session.commit()
    session.rollback()
    with pytest.raises(InvalidStateError):
        session.delete(session.get(Message, message.id).latest)
        session.commit()
    session.rollback()
    assert snapshot(message.id) == before
