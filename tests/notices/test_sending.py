"""Sending notices: retries with backoff after SMTP and webhook failures, refusals that are
final, a claim whose worker died (sent again only if nothing was handed over), and the outbox
that keeps the mails when no mail server is set."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from tests.conftest import make_account, make_user
from tests.notices.conftest import make_due, notices, send_waiting
from workflow.audit.models import AuditEvent
from workflow.core.database import utcnow
from workflow.messages import drafts, review
from workflow.messages.models import Incident
from workflow.notices.models import Notice
from workflow.notices.send import claim, mark_handed_over, send_notice
from workflow.notices.sweeper import settle_lapsed, wake_waiting
from workflow.notices.transport import message_id

BODY = "Officers are at the scene of a fire on Mill Lane. Please keep clear."


@pytest.fixture
def submitted(session):
    """An officer's message waiting for verification; one supervisor (with e-mail) is told."""
    author = make_user(session, "olivia", "officer")
    sam = make_user(session, "sam", "supervisor")
    sam.email = "sam@police.example"
    session.commit()
    website = make_account(session, "website", "Force website")
    message = drafts.create_draft(session, author, {"body": BODY, "accounts": [website.id]})
    return review.submit(session, author, message.id)


def actions(session, name: str) -> list[AuditEvent]:
    session.expire_all()
    return session.execute(select(AuditEvent).where(AuditEvent.action == name)).scalars().all()


def test_a_mail_server_that_says_try_later_is_tried_again_and_the_mail_arrives_once(runtime, session, submitted,
                                                                                    mail, hook):
    mail.refuse = ["451 4.3.0 Mail server busy, try again later"]
    [email] = notices(runtime, channel="email")
    assert send_notice(runtime, email.id, "w/1").status == "retrying"
    [after] = notices(runtime, channel="email")
    assert after.attempts == 1 and "451" in after.last_error and after.next_attempt_at > utcnow()
    # Not before its backoff has passed.
    assert send_notice(runtime, email.id, "w/1").status == "not_claimable"
    make_due(runtime)
    assert send_notice(runtime, email.id, "w/1").status == "sent"
    assert len(mail.with_id(message_id(email.id, "crier@police.example"))) == 1
    assert notices(runtime, channel="email")[0].attempts == 2
    assert [e for e in actions(session, "notice.sent") if f'"notice":{email.id}' in e.details]


def test_a_team_webhook_that_fails_is_tried_again_with_backoff(runtime, session, submitted, mail, hook):
    hook.statuses = [503, 429]
    [post] = notices(runtime, channel="webhook")
    assert send_notice(runtime, post.id, "w/1").status == "retrying"
    make_due(runtime)
    assert send_notice(runtime, post.id, "w/1").status == "retrying"
    make_due(runtime)
    assert send_notice(runtime, post.id, "w/1").status == "sent"
    assert [p["status"] for p in hook.posts] == [503, 429, 200]
    assert {p["notice"] for p in hook.posts} == {str(post.id)}
    assert len(hook.accepted()) == 1


def test_retries_are_bounded(runtime, session, submitted, mail, hook):
    mail.refuse = ["451 busy"] * 5
    [email] = notices(runtime, channel="email")
    for _ in range(3):  # CRIER_RETRY_MAX_ATTEMPTS is 3 here
        make_due(runtime)
        send_notice(runtime, email.id, "w/1")
    [after] = notices(runtime, channel="email")
    assert after.state == "failed" and after.attempts == 3 and after.last_error.startswith("gave up after 3")
    assert mail.messages == []
    assert [e for e in actions(session, "notice.failed") if f'"notice":{email.id}' in e.details]


def test_refusals_are_final_and_audited(runtime, session, submitted, mail, hook):
    mail.refuse = ["550 5.1.1 No such mailbox"]
    hook.statuses = [404]
    assert sorted(send_waiting(runtime)) == ["failed", "failed"]
    assert {n.state for n in notices(runtime) if n.channel != "live"} == {"failed"}
    assert send_waiting(runtime) == []
    assert len(actions(session, "notice.failed")) == 2


def test_an_unreachable_mail_server_is_tried_again(runtime, session, submitted, mail, hook):
    mail.stop()
    [email] = notices(runtime, channel="email")
    assert send_notice(runtime, email.id, "w/1").status == "retrying"
    assert "could not be reached" in notices(runtime, channel="email")[0].last_error


