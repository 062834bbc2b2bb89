"""Audit a database administrator cannot quietly rewrite: seals under a key kept outside
the database, signed checkpoints, and every version and decision bound into the chain.

Each attack is made with raw SQL, as someone with the database but not the key would.
"""
from __future__ import annotations

import pytest
from sqlalchemy import select, text

from web.cli import cli
from workflow.audit import chain as audit
from workflow.audit.models import AuditEvent
from workflow.messages import drafts, review
from workflow.messages.models import Decision, MessageVersion


@pytest.fixture
def verify(app):
    runner = app.test_cli_runner()

    def run():
        return runner.invoke(cli, args=["audit", "verify"], catch_exceptions=False)

    return run


@pytest.fixture
def history(session, officer, supervisor, website_account):
    """An approved message and a rejected one: versions, decisions and their events."""
    first = drafts.create_draft(session, officer, {"body": "Road closed on the A1.", "accounts": [website_account.id]})
    review.submit(session, officer, first.id)
    review.approve(session, supervisor, first.id, 1)
    second = drafts.create_draft(session, officer, {"body": "Event at the park.", "accounts": [website_account.id]})
    review.submit(session, officer, second.id)
    review.reject(session, supervisor, second.id, "Say which park")
    session.commit()
    return first.id, second.id


def sql(session, statement: str, **params) -> None:
    session.execute(text(statement), params)
    session.commit()


def test_a_clean_history_verifies_and_writes_a_checkpoint(app, verify, history):
    result = verify()
    assert result.exit_code == 0, result.output
    assert "intact" in result.output
    from pathlib import Path

    assert list(Path(app.config["AUDIT_CHECKPOINTS"]).glob("checkpoint-*.json"))


def test_a_rechained_rewrite_is_detected_by_the_seals(verify, session, history):
    events = session.execute(select(AuditEvent).order_by(AuditEvent.id)).scalars().all()
    target = events[2]
    # Rewrite one event's details and re-hash the chain from there, as an attacker without the key can.
    prev = events[1].hash
    for event in events[2:]:
        details = '{"text":"nothing to see"}' if event.id == target.id else event.details
        new_hash = audit._event_hash(prev, event.created_at, event.actor, event.action, event.message_id,
                                     event.version_number, event.content_hash, details)
        sql(session, "UPDATE audit_events SET details = :d, prev_hash = :p, hash = :h WHERE id = :id",
            d=details, p=prev, h=new_hash, id=event.id)
        prev = new_hash
    result = verify()
    assert result.exit_code == 1
    assert f"event {target.id}" in result.output and "seal" in result.output


def test_removing_the_seals_is_detected(verify, session, history):
    last = session.execute(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1)).scalar_one()
    sql(session, "UPDATE audit_events SET mac = NULL WHERE id = :id", id=last)
    result = verify()
    assert result.exit_code == 1 and f"event {last}" in result.output


def test_deleting_the_newest_events_is_detected_by_the_checkpoint(verify, session, history):
    assert verify().exit_code == 0  # writes a checkpoint of the whole chain
    newest = session.execute(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(2)).scalars().all()
    sql(session, "DELETE FROM audit_events WHERE id >= :id", id=min(newest))
    result = verify()
    assert result.exit_code == 1
    assert f"event {max(newest)}" in result.output and "deleted" in result.output


def test_a_changed_version_is_named(verify, session, history):
    version = session.execute(select(MessageVersion).order_by(MessageVersion.id)).scalars().first()
    sql(session, "UPDATE message_versions SET body = :b WHERE id = :id", b="Road open on the A1.", id=version.id)
    result = verify()
    assert result.exit_code == 1 and f"message version {version.id}" in result.output


def test_a_changed_or_deleted_decision_is_named(verify, session, history, admin):
    decision = session.execute(select(Decision).order_by(Decision.id)).scalars().first()
    sql(session, "UPDATE decisions SET reviewer_id = :r WHERE id = :id", r=admin.id, id=decision.id)
    result = verify()
    assert result.exit_code == 1 and f"decision {decision.id}" in result.output
    sql(session, "DELETE FROM decisions WHERE id = :id", id=decision.id)
    result = verify()
    assert result.exit_code == 1 and "decision" in result.output and "row is gone" in result.output
