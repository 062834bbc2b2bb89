"""Exercise mode: an exercise reaches only exercise accounts and says so in its first words;
a live message never reaches an exercise account, even one marked while it is on its way."""
from __future__ import annotations

import pytest
from sqlalchemy import select, update

from tests.conftest import make_account
from tests.engine.test_delivery_unit import Scripted, run
from workflow.accounts.models import ChannelAccount
from workflow.core.errors import ConflictError, ValidationError
from workflow.delivery.models import Delivery
from workflow.messages import drafts, review
from workflow.messages.exercise import PREFIX
from workflow.messages.incidents import open_incident
from workflow.messages.versions import stored_rendering


@pytest.fixture
def sandbox(session):
    account = make_account(session, "x", "Exercise X")
    account.exercise = True
    session.commit()
    return account


@pytest.fixture
def live(session):
    return make_account(session, "x", "Force X")


@pytest.fixture
def drill(session, officer):
    return open_incident(session, officer, "Exercise Dragon: flooding at the port", exercise=True)


def test_an_exercise_goes_only_to_exercise_accounts_headed_as_an_exercise(session, officer, sandbox, live,
                                                                          drill):
    with pytest.raises(ValidationError) as refused:
        drafts.create_draft(session, officer, {"body": "The port is closed.", "accounts": [sandbox.id, live.id],
                                               "incident": drill.id})
    assert refused.value.field == "accounts" and "Force X" in refused.value.message

    message = drafts.create_draft(session, officer, {"body": "The port is closed.", "accounts": [sandbox.id],
                                                     "incident": drill.id})
    version = message.latest
    assert version.body == f"{PREFIX} The port is closed."
    assert all(post.startswith(PREFIX) for post in stored_rendering(version).posts[str(sandbox.id)])
    # An edit cannot take the words away.
    edited = drafts.edit_message(session, officer, message.id, {"body": "The port is open again."})
    assert edited.latest.body == f"{PREFIX} The port is open again."


def test_a_live_message_never_targets_an_exercise_account(session, officer, sandbox, live):
    with pytest.raises(ValidationError) as refused:
        drafts.create_draft(session, officer, {"body": "Road closed on the A1.", "accounts": [live.id, sandbox.id]})
    assert refused.value.field == "accounts" and "Exercise X" in refused.value.message
    message = drafts.create_draft(session, officer, {"body": "Road closed on the A1.", "accounts": [live.id]})
    assert not message.latest.body.startswith(PREFIX)


def test_an_account_marked_before_approval_stops_the_approval(session, officer, supervisor, live):
    message = drafts.create_draft(session, officer, {"body": "Road closed on the A1.", "accounts": [live.id]})
    review.submit(session, officer, message.id)
    session.execute(update(ChannelAccount).where(ChannelAccount.id == live.id).values(exercise=True))
    session.commit()
    with pytest.raises(ConflictError, match="cannot go to exercise accounts"):
        review.approve(session, supervisor, message.id, 1)
    assert session.execute(select(Delivery)).scalars().all() == []


def test_an_account_marked_while_the_post_is_on_its_way_is_never_posted_to(runtime, session, officer, supervisor,
                                                                          live):
    message = drafts.create_draft(session, officer, {"body": "Road closed on the A1.", "accounts": [live.id]})
    review.submit(session, officer, message.id)
    review.approve(session, supervisor, message.id, 1)
    delivery_id = session.execute(select(Delivery.id)).scalar_one()
    # The account becomes a sandbox after the approval, before a worker sends.
    session.execute(update(ChannelAccount).where(ChannelAccount.id == live.id).values(exercise=True))
    session.commit()
    channel = Scripted()
    outcome = run(runtime, delivery_id, channel)
    assert outcome.status == "failed" and channel.calls == []
    row = session.get(Delivery, delivery_id)
    session.refresh(row)
    assert row.state == "failed" and "cannot go to exercise accounts" in row.last_error
    session.rollback()
