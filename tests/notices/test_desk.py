"""Notices at the desk: the API for one's channels and duty, the console's settings page, live
feed and outbox (which keeps the mails when no mail server is set), `crier user duty`, the
Prometheus figures, and the settings that refuse a bad mail server address."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from tests.conftest import make_account, make_user
from tests.console.conftest import sign_in
from tests.notices.conftest import notices, send_waiting
from web.cli import cli
from workflow.core.config import Settings, SettingsError
from workflow.messages import drafts, review
from workflow.notices import duty
from workflow.notices.events import escalate_after

BODY = "Missing person: have you seen Alan? He was last seen near the bus station."


@pytest.fixture
def people(session):
    out = {"olivia": make_user(session, "olivia", "officer"), "sam": make_user(session, "sam", "supervisor"),
           "ada": make_user(session, "ada", "admin")}
    for name, person in out.items():
        person.email = f"{name}@police.example"
    session.commit()
    return out


def submit(session, author):
    website = make_account(session, "website", f"Website {author.username}")
    message = drafts.create_draft(session, author, {"body": BODY, "accounts": [website.id]})
    return review.submit(session, author, message.id)


def chosen(runtime, user_id: int):
    """Someone's notice settings, read in a session of its own (no transaction left open)."""
    with runtime.session() as s:
        row = duty.settings_for(s, user_id)
        s.expunge_all()
        return row


def put(client, path, body):
    return client._call("PUT", path, json=body)


def test_supervisors_go_on_and_off_duty_through_the_api(api, people, runtime):
    sam = api(people["sam"])
    assert sam.get("/me/duty").get_json() == {"username": "sam", "on_duty": False}
    answer = put(sam, "/me/duty", {"on_duty": True})
    assert answer.status_code == 200 and answer.get_json() == {"username": "sam", "on_duty": True}
    assert chosen(runtime, people["sam"].id).on_duty is True
    assert sam.get("/me/notifications").get_json()["on_duty"] is True
    assert put(sam, "/me/duty", {"on_duty": False}).get_json()["on_duty"] is False


def test_duty_refuses_officers_and_bad_bodies(api, people):
    assert put(api(people["olivia"]), "/me/duty", {"on_duty": True}).status_code == 403
    sam = api(people["sam"])
    assert put(sam, "/me/duty", {"on_duty": "yes"}).status_code == 422
    refused = put(sam, "/me/duty", {"on_duty": True, "until": "tomorrow"})
    assert refused.status_code == 422 and refused.get_json()["error"]["field"] == "until"
    assert put(sam, "/me/duty", {}).status_code == 422
    assert api(None).get("/me/duty").status_code == 401


def test_everyone_chooses_their_channels_through_the_api(api, people, runtime, session):
    olivia = api(people["olivia"])
    shown = olivia.get("/me/notifications").get_json()
    assert shown == {"username": "olivia", "email": True, "live": True, "email_address": "olivia@police.example",
                     "on_duty": False, "may_be_on_duty": False}
    changed = olivia.patch("/me/notifications", {"email": False}).get_json()
    assert changed["email"] is False and changed["live"] is True
    assert olivia.patch("/me/notifications", {"sms": True}).status_code == 422
    assert olivia.patch("/me/notifications", {"live": 1}).status_code == 422
    # Ada turns e-mail off: a submission reaches her console only.
    api(people["ada"]).patch("/me/notifications", {"email": False})
    submit(session, people["olivia"])
    assert {(n.user_id, n.channel) for n in notices(runtime, event="submitted") if n.user_id} == {
        (people["sam"].id, "live"), (people["sam"].id, "email"), (people["ada"].id, "live")}


def test_the_outbox_lists_every_notice_for_supervisors_only(app, api, people, runtime, session, mail, hook):
    submit(session, people["olivia"])
    send_waiting(runtime)
    listed = api(people["sam"]).get("/notices?channel=email").get_json()["notices"]
    assert {(n["recipient"], n["state"], n["attempts"]) for n in listed} == {("sam", "sent", 1), ("ada", "sent", 1)}
    assert api(people["sam"]).get("/notices?channel=webhook").get_json()["notices"][0]["recipient"] is None
    assert api(people["olivia"]).get("/notices").status_code == 403
    assert api(people["sam"]).get("/notices?state=lost").status_code == 422
    page = sign_in(app, people["sam"]).get("/outbox?channel=email")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "To: sam@police.example" in text and 'data-state="sent"' in text
    assert sign_in(app, people["olivia"]).get("/outbox").status_code == 403


