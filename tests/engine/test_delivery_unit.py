"""Claims, outcomes and roll-ups of single deliveries, on SQLite and PostgreSQL.

The platform is a scripted stand-in here (the end-to-end tests use the
simulators); everything else is real: the services, the audit chain, the
database.
"""
from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
from sqlalchemy import select, update

from channels.base import (
    Channel,
    OutcomeUnknownError,
    PermanentError,
    PublishResult,
    TransientError,
)
from tests.conftest import make_account
from workflow.accounts.models import ChannelAccount
from workflow.audit import chain as audit
from workflow.audit.models import AuditEvent
from workflow.core.database import utcnow
from workflow.delivery import jobs, leases, send
from workflow.delivery import outcomes as delivery_outcomes
from workflow.delivery.models import Delivery
from workflow.messages import drafts, review
from workflow.messages.models import Message
from workflow.scheduling.models import Pause


class Scripted(Channel):
    """A channel whose answers the test writes; it records every call."""

    kind = "scripted"

    def __init__(self, publish: list | None = None, find: list | None = None):
        self.publish_script = list(publish or [])
        self.find_script = list(find or [])
        self.calls: list[tuple[str, Any]] = []
        self.deleted: list[str] = []

    @classmethod
    def check(cls, text, link=None):
        return []

    @classmethod
    def render(cls, text, link=None):
        return [text]

    @classmethod
    def part_problems(cls, part):
        return []

    def _next(self, script: list, *args: Any) -> Any:
        step = script.pop(0)
        if isinstance(step, BaseException):
            raise step
        if callable(step):
            return step(*args)
        return step

    def publish(self, post, *, reply_to=None, posted_parts=(), on_part=None):
        self.calls.append(("publish", {"reply_to": reply_to, "posted_parts": tuple(posted_parts)}))
        return self._next(self.publish_script, post, on_part, tuple(posted_parts))

    def edit(self, remote_id, post):
        self.calls.append(("edit", remote_id))
        return PublishResult(remote_id, f"https://facebook.example/{remote_id}")

    def delete(self, remote_id):
        self.calls.append(("delete", remote_id))
        self.deleted.append(remote_id)

    def find_recent(self, post, *, since=None):
        self.calls.append(("find_recent", since))
        return self._next(self.find_script, post)


def run(runtime, delivery_id: int, channel: Scripted, owner: str = "test-worker/1") -> jobs.Outcome:
    return send.deliver(runtime, delivery_id, owner=owner, channel_factory=lambda *a: channel,
                            task_id="t-1")


@pytest.fixture
def approved(session, officer, supervisor):
    """``approved(accounts, body=..., **fields)``: an approved message; returns its delivery ids."""

    def make(account_ids: list[int], body: str = "Officers are at the scene on the High Street.", **fields):
        m = drafts.create_draft(session, officer, {"body": body, "accounts": account_ids, **fields})
        review.submit(session, officer, m.id)
        review.approve(session, supervisor, m.id, m.current_version)
        ids = [d.id for d in session.execute(select(Delivery).where(
            Delivery.message_id == m.id).order_by(Delivery.id)).scalars()]
        # SQLite takes its write lock at BEGIN: end the read before workers write.
        session.commit()
        return ids

    return make


def fresh(runtime, delivery_id: int) -> Delivery:
    with runtime.session() as s:
        d = s.get(Delivery, delivery_id)
        s.expunge(d)
        return d


def message_of(runtime, delivery_id: int) -> Message:
    with runtime.session() as s:
        m = s.get(Delivery, delivery_id).message
        s.expunge(m)
        return m


def make_due(runtime, delivery_id: int, **values: Any) -> None:
    with runtime.session() as s:
        s.execute(update(Delivery).where(Delivery.id == delivery_id).values(
            next_attempt_at=utcnow() - dt.timedelta(seconds=1), **values))
        s.commit()


def actions(runtime) -> list[str]:
    with runtime.session() as s:
        return list(s.execute(select(AuditEvent.action).order_by(AuditEvent.id)).scalars())


