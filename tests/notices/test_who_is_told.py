"""Who is told of what, and when: submission, duty, escalation and its cancellation, rejection,
publication and a failed channel, proved on a real SMTP server and a real team webhook."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from tests.conftest import make_account, make_user
from tests.console.conftest import sign_in
from tests.notices.conftest import CONSOLE, notices, recipients, send_waiting
from workflow.accounts.models import User
from workflow.audit.models import AuditEvent
from workflow.core.database import utcnow
from workflow.core.errors import PermissionDeniedError
from workflow.delivery import send as delivery_send
from workflow.delivery.models import Delivery
from workflow.messages import corrections, drafts, legal, review
from workflow.messages.checks import checks_for
from workflow.messages.incidents import open_incident
from workflow.notices import duty, events
from workflow.notices.models import VerificationWatch
from workflow.notices.sweeper import escalate_due

BODY = "Road closed on the A1 northbound after a collision near Junction 4. Please avoid the area."


def team(session):
    """An officer, two supervisors and an admin, each with an e-mail address."""
    people = {}
    for name, role in (("olivia", "officer"), ("sam", "supervisor"), ("sunita", "supervisor"), ("ada", "admin"),
                       ("oscar", "officer")):
        person = make_user(session, name, role)
        person.email = f"{name}@police.example"
        people[name] = person
    session.commit()
    return people


def submit(session, author, account, body: str = BODY, **fields):
    message = drafts.create_draft(session, author, {"body": body, "accounts": [account.id], **fields})
    return review.submit(session, author, message.id)


def test_a_submission_tells_the_supervisors_who_may_verify_it_by_mail_webhook_and_console(runtime, session, mail,
                                                                                        hook):
    people = team(session)
    website = make_account(session, "website", "Force website")
    incident = open_incident(session, people["olivia"], "Collision on the A1")
    message = submit(session, people["olivia"], website, incident=incident.id)

    # Written with the submission, before any worker ran: live notices are ready at once.
    assert recipients(runtime, "submitted", "live") == {"sam", "sunita", "ada"}
    assert recipients(runtime, "submitted", "email") == {"sam", "sunita", "ada"}
    assert send_waiting(runtime) == ["sent"] * 4  # three e-mails and the team webhook

    assert {m["To"] for m in mail.messages} == {"sam@police.example", "sunita@police.example", "ada@police.example"}
    assert mail.to("olivia@police.example") == [] and mail.to("oscar@police.example") == []
    sent = mail.to("sam@police.example")[0]
    assert f"message {message.id}" in sent["Subject"] and "Collision on the A1" in sent["Subject"] + sent.get_content()
    assert "Road closed on the A1 northbound" in sent.get_content()
    assert f"{CONSOLE}/messages/{message.id}" in sent.get_content()
    notice_id = int(sent["X-Crier-Notice"])
    assert sent["Message-ID"] == f"<crier-notice-{notice_id}@police.example>"
    assert sent["From"] == "crier@police.example"

    [post] = hook.accepted()
    assert f"message {message.id}" in post["body"]["text"] and f"{CONSOLE}/messages/{message.id}" in post["body"]["text"]
    assert post["content_type"] == "application/json" and set(post["body"]) == {"text"}
    audited = session.execute(select(AuditEvent.action).where(AuditEvent.action == "notice.sent")).scalars().all()
    assert len(audited) == 4


def test_whoever_edited_the_message_is_not_asked_to_verify_it(runtime, session, mail, hook):
    people = team(session)
    website = make_account(session, "website", "Force website")
    message = drafts.create_draft(session, people["olivia"], {"body": BODY, "accounts": [website.id]})
    drafts.edit_message(session, people["sam"], message.id, {"body": BODY + " Diversions are signed."})
    review.submit(session, people["olivia"], message.id)
    assert recipients(runtime, "submitted", "email") == {"sunita", "ada"}


def test_supervisors_on_duty_are_told_first_and_everyone_when_it_is_overdue(runtime, session, app, mail, hook, api):
    people = team(session)
    website = make_account(session, "website", "Force website")
    duty.set_duty(session, people["sunita"], True)
    message = submit(session, people["olivia"], website)
    assert recipients(runtime, "submitted", "email") == {"sunita"}
    assert recipients(runtime, "submitted", "live") == {"sunita"}
    send_waiting(runtime)
    assert [m["To"] for m in mail.messages] == ["sunita@police.example"]

    # Not yet due: nothing happens, and the message is not overdue.
    assert escalate_due(runtime, now=utcnow() + dt.timedelta(seconds=590)) == 0
    assert api(people["sam"]).get(f"/messages/{message.id}").get_json()["overdue"] is False

    assert escalate_due(runtime, now=utcnow() + dt.timedelta(seconds=601)) == 1
    assert recipients(runtime, "escalated", "email") == {"sam", "sunita", "ada"}
    send_waiting(runtime)
    overdue_mail = mail.to("sam@police.example")
    assert len(overdue_mail) == 1 and "Overdue" in overdue_mail[0]["Subject"]
    assert f"{CONSOLE}/messages/{message.id}" in overdue_mail[0].get_content()
    assert len(mail.to("sunita@police.example")) == 2  # the first notice and the escalation
    # A second pass escalates nothing more.
    assert escalate_due(runtime, now=utcnow() + dt.timedelta(seconds=1200)) == 0
    assert len(notices(runtime, event="escalated", channel="email")) == 3


def test_an_overdue_message_is_marked_in_the_api_and_the_console(runtime, session, app, mail, hook, api):
    people = team(session)
    website = make_account(session, "website", "Force website")
    message = submit(session, people["olivia"], website)
    escalate_due(runtime, now=utcnow() + dt.timedelta(seconds=601))
    # The escalation ran "in the future": bring its due time to the present, as the clock would.
    session.execute(update(VerificationWatch).values(due_at=utcnow() - dt.timedelta(seconds=1)))
    session.commit()
    reader = api(people["oscar"])
    assert reader.get(f"/messages/{message.id}").get_json()["overdue"] is True
    listed = {m["id"]: m["overdue"] for m in reader.get("/messages?status=awaiting_verification").get_json()["messages"]}
    assert listed == {message.id: True}
    home = sign_in(app, people["sam"]).get("/").get_data(as_text=True)
    assert f'data-overdue="{message.id}"' in home and "1 overdue" in home


def test_an_approval_before_the_escalation_time_cancels_it(runtime, session, mail, hook, api):
    people = team(session)
    website = make_account(session, "website", "Force website")
    message = submit(session, people["olivia"], website)
    review.approve(session, people["sam"], message.id, message.current_version)
    assert escalate_due(runtime, now=utcnow() + dt.timedelta(seconds=601)) == 0
    assert notices(runtime, event="escalated") == []
    assert api(people["sam"]).get(f"/messages/{message.id}").get_json()["overdue"] is False


def test_a_rejection_tells_the_author_with_the_reason_and_cancels_the_escalation(runtime, session, mail, hook):
    people = team(session)
    website = make_account(session, "website", "Force website")
    message = submit(session, people["olivia"], website)
    send_waiting(runtime)
    mail.messages.clear()
    review.reject(session, people["sam"], message.id, "Do not name the junction until the police say so.")
    assert recipients(runtime, "rejected", "email") == {"olivia"}
    send_waiting(runtime)
    [sent] = mail.messages
    assert sent["To"] == "olivia@police.example" and "Rejected" in sent["Subject"]
    assert "Do not name the junction until the police say so." in sent.get_content()
    assert f"{CONSOLE}/messages/{message.id}" in sent.get_content()
    assert escalate_due(runtime, now=utcnow() + dt.timedelta(seconds=601)) == 0

    # Sent again and escalated: a new submission has a clock of its own.
    review.submit(session, people["olivia"], message.id)
    assert escalate_due(runtime, now=utcnow() + dt.timedelta(seconds=601)) == 1


def test_a_failed_channel_and_a_publication_are_told_to_the_author_and_the_supervisors_on_duty(
        runtime, session, mail, hook, x_simulator):
    people = team(session)
    duty.set_duty(session, people["sunita"], True)
    creds = x_simulator.add_account("forcex")
    creds["access_token_secret"] = "not-the-secret"  # X refuses the sign-in: a permanent failure
    x = make_account(session, "x", "Force X", credentials=creds)
    website = make_account(session, "website", "Force website")
    message = drafts.create_draft(session, people["olivia"], {"body": BODY, "accounts": [x.id, website.id]})
    review.submit(session, people["olivia"], message.id)
    review.approve(session, people["sam"], message.id, 1)
    send_waiting(runtime)
    mail.messages.clear()
    ids = session.execute(select(Delivery.id).where(Delivery.message_id == message.id)).scalars().all()
    session.commit()  # no transaction of the test's stays open while the engine works (SQLite)
    for d in ids:
        delivery_send.deliver(runtime, d, owner="test-worker/deliver")

    assert recipients(runtime, "failed", "email") == {"olivia", "sunita"}
    assert recipients(runtime, "published", "email") == {"olivia"}  # partly: the website carries it
    send_waiting(runtime)
    failed = [m for m in mail.to("olivia@police.example") if m["Subject"].startswith("Failed")]
    assert len(failed) == 1 and "Force X" in failed[0]["Subject"]
    assert "Reconnect" in failed[0].get_content() and f"{CONSOLE}/messages/{message.id}/status" in failed[0].get_content()
    assert [m["Subject"] for m in mail.to("sunita@police.example")] == [failed[0]["Subject"]]
    partly = [m for m in mail.to("olivia@police.example") if "published" in m["Subject"].lower()]
    assert len(partly) == 1 and partly[0]["Subject"].startswith("Partly published")


def test_raising_one_event_twice_tells_nobody_twice(runtime, session, mail, hook):
    people = team(session)
    website = make_account(session, "website", "Force website")
    message = submit(session, people["olivia"], website)
    review.reject(session, people["sam"], message.id, "Too early.")
    decision = message.decisions[-1]
    again = events.message_rejected(session, message, decision.id, people["sam"], "Too early.")
    session.commit()
    assert again == []
    assert len(notices(runtime, event="rejected", channel="email")) == 1
    send_waiting(runtime)
    send_waiting(runtime)
    assert len(mail.to("olivia@police.example")) == 1


def test_people_choose_their_channels(runtime, session, mail, hook):
    people = team(session)
    website = make_account(session, "website", "Force website")
    duty.set_channels(session, people["sam"], email=False)
    duty.set_channels(session, people["ada"], live=False)
    people["sunita"].email = None
    session.commit()
    submit(session, people["olivia"], website)
    assert recipients(runtime, "submitted", "email") == {"ada"}
    assert recipients(runtime, "submitted", "live") == {"sam", "sunita"}


def test_an_inactive_supervisor_is_not_told(runtime, session, mail, hook):
    people = team(session)
    people["sunita"].active = False
    session.commit()
    submit(session, people["olivia"], make_account(session, "website", "Force website"))
    assert recipients(runtime, "submitted", "email") == {"sam", "ada"}


def test_officers_are_never_on_duty(session):
    people = team(session)
    with pytest.raises(PermissionDeniedError):
        duty.set_duty(session, people["olivia"], True)
    assert duty.settings_for(session, people["olivia"].id).on_duty is False


def test_the_users_table_is_left_alone(session):
    # Notice settings live in their own table: a user never touched has the defaults.
    people = team(session)
    chosen = duty.settings_for(session, people["sam"].id)
    assert (chosen.email, chosen.live, chosen.on_duty) == (True, True, False)
    assert session.get(User, people["sam"].id).email == "sam@police.example"


def test_an_edit_after_approval_and_a_correction_go_back_to_the_supervisors(runtime, session, mail, hook):
    people = team(session)
    website = make_account(session, "website", "Force website")
    scheduled = submit(session, people["olivia"], website, publish_at=(utcnow() + dt.timedelta(days=1)).isoformat())
    review.approve(session, people["sam"], scheduled.id, 1)
    drafts.edit_message(session, people["olivia"], scheduled.id, {"body": BODY + " Updated."})
    edits = notices(runtime, event="submitted", channel="email", message_id=scheduled.id)
    assert len(edits) == 6  # three on submission, three again for the edited version
    assert all("an edit of" in n.subject for n in edits[3:])
    # An edit while it still waits is the same submission: nobody is told again.
    drafts.edit_message(session, people["olivia"], scheduled.id, {"body": BODY + " Updated again."})
    assert len(notices(runtime, event="submitted", channel="email", message_id=scheduled.id)) == 6

    live = submit(session, people["olivia"], website)
    review.approve(session, people["sam"], live.id, 1)
    ids = session.execute(select(Delivery.id).where(Delivery.message_id == live.id)).scalars().all()
    session.commit()
    for d in ids:
        delivery_send.deliver(runtime, d, owner="test-worker/deliver")
    corrections.correct(session, people["olivia"], live.id, BODY + " The road has reopened.", "Road reopened")
    corrected = [n for n in notices(runtime, event="submitted", channel="email", message_id=live.id)
                 if "a correction of" in n.subject]
    assert {n.address for n in corrected} == {"sam@police.example", "sunita@police.example", "ada@police.example"}


def test_a_channel_of_unknown_outcome_is_told_once_to_the_author_and_the_supervisors_on_duty(
        runtime, session, mail, hook, x_simulator):
    people = team(session)
    duty.set_duty(session, people["sam"], True)
    x = make_account(session, "x", "Force X", credentials=x_simulator.add_account("forcex"))
    message = submit(session, people["olivia"], x)
    review.approve(session, people["sunita"], message.id, 1)
    x_simulator.fault("accept_then_hang", count=1, seconds=4)  # X posts it, then never answers
    [delivery_id] = session.execute(select(Delivery.id).where(Delivery.message_id == message.id)).scalars().all()
    session.commit()
    delivery_send.deliver(runtime, delivery_id, owner="test-worker/deliver")
    assert session.get(Delivery, delivery_id).state == "unknown"
    session.commit()
    assert recipients(runtime, "unknown", "email") == {"olivia", "sam"}
    send_waiting(runtime)
    told = [m for m in mail.to("olivia@police.example") if m["Subject"].startswith("Outcome unknown")]
    assert len(told) == 1 and "Force X" in told[0]["Subject"]
    # The next attempt reconciles (finds the post on X): published, and nobody is told "unknown" again.
    with runtime.session() as s:
        s.execute(update(Delivery).where(Delivery.id == delivery_id).values(next_attempt_at=utcnow()))
        s.commit()
    delivery_send.deliver(runtime, delivery_id, owner="test-worker/deliver")
    assert len(notices(runtime, event="unknown", channel="email")) == 2
    assert recipients(runtime, "published", "email") == {"olivia"}


def test_an_approval_voided_by_a_change_of_legal_context_goes_back_to_the_supervisors(runtime, session, mail, hook):
    people = team(session)
    website = make_account(session, "website", "Force website")
    incident = open_incident(session, people["olivia"], "Burglary in Tottington")
    legal.set_incident_context(session, people["olivia"], incident.id, {"arrest_made": True})
    message = submit(session, people["olivia"], website, incident=incident.id,
                     body="Officers investigating a burglary in Tottington have arrested John Smith, 34, on "
                          "suspicion of burglary. He remains in custody.")
    findings = review.findings_to_acknowledge(checks_for(session, message, message.latest))
    review.approve(session, people["sam"], message.id, 1, acknowledged=[f["id"] for f in findings],
                   note="Named on the SIO's authority.",
                   authority={"officer": "Supt Jane Rowe", "reason": "Wanted for further offences."})
    assert len(notices(runtime, event="submitted", channel="email", message_id=message.id)) == 3

    # Charged: the name is now expected, the findings change, the approval is voided and verification asked again.
    legal.set_incident_context(session, people["olivia"], incident.id, {"charged": True})
    again = notices(runtime, event="submitted", channel="email", message_id=message.id)
    assert len(again) == 6
    assert {n.address for n in again[3:]} == {"sam@police.example", "sunita@police.example", "ada@police.example"}
    assert all("legal context" in n.subject for n in again[3:])