def test_the_live_feed_gives_each_person_their_own_new_notices(app, people, runtime, session):
    sam = sign_in(app, people["sam"])
    home = sam.get("/").get_data(as_text=True)
    assert 'id="live-notices"' in home and 'aria-live="polite"' in home and 'data-after="0"' in home
    message = submit(session, people["olivia"])
    feed = sam.get("/notices/live.json?after=0").get_json()
    [notice] = feed["notices"]
    assert notice["event"] == "submitted" and notice["message"] == message.id
    assert notice["link"].endswith(f"/messages/{message.id}") and BODY[:40] in notice["body"]
    assert sam.get(f"/notices/live.json?after={feed['after']}").get_json()["notices"] == []
    # The author is not asked to verify her own message.
    assert sign_in(app, people["olivia"]).get("/notices/live.json?after=0").get_json()["notices"] == []
    # A page opened now starts after the notices already there.
    assert f'data-after="{feed["after"]}"' in sam.get("/").get_data(as_text=True)
    assert sam.get("/notices/live.json?after=not-a-number").status_code == 200


def test_the_console_settings_page_sets_channels_and_duty(app, people, runtime):
    sam = sign_in(app, people["sam"])
    page = sam.get("/settings/notices").get_data(as_text=True)
    assert "You are <strong>off duty</strong>" in page and "E-mails go to sam@police.example" in page
    assert sam.post("/settings/duty", {"on_duty": "yes"}).status_code == 302
    assert "You are <strong>on duty</strong>" in sam.get("/settings/notices").get_data(as_text=True)
    assert sam.post("/settings/notices", {"live": "on"}).status_code == 302  # e-mail unticked
    mine = chosen(runtime, people["sam"].id)
    assert (mine.on_duty, mine.email, mine.live) == (True, False, True)
    olivia = sign_in(app, people["olivia"])
    assert "Duty" not in olivia.get("/settings/notices").get_data(as_text=True)
    assert olivia.post("/settings/duty", {"on_duty": "yes"}).status_code == 403


def test_crier_user_duty_puts_a_supervisor_on_and_off_duty(app, database_url, people, runtime, tmp_path):
    env = {"CRIER_DATABASE_URL": database_url, "CRIER_SECRET_KEY": "crier-tests", "CRIER_BROKER_URL": "memory://",
           "CRIER_INSTANCE_PATH": str(tmp_path / "instance")}
    result = CliRunner().invoke(cli, ["user", "duty", "sam", "on"], env=env, catch_exceptions=False)
    assert result.exit_code == 0 and "sam is on duty" in result.output
    assert chosen(runtime, people["sam"].id).on_duty is True
    refused = CliRunner().invoke(cli, ["user", "duty", "olivia", "on"], env=env, catch_exceptions=False)
    assert refused.exit_code != 0 and "only supervisors" in refused.output
    assert CliRunner().invoke(cli, ["user", "duty", "nobody", "on"], env=env).exit_code != 0
    CliRunner().invoke(cli, ["user", "duty", "sam", "off"], env=env, catch_exceptions=False)
    assert chosen(runtime, people["sam"].id).on_duty is False


def test_metrics_count_notices_sent_and_failed_by_channel(app, people, runtime, session, mail, hook):
    mail.refuse = ["550 no such mailbox"]
    submit(session, people["olivia"])
    send_waiting(runtime)
    text = app.test_client().get("/metrics").get_data(as_text=True)
    assert 'crier_notices_sent_total{channel="webhook"} 1.0' in text
    assert 'crier_notices_sent_total{channel="email"} 1.0' in text
    assert 'crier_notices_sent_total{channel="live"} 2.0' in text
    assert 'crier_notices_failed_total{channel="email",state="failed"} 1.0' in text


@pytest.mark.parametrize("name, value, says", [
    ("SMTP_URL", "http://mail.example", "CRIER_SMTP_URL"),
    ("SMTP_URL", "smtps://crier:hunter2@:465", "CRIER_SMTP_URL"),
    ("NOTIFY_WEBHOOK_URL", "ftp://hooks.example/x", "CRIER_NOTIFY_WEBHOOK_URL"),
    ("CONSOLE_URL", "crier.example", "CRIER_CONSOLE_URL"),
    ("MAIL_FROM", "not an address", "CRIER_MAIL_FROM"),
    ("VERIFY_ESCALATE_AFTER", "0", "CRIER_VERIFY_ESCALATE_AFTER"),
    ("VERIFY_ESCALATE_AFTER_INCIDENT", "-5", "CRIER_VERIFY_ESCALATE_AFTER_INCIDENT"),
])
def test_bad_notice_settings_are_refused_by_name_without_echoing_secrets(name, value, says):
    with pytest.raises(SettingsError) as refused:
        Settings.from_mapping({"DATABASE_URL": "sqlite://", "BROKER_URL": "memory://", "SECRET_KEY": "k",
                               name: value})
    assert says in str(refused.value) and "hunter2" not in str(refused.value)


def test_incident_messages_may_be_escalated_sooner():
    base = {"DATABASE_URL": "sqlite://", "BROKER_URL": "memory://", "SECRET_KEY": "k"}
    same = Settings.from_mapping(base)
    assert (escalate_after(same, "incident"), escalate_after(same, "routine")) == (600, 600)
    sooner = Settings.from_mapping({**base, "VERIFY_ESCALATE_AFTER": "900", "VERIFY_ESCALATE_AFTER_INCIDENT": "120"})
    assert (escalate_after(sooner, "incident"), escalate_after(sooner, "routine")) == (120, 900)
