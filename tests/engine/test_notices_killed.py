"""Notices against real worker processes: the scheduler escalates, a worker sends; and a worker SIGKILLed in the middle of sending an
e-mail never makes the mail arrive twice. Killed before it handed the mail over (held at
RCPT), another worker sends it once; killed after (held in DATA), the notice is marked
unknown and never sent again. The mail server is a real one (aiosmtpd)."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from tests.engine.conftest import wait_for
from tests.notices.support import MailCatcher
from workflow.accounts.channel_accounts import add_account
from workflow.accounts.models import User
from workflow.audit.models import AuditEvent
from workflow.core.database import utcnow
from workflow.messages import drafts, review
from workflow.notices.models import Notice, VerificationWatch
from workflow.notices.transport import message_id

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

MAIL_FROM = "crier@police.example"


@pytest.fixture
def mail():
    catcher = MailCatcher().start()
    yield catcher
    catcher.stop()


@pytest.fixture
def engine_env(engine_env, mail):
    """The engine's settings, with the mail server (the workers and the scheduler read them too)."""
    return {**engine_env, "CRIER_SMTP_URL": mail.url, "CRIER_MAIL_FROM": MAIL_FROM,
            "CRIER_CONSOLE_URL": "https://crier.police.example"}


def submit_for_verification(rt, people) -> int:
    """Olivia submits a message; Sam (the one supervisor, with an e-mail address) is told."""
    officer, supervisor = people
    with rt.session() as s:
        s.get(User, supervisor.id).email = "sam@police.example"
        s.commit()
        body = {"body": "Flooding on the B1040: the road is closed.", "accounts": [add_site(s)]}
        message = drafts.create_draft(s, s.get(User, officer.id), body)
        review.submit(s, s.get(User, officer.id), message.id)
        return s.execute(select(Notice.id).where(Notice.channel == "email")).scalar_one()


def add_site(session) -> int:
    return add_account(session, "website", "Force website", {}).id


def notice(rt, notice_id: int) -> Notice:
    with rt.session() as s:
        row = s.get(Notice, notice_id)
        s.expunge_all()
        return row


def test_a_worker_killed_before_handing_the_mail_over_costs_no_mail_and_no_double(rt, people, processes, mail):
    mail.hold = "rcpt"
    first = processes.worker(pool="threads", concurrency=2)
    notice_id = submit_for_verification(rt, people)
    wait_for(mail.holding.is_set, "the worker to reach RCPT", describe=processes.logs)
    held = notice(rt, notice_id)
    assert held.state == "sending" and held.handed_over_at is None
    first.kill()
    mail.hold = None
    mail.release.set()
    processes.worker(pool="threads", concurrency=2)
    processes.scheduler()
    wait_for(lambda: notice(rt, notice_id).state == "sent", "the notice to be sent by the second worker",
             describe=processes.logs)
    assert len(mail.with_id(message_id(notice_id, MAIL_FROM))) == 1
    assert len(mail.messages) == 1 and notice(rt, notice_id).attempts == 2


def test_a_worker_killed_after_handing_the_mail_over_never_sends_it_again(rt, people, processes, mail):
    mail.hold = "data"
    first = processes.worker(pool="threads", concurrency=2)
    notice_id = submit_for_verification(rt, people)
    wait_for(mail.holding.is_set, "the worker to hand the mail over", describe=processes.logs)
    assert notice(rt, notice_id).handed_over_at is not None
    first.kill()
    mail.release.set()
    processes.worker(pool="threads", concurrency=2)
    processes.scheduler()
    wait_for(lambda: notice(rt, notice_id).state == "unknown", "the lapsed claim to be settled as unknown",
             describe=processes.logs)
    # Unknown is final: nothing claims it again, so this count cannot grow.
    assert len(mail.with_id(message_id(notice_id, MAIL_FROM))) == 1
    with rt.session() as s:
        audited = s.execute(select(AuditEvent.details).where(AuditEvent.action == "notice.unknown")).scalars().all()
    assert any(f'"notice":{notice_id}' in d for d in audited)


def test_the_scheduler_escalates_a_message_left_waiting_and_a_worker_mails_everyone(rt, people, processes, mail):
    notice_id = submit_for_verification(rt, people)
    with rt.session() as s:
        # Its escalation time has come (the scheduler reads it from the database, whenever it started).
        s.execute(update(VerificationWatch).values(due_at=utcnow() - dt.timedelta(seconds=1)))
        s.commit()
    processes.worker(pool="threads", concurrency=2)
    processes.scheduler()
    wait_for(lambda: len(mail.to("sam@police.example")) == 2, "the first notice and the escalation to arrive",
             describe=processes.logs)
    subjects = sorted(m["Subject"] for m in mail.to("sam@police.example"))
    assert subjects[0].startswith("Overdue") and subjects[1].startswith("Verify")
    # The mail server has the mail a moment before the worker records the server's answer.
    wait_for(lambda: notice(rt, notice_id).state == "sent", "the first notice to be recorded as sent",
             describe=processes.logs)