# Claims -------------------------------------------------------------------------------------------

def test_a_claim_is_exclusive_until_its_lease_lapses(runtime, session, website_account, approved):
    (d_id,) = approved([website_account.id])
    first = leases.claim_delivery(session, d_id, "worker-a/1")
    assert first is not None and first.previous_state == "pending" and first.attempts == 1
    assert leases.claim_delivery(session, d_id, "worker-b/1") is None
    later = utcnow() + dt.timedelta(seconds=runtime.settings.lease_seconds + 1)
    second = leases.claim_delivery(session, d_id, "worker-b/1", now=later)
    assert second is not None
    # The first attempt may have posted before its worker died: reconcile first.
    assert second.previous_state == "sending"
    assert fresh(runtime, d_id).lease_owner == "worker-b/1"


def test_a_scheduled_delivery_cannot_be_claimed_before_its_time(runtime, session, website_account, approved):
    publish_at = utcnow() + dt.timedelta(hours=2)
    (d_id,) = approved([website_account.id], publish_at=publish_at.isoformat())
    assert leases.claim_delivery(session, d_id, "w/1") is None
    assert leases.claim_delivery(session, d_id, "w/1", now=publish_at + dt.timedelta(seconds=1)) is not None


def test_racing_claims_have_exactly_one_winner(runtime, website_account, approved):
    (d_id,) = approved([website_account.id])
    barrier = threading.Barrier(6)
    wins: list[str] = []

    def contender(n: int) -> None:
        with runtime.session() as s:
            barrier.wait()
            if leases.claim_delivery(s, d_id, f"worker-{n}/1") is not None:
                wins.append(f"worker-{n}/1")

    threads = [threading.Thread(target=contender, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(wins) == 1
    assert fresh(runtime, d_id).lease_owner == wins[0]


# Outcomes -----------------------------------------------------------------------------------------

def test_sent_records_the_post_audits_it_and_publishes_the_message(runtime, website_account, approved):
    (d_id,) = approved([website_account.id])
    channel = Scripted(publish=[PublishResult("page-1", "https://police.example/news/page-1", ("page-1",))])
    outcome = run(runtime, d_id, channel)
    assert outcome.status == "sent"
    d = fresh(runtime, d_id)
    assert (d.state, d.remote_id, d.url, d.lease_owner) == ("sent", "page-1", "https://police.example/news/page-1", None)
    assert d.sent_at is not None and d.attempts == 1 and d.posted_parts == ["page-1"]
    m = message_of(runtime, d_id)
    assert m.status == "published" and m.published_at is not None
    assert "delivery.sent" in actions(runtime) and "message.published" in actions(runtime)
    with runtime.session() as s:
        assert audit.verify_chain(s)[1] is None
    # A repeated wake-up finds nothing to do.
    assert run(runtime, d_id, Scripted()).status == "skipped"


def test_a_transient_error_backs_off_honouring_retry_after_then_gives_up(runtime, website_account, approved):
    (d_id,) = approved([website_account.id])
    before = utcnow()
    outcome = run(runtime, d_id, Scripted(publish=[TransientError("rate limited", retry_after=30)]))
    assert outcome.status == "retrying"
    d = fresh(runtime, d_id)
    assert d.state == "retrying" and d.attempts == 1 and d.last_error == "rate limited"
    assert d.next_attempt_at >= before + dt.timedelta(seconds=30)
    # Not yet due: no attempt.
    assert run(runtime, d_id, Scripted()).status == "skipped"
    make_due(runtime, d_id, attempts=runtime.settings.retry_max_attempts - 1)
    outcome = run(runtime, d_id, Scripted(publish=[TransientError("platform unavailable")]))
    assert outcome.status == "failed"
    d = fresh(runtime, d_id)
    assert d.state == "failed" and d.last_error.startswith(f"gave up after {runtime.settings.retry_max_attempts} attempts")
    assert message_of(runtime, d_id).status == "failed"


def test_a_refused_credential_fails_the_delivery_and_flags_the_account(runtime, session, approved):
    fb = make_account(session, "facebook", "Force Facebook")
    (d_id,) = approved([fb.id])
    outcome = run(runtime, d_id, Scripted(publish=[PermanentError("The Page token has expired.", reconnect=True)]))
    assert outcome.status == "failed"
    assert fresh(runtime, d_id).last_error == "The Page token has expired."
    with runtime.session() as s:
        account = s.get(ChannelAccount, fb.id)
        assert account.status == "reconnect"
    assert "account.needs_reconnect" in actions(runtime)


def test_an_unknown_outcome_is_reconciled_before_any_resend(runtime, session, approved):
    fb = make_account(session, "facebook", "Force Facebook")
    (d_id,) = approved([fb.id])
    assert run(runtime, d_id, Scripted(publish=[OutcomeUnknownError("timed out after sending")])).status == "unknown"
    assert fresh(runtime, d_id).state == "unknown"
    make_due(runtime, d_id)
    found = Scripted(find=[PublishResult("1_2", "https://facebook.example/1_2")])
    assert run(runtime, d_id, found).status == "sent"
    assert [c[0] for c in found.calls] == ["find_recent"]  # never posted again
    assert fresh(runtime, d_id).remote_id == "1_2"


def test_an_unknown_outcome_resends_only_when_certainly_absent(runtime, session, approved):
    fb = make_account(session, "facebook", "Force Facebook")
    (d_id,) = approved([fb.id])
    run(runtime, d_id, Scripted(publish=[OutcomeUnknownError("timed out")]))
    make_due(runtime, d_id)
    # The check itself fails: still unknown, still nothing resent.
    cannot_tell = Scripted(find=[TransientError("feed unavailable")])
    assert run(runtime, d_id, cannot_tell).status == "unknown"
    assert [c[0] for c in cannot_tell.calls] == ["find_recent"]
    make_due(runtime, d_id)
    absent = Scripted(find=[None], publish=[PublishResult("1_3")])
    assert run(runtime, d_id, absent).status == "sent"
    assert [c[0] for c in absent.calls] == ["find_recent", "publish"]


def test_each_thread_part_is_stored_as_it_is_posted_and_the_thread_resumes(runtime, session, approved):
    x = make_account(session, "x", "Force X")
    body = " ".join(f"Update {n}: officers remain at the scene on Station Road while the cordon stays in "
                    f"place and forensic teams complete their work." for n in range(1, 6))
    (d_id,) = approved([x.id], body=body)
    seen_in_database: list[list[str]] = []

    def two_parts_then_fail(post, on_part, posted):
        on_part("p1")
        seen_in_database.append(list(fresh(runtime, d_id).posted_parts))
        on_part("p2")
        raise TransientError("X is over capacity", posted_parts=("p1", "p2"))

    run(runtime, d_id, Scripted(publish=[two_parts_then_fail]))
    # Stored before the next part was attempted: a SIGKILL here loses nothing.
    assert seen_in_database == [["p1"]]
    assert fresh(runtime, d_id).posted_parts == ["p1", "p2"]
    make_due(runtime, d_id)
    resume = Scripted(publish=[lambda post, on_part, posted: PublishResult("p1", "https://x.example/p1",
                                                                           posted + ("p3",))])
    assert run(runtime, d_id, resume).status == "sent"
    assert resume.calls == [("publish", {"reply_to": None, "posted_parts": ("p1", "p2")})]
    d = fresh(runtime, d_id)
    assert d.remote_id == "p1" and d.posted_parts == ["p1", "p2", "p3"]


def test_an_outcome_is_not_recorded_once_the_lease_is_lost(runtime, website_account, approved):
    (d_id,) = approved([website_account.id])

    def steal_then_succeed(post, on_part, posted):
        with runtime.session() as s:
            s.execute(update(Delivery).where(Delivery.id == d_id).values(lease_owner="another-worker/9"))
            s.commit()
        return PublishResult("page-1")

    assert run(runtime, d_id, Scripted(publish=[steal_then_succeed])).status == "lease_lost"
    d = fresh(runtime, d_id)
    assert d.state == "sending" and d.lease_owner == "another-worker/9" and d.remote_id is None


def test_a_routine_delivery_met_by_a_pause_is_held_and_released_by_lifting_it(runtime, session, supervisor,
                                                                           website_account, approved):
    from workflow.scheduling.pause import lift_pause

    (d_id,) = approved([website_account.id])
    # A pause that began after the approval and did not hold this delivery.
    session.add(Pause(reason="Major incident in the city centre", created_by_id=supervisor.id))
    session.commit()
    channel = Scripted()
    assert run(runtime, d_id, channel).status == "held"
    assert channel.calls == []
    d = fresh(runtime, d_id)
    assert d.state == "held" and d.last_error.startswith("held by pause #") and d.attempts == 0
    lift_pause(session, supervisor)
    assert fresh(runtime, d_id).state == "pending"
    assert run(runtime, d_id, Scripted(publish=[PublishResult("page-1")])).status == "sent"


def test_an_incident_update_goes_out_despite_a_pause(runtime, session, supervisor, website_account, approved):
    (d_id,) = approved([website_account.id], incident={"title": "Flooding on the Quay"})
    session.add(Pause(reason="Major incident", created_by_id=supervisor.id))
    session.commit()
    assert run(runtime, d_id, Scripted(publish=[PublishResult("page-1")])).status == "sent"


def test_partial_failure_rolls_up_to_partially_published(runtime, session, website_account, approved):
    fb = make_account(session, "facebook", "Force Facebook")
    first, second = approved([website_account.id, fb.id])
    run(runtime, first, Scripted(publish=[PublishResult("page-1")]))
    assert message_of(runtime, first).status == "publishing"
    run(runtime, second, Scripted(publish=[PermanentError("Facebook refused the post as spam.")]))
    assert message_of(runtime, first).status == "partially_published"


# Corrections and withdrawals ------------------------------------------------------------------------

def _child(runtime, parent_id: int, purpose: str) -> int:
    with runtime.session() as s:
        parent = s.get(Delivery, parent_id)
        child = Delivery(message_id=parent.message_id, version_id=parent.version_id, account_id=parent.account_id,
                         purpose=purpose, parent_id=parent.id, queue="incident", state="pending",
                         due_at=parent.due_at)
        s.add(child)
        s.commit()
        return child.id


def test_corrections_edit_where_possible_and_reply_on_x(runtime, session, approved):
    x = make_account(session, "x", "Force X")
    fb = make_account(session, "facebook", "Force Facebook")
    x_post, fb_post = approved([x.id, fb.id])
    run(runtime, x_post, Scripted(publish=[PublishResult("x1", None, ("x1", "x2"))]))
    run(runtime, fb_post, Scripted(publish=[PublishResult("1_5")]))
    x_fix, fb_fix = _child(runtime, x_post, "correct"), _child(runtime, fb_post, "correct")
    on_x = Scripted(publish=[PublishResult("x3")])
    assert run(runtime, x_fix, on_x).status == "sent"
    assert on_x.calls == [("publish", {"reply_to": "x1", "posted_parts": ()})]
    on_fb = Scripted()
    assert run(runtime, fb_fix, on_fb).status == "sent"
    assert on_fb.calls == [("edit", "1_5")]
    assert "delivery.corrected" in actions(runtime)


def test_a_withdrawal_deletes_every_part_of_a_thread_last_first(runtime, session, approved):
    x = make_account(session, "x", "Force X")
    (post,) = approved([x.id])
    run(runtime, post, Scripted(publish=[PublishResult("x1", None, ("x1", "x2", "x3"))]))
    withdrawal = _child(runtime, post, "withdraw")
    channel = Scripted()
    assert run(runtime, withdrawal, channel).status == "sent"
    assert channel.deleted == ["x3", "x2", "x1"]
    assert "delivery.withdrawn" in actions(runtime)


def test_a_post_that_lands_after_its_withdrawal_is_taken_down(runtime, session, officer, approved):
    from workflow.messages.corrections import withdraw

    (post,) = approved([make_account(session, "x", "Force X").id])
    message_id = fresh(runtime, post).message_id

    def withdrawn_while_posting(p, on_part, posted):
        with runtime.session() as s:
            withdraw(s, officer, message_id, "wrong street named")
        return PublishResult("x1")

    assert run(runtime, post, Scripted(publish=[withdrawn_while_posting])).status == "sent"
    with runtime.session() as s:
        takedown = s.execute(select(Delivery).where(Delivery.parent_id == post,
                                                    Delivery.purpose == "withdraw")).scalar_one()
        takedown_id = takedown.id
    channel = Scripted()
    assert run(runtime, takedown_id, channel).status == "sent"
    assert channel.deleted == ["x1"]


# Backoff --------------------------------------------------------------------------------------------

def test_retry_delay_grows_is_bounded_and_honours_retry_after(runtime):
    import random

    settings = runtime.settings
    rng = random.Random(7)
    delays = [delivery_outcomes.retry_delay(settings, n, rng=rng) for n in range(1, 12)]
    assert all(0 < d <= settings.retry_max_seconds for d in delays)
    assert delays[0] <= settings.retry_base_seconds
    assert delays[-1] >= settings.retry_max_seconds / 2
    assert delivery_outcomes.retry_delay(settings, 1, retry_after=900, rng=rng) >= 900


def test_credentials_no_key_decrypts_fail_the_delivery_with_a_reason(runtime, website_account, approved):
    (d_id,) = approved([website_account.id])
    with runtime.session() as s:
        s.execute(update(ChannelAccount).where(ChannelAccount.id == website_account.id).values(
            credentials_encrypted=b"not a fernet token"))
        s.commit()
    channel = Scripted()
    assert run(runtime, d_id, channel).status == "failed"
    assert channel.calls == []
    d = fresh(runtime, d_id)
    assert d.state == "failed" and "could not prepare the post" in d.last_error and d.lease_owner is None


# Outcomes recorded side by side -----------------------------------------------------------------

@pytest.mark.parametrize("fail_one", [False, True], ids=["all-sent", "one-failed"])
def test_outcomes_finishing_together_still_roll_the_message_up(runtime, session, approved, fail_one):
    # Outcomes of one message no longer wait for each other: whichever of the
    # last ones commits last must see the others and finish the message.
    accounts = [make_account(session, "website", f"Site {n}").id for n in range(4)]
    session.commit()
    for round_ in range(5):
        ids = approved(accounts, body=f"Road closure update {round_}: the bridge is shut.")
        barrier = threading.Barrier(len(ids))
        results: dict[int, str] = {}

        def worker(n: int, d_id: int) -> None:
            answer: Any = PublishResult(f"p-{d_id}", f"https://police.example/p-{d_id}", (f"p-{d_id}",))
            if fail_one and n == 0:
                answer = PermanentError("the page refused the post")

            def publish(post, on_part, parts):
                barrier.wait(timeout=30)  # every platform call returns at once
                if isinstance(answer, BaseException):
                    raise answer
                return answer

            results[d_id] = run(runtime, d_id, Scripted(publish=[publish]), owner=f"worker-{n}/1").status

        threads = [threading.Thread(target=worker, args=(n, d_id)) for n, d_id in enumerate(ids)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert sorted(results.values()) == sorted(["failed"] * fail_one + ["sent"] * (len(ids) - fail_one))
        m = message_of(runtime, ids[0])
        assert m.status == ("partially_published" if fail_one else "published")
        assert m.published_at is not None
        with runtime.session() as s:
            finals = s.execute(select(AuditEvent.action).where(
                AuditEvent.message_id == m.id, AuditEvent.action.like("message.%published"))).scalars().all()
            assert finals == [f"message.{m.status}"]
    with runtime.session() as s:
        assert audit.verify_chain(s)[1] is None