def _lapse(runtime, notice_id: int) -> None:
    with runtime.session() as s, s.begin():
        s.execute(update(Notice).where(Notice.id == notice_id)
                  .values(lease_expires_at=utcnow() - dt.timedelta(seconds=1)))


def test_a_claim_lapsed_before_the_hand_over_is_sent_again(runtime, session, submitted, mail, hook):
    [email] = notices(runtime, channel="email")
    assert claim(runtime, email.id, "dead-worker/1") is not None  # then the worker died
    assert send_notice(runtime, email.id, "w/2").status == "not_claimable"  # its claim still holds
    _lapse(runtime, email.id)
    assert settle_lapsed(runtime) == 1
    assert notices(runtime, channel="email")[0].state == "retrying"
    assert send_notice(runtime, email.id, "w/2").status == "sent"
    assert len(mail.messages) == 1


def test_a_claim_lapsed_after_the_hand_over_is_never_sent_again(runtime, session, submitted, mail, hook):
    [email] = notices(runtime, channel="email")
    claim(runtime, email.id, "dead-worker/1")
    mark_handed_over(runtime, email.id, "dead-worker/1")  # then the worker died, mid-DATA
    _lapse(runtime, email.id)
    assert settle_lapsed(runtime) == 1
    [after] = notices(runtime, channel="email")
    assert after.state == "unknown" and "not sent again" in after.last_error
    assert send_notice(runtime, email.id, "w/2").status == "not_claimable"
    recorder = Recorder()
    wake_waiting(runtime, recorder, now=utcnow() + dt.timedelta(minutes=5))
    assert email.id not in recorder.woken  # the scheduler never wakes it again
    assert [n.id for n in notices(runtime, state="unknown")] == [email.id]
    assert [e for e in actions(session, "notice.unknown") if f'"notice":{email.id}' in e.details]


def test_a_worker_whose_claim_lapsed_does_not_hand_the_notice_over(runtime, session, submitted, mail, hook):
    [email] = notices(runtime, channel="email")
    claim(runtime, email.id, "slow-worker/1")
    _lapse(runtime, email.id)
    with pytest.raises(Exception, match="lapsed"):
        mark_handed_over(runtime, email.id, "slow-worker/1")


class Recorder:
    """Stands in for the Celery dispatcher: keeps the ids it is asked to wake."""

    def __init__(self):
        self.woken: list[int] = []

    def send_notices(self, ids, countdown=None):
        self.woken += ids


def test_the_scheduler_wakes_notices_whose_task_was_lost(runtime, session, submitted, mail, hook):
    recorder = Recorder()
    # Just written: their after-commit wake-up is trusted for a few seconds.
    assert wake_waiting(runtime, recorder) == 0
    later = utcnow() + dt.timedelta(seconds=30)
    assert wake_waiting(runtime, recorder, now=later) == 2
    assert sorted(recorder.woken) == sorted(n.id for n in notices(runtime) if n.channel != "live")
    # Woken once: not again straight away.
    assert wake_waiting(runtime, recorder, now=later) == 0


def test_a_line_break_in_an_incident_title_cannot_add_a_mail_header(runtime, session, mail, hook):
    author = make_user(session, "olivia", "officer")
    sam = make_user(session, "sam", "supervisor")
    sam.email = "sam@police.example"
    session.commit()
    website = make_account(session, "website", "Force website")
    incident = Incident(slug="fire-mill-lane", title="Fire\r\nBcc: someone@elsewhere.example", created_by_id=author.id)
    session.add(incident)
    session.commit()
    message = drafts.create_draft(session, author, {"body": BODY, "accounts": [website.id], "incident": incident.id})
    review.submit(session, author, message.id)
    assert "sent" in send_waiting(runtime)
    [sent] = mail.messages
    assert sent["Bcc"] is None and "\n" not in sent["Subject"]
    assert mail.envelopes[0][1] == ["sam@police.example"]


def test_a_claim_that_keeps_lapsing_before_the_hand_over_fails_after_the_retries(runtime, session, submitted,
                                                                                  mail, hook):
    [email] = notices(runtime, channel="email")
    for attempt in range(3):  # CRIER_RETRY_MAX_ATTEMPTS is 3 here
        make_due(runtime)
        assert claim(runtime, email.id, f"dying-worker/{attempt}") is not None
        _lapse(runtime, email.id)
        settle_lapsed(runtime)
    [after] = notices(runtime, channel="email")
    assert after.state == "failed" and after.attempts == 3 and mail.messages == []
