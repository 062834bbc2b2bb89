"""Status, role and kind columns hold only their enum's values, whoever writes them."""
from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, StatementError

from workflow.delivery.models import DeliveryState
from workflow.messages.models import Message
from workflow.messages.states import MessageState

BAD_WRITES = [
    ("UPDATE messages SET status = 'publishedd'", "ck_messages_status"),
    ("UPDATE messages SET kind = 'urgent'", "ck_messages_kind"),
    ("UPDATE users SET role = 'root'", "ck_users_role"),
    ("UPDATE channel_accounts SET status = 'paused'", "ck_channel_accounts_status"),
    ("UPDATE channel_accounts SET kind = 'myspace'", "ck_channel_accounts_kind"),
]


@pytest.fixture
def saved(session, draft, officer):
    message = draft(officer)
    session.commit()  # nothing of this session may hold the write lock below
    return message


@pytest.mark.parametrize("statement,constraint", BAD_WRITES)
def test_the_database_refuses_a_value_outside_the_enum(runtime, saved, statement, constraint):
    with runtime.engine.connect() as conn:
        with pytest.raises(IntegrityError) as refused:
            conn.execute(text(statement))
        conn.rollback()
    assert constraint in str(refused.value) or "CHECK constraint failed" in str(refused.value)


def test_the_models_refuse_an_unknown_value_before_it_reaches_the_database(session, saved):
    message = session.get(Message, saved.id)
    message.status = "nearly_published"
    with pytest.raises(StatementError):
        session.flush()
    session.rollback()


def test_values_read_back_are_the_enums_and_still_compare_as_text(session, saved):
    session.expire_all()
    message = session.get(Message, saved.id)
    assert message.status is MessageState.DRAFT
    assert message.status == "draft" and f"{message.status}" == "draft"
    assert DeliveryState.SENT == "sent" and str(DeliveryState.SENT) == "sent"
