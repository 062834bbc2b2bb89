"""The audit trail: every state change appends an event chained by hash, and
tampering with any stored event is found."""
from __future__ import annotations

from sqlalchemy import select, text

from workflow.audit import chain as audit
from workflow.audit.models import AuditEvent
from workflow.messages import drafts, review


def lifecycle(session, draft, officer, supervisor, supervisor2) -> int:
    """Draft, submit, reject, edit, submit, approve: one message's whole story."""
    message = draft(officer, body="Road closed on the A1.")
    review.submit(session, officer, message.id)
    review.reject(session, supervisor, message.id, "Say which direction")
    drafts.edit_message(session, officer, message.id, {"body": "A1 northbound closed."})
    review.submit(session, officer, message.id)
    drafts.edit_message(session, supervisor, message.id, {"body": "A1 northbound closed until 6pm."})
    review.approve(session, supervisor2, message.id, 3)
    return message.id


def test_every_state_change_is_recorded_with_who_the_hash_and_the_text(session, fresh, draft, officer,
                                                                        supervisor, supervisor2):
    message_id = lifecycle(session, draft, officer, supervisor, supervisor2)
    m = fresh(message_id)
    hashes = {v.number: v.content_hash for v in m.versions}
    bodies = {v.number: v.body for v in m.versions}
    events = audit.events_for_message(session, message_id)

    assert [(e.action, e.actor, e.version_number) for e in events] == [
        ("message.drafted", "olivia", 1),
        ("message.submitted", "olivia", 1),
        ("message.rejected", "sam", 1),
        ("message.edited", "olivia", 2),
        ("message.submitted", "olivia", 2),
        ("message.edited", "sam", 3),
        ("message.approved", "sunita", 3),
    ]
    for event in events:
        assert event.content_hash == hashes[event.version_number], event.action
        details = audit.details_of(event)
        if event.action in ("message.drafted", "message.edited", "message.approved"):
            assert details["text"] == bodies[event.version_number], event.action
    assert audit.details_of(events[2])["reason"] == "Say which direction"
    assert audit.details_of(events[-1])["deliveries"] == [d.id for d in m.deliveries]
    actor_ids = {e.action + str(e.version_number): e.actor_id for e in events}
    assert actor_ids["message.approved3"] == supervisor2.id


def test_events_are_chained_by_hash(session, draft, officer, supervisor, supervisor2):
    lifecycle(session, draft, officer, supervisor, supervisor2)
    events = session.execute(select(AuditEvent).order_by(AuditEvent.id)).scalars().all()
    assert events[0].prev_hash == audit.GENESIS
    for before, after in zip(events, events[1:]):
        assert after.prev_hash == before.hash
    assert len({e.hash for e in events}) == len(events)
    checked, broken = audit.verify_chain(session)
    assert (checked, broken) == (len(events), None)


def _ids(session) -> list[int]:
    return list(session.execute(select(AuditEvent.id).order_by(AuditEvent.id)).scalars())


def test_a_changed_event_breaks_the_chain_at_that_event(session, draft, officer, supervisor, supervisor2):
    lifecycle(session, draft, officer, supervisor, supervisor2)
    ids = _ids(session)
    target = ids[len(ids) // 2]
    session.execute(text("UPDATE audit_events SET details = :d WHERE id = :id"),
                    {"d": '{"text":"something else went out"}', "id": target})
    session.commit()
    checked, broken = audit.verify_chain(session)
    assert broken is not None and broken.event_id == target
    assert "changed" in broken.reason
    assert checked == ids.index(target) + 1


def test_a_changed_actor_breaks_the_chain(session, draft, officer, supervisor, supervisor2):
    lifecycle(session, draft, officer, supervisor, supervisor2)
    approved = session.execute(select(AuditEvent).where(AuditEvent.action == "message.approved")).scalar_one()
    session.execute(text("UPDATE audit_events SET actor = 'olivia' WHERE id = :id"), {"id": approved.id})
    session.commit()
    assert audit.verify_chain(session)[1].event_id == approved.id


def test_a_deleted_event_breaks_the_chain_at_the_next_one(session, draft, officer, supervisor, supervisor2):
    lifecycle(session, draft, officer, supervisor, supervisor2)
    ids = _ids(session)
    removed = ids[3]
    session.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": removed})
    session.commit()
    checked, broken = audit.verify_chain(session)
    assert broken is not None and broken.event_id == ids[4]
    assert "removed" in broken.reason


def test_a_rewritten_chain_still_fails_from_the_first_rewritten_event(session, draft, officer, supervisor,
                                                                       supervisor2):
    """Recomputing one event's own hash is not enough: its successor no longer follows it."""
    lifecycle(session, draft, officer, supervisor, supervisor2)
    ids = _ids(session)
    target = session.get(AuditEvent, ids[2])
    forged_details = '{"reason":"nothing to see"}'
    forged = audit._event_hash(target.prev_hash, target.created_at, target.actor, target.action,
                               target.message_id, target.version_number, target.content_hash, forged_details)
    session.execute(text("UPDATE audit_events SET details = :d, hash = :h WHERE id = :id"),
                    {"d": forged_details, "h": forged, "id": ids[2]})
    session.commit()
    session.expire_all()
    assert audit.verify_chain(session)[1].event_id == ids[3]


def test_the_chain_is_checked_across_read_batches(session, draft, officer, monkeypatch):
    for i in range(7):
        draft(officer, body=f"Routine post number {i}.")
    real = audit.iter_events
    monkeypatch.setattr(audit, "iter_events", lambda s: real(s, batch=3))
    ids = _ids(session)
    assert audit.verify_chain(session) == (len(ids), None)

    # The first event of the second batch refers back across the boundary.
    session.execute(text("UPDATE audit_events SET prev_hash = :p WHERE id = :id"),
                    {"p": audit.GENESIS, "id": ids[3]})
    session.commit()
    assert audit.verify_chain(session)[1].event_id == ids[3]
