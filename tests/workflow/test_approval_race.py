"""Two supervisors approving the same version at the same moment: exactly one
approval and one set of deliveries; the other gets a conflict, never a crash."""
from __future__ import annotations

import threading

from sqlalchemy import select

from workflow.accounts.models import User
from workflow.audit import chain as audit
from workflow.core.errors import ConflictError
from workflow.delivery.models import Delivery
from workflow.messages import drafts, review
from workflow.messages.models import Decision
from workflow.messages.states import MessageState

ROUNDS = 20


def race(runtime, message_id: int, reviewer_ids: list[int]) -> list[object]:
    """Each reviewer approves version 1 in a thread and a session of their own."""
    barrier = threading.Barrier(len(reviewer_ids))
    outcomes: list[object] = [None] * len(reviewer_ids)

    def approve(slot: int, reviewer_id: int) -> None:
        with runtime.session() as s:
            try:
                reviewer = s.get(User, reviewer_id)
                s.commit()  # release SQLite's write lock before the race starts
                barrier.wait(timeout=30)
                review.approve(s, reviewer, message_id, 1)
                outcomes[slot] = "approved"
            except Exception as exc:  # noqa: BLE001 - the outcome is what the test looks at
                outcomes[slot] = exc

    threads = [threading.Thread(target=approve, args=(i, r)) for i, r in enumerate(reviewer_ids)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "an approval hung"
    return outcomes


def test_two_supervisors_approving_at_once_make_one_approval(session, runtime, submitted, officer, supervisor,
                                                             supervisor2, website_account):
    reviewers = [supervisor.id, supervisor2.id]
    for _ in range(ROUNDS):
        message_id = submitted(officer).id
        session.rollback()

        outcomes = race(runtime, message_id, reviewers)

        approved = [o for o in outcomes if o == "approved"]
        refused = [o for o in outcomes if o != "approved"]
        assert len(approved) == 1, outcomes
        assert len(refused) == 1 and isinstance(refused[0], ConflictError), outcomes
        assert refused[0].status == 409
        with runtime.session() as s:
            decisions = s.execute(select(Decision).where(Decision.message_id == message_id)).scalars().all()
            deliveries = s.execute(select(Delivery).where(Delivery.message_id == message_id)).scalars().all()
            status = s.get(drafts.Message, message_id).status
        assert [d.decision for d in decisions] == ["approved"]
        assert [d.account_id for d in deliveries] == [website_account.id]
        assert status == MessageState.APPROVED

    with runtime.session() as s:
        checked, broken = audit.verify_chain(s)
    assert broken is None and checked > ROUNDS


def test_a_crowd_of_supervisors_still_makes_one_approval(session, runtime, submitted, officer, make_supervisors,
                                                         website_account):
    reviewers = [u.id for u in make_supervisors(5)]
    for _ in range(5):
        message_id = submitted(officer).id
        session.rollback()
        outcomes = race(runtime, message_id, reviewers)
        assert outcomes.count("approved") == 1, outcomes
        assert all(isinstance(o, ConflictError) for o in outcomes if o != "approved"), outcomes
        with runtime.session() as s:
            assert len(s.execute(select(Delivery).where(Delivery.message_id == message_id)).scalars().all()) == 1
