"""Helpers for the service-level tests: drafts, submitted messages, fresh reads."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.conftest import make_account
from workflow.delivery.models import Delivery
from workflow.messages import drafts as messages_drafts
from workflow.messages import review
from workflow.messages.models import Decision, Message, MessageVersion


@pytest.fixture
def website2(session):
    return make_account(session, "website", "Neighbourhood website", area="North")


@pytest.fixture
def draft(session, website_account):
    """``draft(author, body=..., **fields)``: a saved draft targeting the website."""

    def make(author, body: str = "Road closed on the A1 after a collision.", **fields):
        data = {"body": body, "accounts": [website_account.id], **fields}
        return messages_drafts.create_draft(session, author, data)

    return make


@pytest.fixture
def submitted(session, draft):
    """``submitted(author, ...)``: a draft already sent for verification."""

    def make(author, *args, **fields):
        message = draft(author, *args, **fields)
        return review.submit(session, author, message.id)

    return make


class Snapshot:
    """What is stored about one message, read through a session of its own."""

    def __init__(self, runtime, message_id: int):
        with runtime.session() as s:
            m = s.get(Message, message_id)
            self.status = m.status
            self.current_version = m.current_version
            self.rejection_reason = m.rejection_reason
            self.versions = [(v.id, v.number, v.editor_id, v.body, dict(v.variants), list(v.targets),
                              v.publish_at, v.recurrence, v.content, v.content_hash)
                             for v in s.execute(select(MessageVersion).where(
                                 MessageVersion.message_id == message_id).order_by(MessageVersion.number)).scalars()]
            self.decisions = [(d.id, d.version_number, d.decision, d.reviewer_id, d.voided_at)
                              for d in s.execute(select(Decision).where(
                                  Decision.message_id == message_id).order_by(Decision.id)).scalars()]
            self.deliveries = [(d.id, d.version_id, d.account_id, d.state)
                               for d in s.execute(select(Delivery).where(
                                   Delivery.message_id == message_id).order_by(Delivery.id)).scalars()]

    def __eq__(self, other):
        return vars(self) == vars(other)

    def __repr__(self):
        return f"Snapshot({vars(self)!r})"


# On SQLite every transaction takes the write lock (BEGIN IMMEDIATE), so even a
# lazy load on the shared test session would block the reads below: end its
# transaction first.

@pytest.fixture
def snapshot(runtime, session):
    """``snapshot(message_id)``: the message's stored state, read fresh from the database."""

    def take(message_id: int) -> Snapshot:
        session.rollback()
        return Snapshot(runtime, message_id)

    return take


@pytest.fixture
def count(runtime, session):
    """``count(Model, column=value, ...)``: how many rows match, read fresh."""

    def rows(model, **where) -> int:
        session.rollback()
        with runtime.session() as s:
            stmt = select(func.count()).select_from(model)
            for key, value in where.items():
                stmt = stmt.where(getattr(model, key) == value)
            return s.execute(stmt).scalar_one()

    return rows


@pytest.fixture
def fresh(runtime, session):
    """``fresh(message_id)``: the message with its versions, decisions and deliveries, read fresh."""

    def load(message_id: int) -> Message:
        session.rollback()
        with runtime.session() as s:
            m = s.get(Message, message_id)
            for v in m.versions:
                v.editor
            for d in m.deliveries:
                d.account, d.version
            for d in m.decisions:
                d.reviewer
            return m

    return load


@pytest.fixture
def make_supervisors(session):
    """``make_supervisors(n)``: n more supervisors."""
    from tests.conftest import make_user

    return lambda n: [make_user(session, f"supervisor{i}", "supervisor") for i in range(n)]
