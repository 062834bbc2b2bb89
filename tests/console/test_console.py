"""The console through Flask's test client, on SQLite and PostgreSQL."""
from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import select

from workflow.delivery.models import Delivery
from workflow.messages import drafts, review
from workflow.messages.models import Message
from workflow.scheduling.models import Pause

from .conftest import csrf_of

LONG = " ".join(f"Sentence number {i} about the road closure near the station." for i in range(12))


def status_of(session, message_id: int) -> str:
    """The message's status as stored now; the read ends at once, so that on
    SQLite the test's session never holds the write lock while the app works."""
    session.expire_all()
    try:
        return session.get(Message, message_id).status
    finally:
        session.rollback()


def _draft(session, user, accounts, body="Road closed at the junction of High St and Mill Lane."):
    return drafts.create_draft(session, user, {"body": body, "accounts": [a.id for a in accounts]})


def _submitted(session, user, accounts, body="Road closed at the junction of High St and Mill Lane."):
    message = _draft(session, user, accounts, body)
    return review.submit(session, user, message.id)


# Sign in ------------------------------------------------------------------------

def test_pages_need_sign_in(app):
    client = app.test_client()
    for path in ("/", "/compose", "/messages/1", "/messages/1/status.json"):
        response = client.get(path)
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]


def test_sign_in_without_csrf_is_refused(app, officer):
    client = app.test_client()
    response = client.post("/login", data={"username": officer.username, "password": "x" * 12})
    assert response.status_code == 400
    assert "Nothing was changed" in response.get_data(as_text=True)


def test_sign_in_refuses_an_outside_next(app, officer):
    from tests.conftest import TEST_PASSWORD

    client = app.test_client()
    token = csrf_of(client.get("/login").get_data(as_text=True))
    response = client.post("/login?next=https://evil.example/", data={
        "csrf_token": token, "username": officer.username, "password": TEST_PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_sign_out(console, officer):
    client = console(officer)
    assert client.post("/logout").status_code == 302
    assert client.get("/").status_code == 302


# Home ---------------------------------------------------------------------------

def test_home_lists_drafts_queue_and_attention(console, session, officer, supervisor, channel_accounts):
    web = channel_accounts["website"]
    _draft(session, officer, [web], "My draft about a lost dog")
    _submitted(session, officer, [web], "Waiting for a supervisor here")
    channel_accounts["x"].status = "reconnect"
    session.commit()
    page = console(officer).get("/").get_data(as_text=True)
    assert "My draft about a lost dog" in page
    assert "Waiting for verification" not in page  # officers have no queue
    assert "Force X" in page and "must be reconnected" in page
    page = console(supervisor).get("/").get_data(as_text=True)
    assert "Waiting for a supervisor here" in page
    assert "My draft about a lost dog" not in page  # not the supervisor's draft


def test_home_links_each_open_incident_to_its_public_timeline(console, session, officer, channel_accounts):
    draft = drafts.create_draft(session, officer, {
        "body": "The A1 is closed northbound.", "accounts": [channel_accounts["website"].id],
        "incident": {"title": "A1 collision", "area": "North"}})
    page = console(officer).get("/").get_data(as_text=True)
    assert f'href="/incidents/{draft.incident.slug}"' in page
    assert "A1 collision" in page


# Compose and autosave -------------------------------------------------------------

def test_compose_form_saves_and_submits(console, session, officer, channel_accounts):
    client = console(officer)
    page = client.get("/compose").get_data(as_text=True)
    assert "Force-wide" in page and "North" in page  # accounts grouped by area
    response = client.post("/compose", {"body": "Bridge open again.", "accounts": [
        str(channel_accounts["website"].id), str(channel_accounts["x"].id)], "action": "submit"})
    assert response.status_code == 302
    message = session.execute(select(Message)).scalar_one()
    assert message.status == "awaiting_verification"
    assert sorted(message.latest.targets) == sorted([channel_accounts["website"].id, channel_accounts["x"].id])


def test_compose_errors_are_tied_to_their_fields(console, officer, channel_accounts):
    response = console(officer).post("/compose", {"body": "No accounts chosen", "action": "save"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="accounts-error"' in page
    assert 'aria-describedby="accounts-error"' in page
    assert "No accounts chosen" in page  # the text is not lost


def test_compose_creates_an_incident_inline(console, session, officer, channel_accounts):
    response = console(officer).post("/compose", {
        "body": "Police are at the scene.", "accounts": [str(channel_accounts["website"].id)],
        "incident": "new", "incident_title": "Fire at the mill", "action": "save"})
    assert response.status_code == 302
    message = session.execute(select(Message)).scalar_one()
    assert message.kind == "incident" and message.incident.title == "Fire at the mill"


def test_autosave_creates_then_edits_and_skips_unchanged(console, session, officer, channel_accounts):
    client = console(officer)
    payload = {"body": "First words", "accounts": [channel_accounts["website"].id]}
    first = client.post_json("/compose/autosave.json", payload)
    assert first.status_code == 201, first.get_json()
    data = first.get_json()
    assert data["version"] == 1 and data["saved"] is True
    again = client.post_json("/compose/autosave.json", {**payload, "message_id": data["id"], "version": 1})
    assert again.status_code == 200 and again.get_json() == {**again.get_json(), "saved": False, "version": 1}
    edited = client.post_json("/compose/autosave.json", {**payload, "body": "First words, more",
                                                         "message_id": data["id"], "version": 1})
    assert edited.get_json()["version"] == 2
    session.expire_all()
    assert session.get(Message, data["id"]).latest.body == "First words, more"


def test_autosave_needs_the_csrf_header(console, officer, channel_accounts):
    response = console(officer).post_json("/compose/autosave.json", {
        "body": "x", "accounts": [channel_accounts["website"].id]}, csrf=False)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "csrf"


def test_autosave_refuses_a_bad_draft_with_its_field(console, officer, channel_accounts):
    response = console(officer).post_json("/compose/autosave.json", {"body": "words", "accounts": []})
    assert response.status_code == 422
    assert response.get_json()["error"]["field"] == "accounts"


def test_autosave_never_touches_a_message_awaiting_verification(console, session, officer, channel_accounts):
    message = _submitted(session, officer, [channel_accounts["website"]])
    response = console(officer).post_json("/compose/autosave.json", {
        "body": "changed while a supervisor reads it", "accounts": [channel_accounts["website"].id],
        "message_id": message.id, "version": 1})
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "not_autosaved"
    session.expire_all()
    assert session.get(Message, message.id).current_version == 1


def test_autosave_of_someone_elses_draft_is_forbidden(console, session, officer, officer2, channel_accounts):
    message = _draft(session, officer, [channel_accounts["website"]])
    response = console(officer2).post_json("/compose/autosave.json", {
        "body": "mine now", "accounts": [channel_accounts["website"].id], "message_id": message.id})
    assert response.status_code == 403


def test_preview_shows_the_x_thread_split(console, officer, channel_accounts):
    response = console(officer).post_json("/compose/preview.json", {
        "body": LONG, "accounts": [channel_accounts["x"].id, channel_accounts["website"].id]})
    assert response.status_code == 200
    data = response.get_json()
    x = next(a for a in data["accounts"] if a["kind"] == "x")
    assert len(x["posts"]) > 1
    assert all(count <= 280 for count in x["counts"])
    assert x["posts"][-1].rstrip().endswith("/news/new-update")  # the link closes the thread
    assert "thread of" in data["html"]
    assert LONG.split(".")[0] in data["html"] and "PostPreview(" not in data["html"]  # the website shows the text


# Verify ---------------------------------------------------------------------------

def test_author_is_not_offered_approval(console, session, officer, channel_accounts):
    message = _submitted(session, officer, [channel_accounts["website"]])
    page = console(officer).get(f"/messages/{message.id}").get_data(as_text=True)
    assert "Approve version" not in page
    assert "only a supervisor can verify messages" in page


def test_supervisor_who_edited_is_not_offered_approval(console, session, officer, supervisor,
                                                       channel_accounts):
    message = _submitted(session, officer, [channel_accounts["website"]])
    drafts.edit_message(session, supervisor, message.id, {"body": "Road closed at Mill Lane until 6pm."})
    page = console(supervisor).get(f"/messages/{message.id}").get_data(as_text=True)
    assert "Approve version" not in page
    assert "you wrote or edited this message" in page
    # ...and the diff shows what the editor changed, marked up for screen readers.
    assert "<del>" in page and "<ins>" in page and "[removed: " in page


def test_officer_cannot_approve_by_posting(console, session, officer, officer2, channel_accounts):
    message = _submitted(session, officer, [channel_accounts["website"]])
    response = console(officer2).post(f"/messages/{message.id}/approve", {
        "version": "1", "content_hash": message.latest.content_hash})
    # Refused as the API refuses it: 403, saying why.
    assert response.status_code == 403
    assert "only a supervisor can verify" in response.get_data(as_text=True)
    assert status_of(session, message.id) == "awaiting_verification"


def test_supervisor_approves_the_shown_version_and_hash(console, session, officer, supervisor,
                                                         channel_accounts):
    message = _submitted(session, officer, [channel_accounts["website"], channel_accounts["x"]])
    client = console(supervisor)
    page = client.get(f"/messages/{message.id}").get_data(as_text=True)
    assert f'name="content_hash" value="{message.latest.content_hash}"' in page
    response = client.post(f"/messages/{message.id}/approve", {
        "version": "1", "content_hash": message.latest.content_hash})
    assert response.status_code == 302 and response.headers["Location"].endswith("/status")
    assert status_of(session, message.id) == "approved"
    assert len(session.execute(select(Delivery)).scalars().all()) == 2


def test_approving_with_a_stale_hash_is_refused(console, session, officer, supervisor, channel_accounts):
    message = _submitted(session, officer, [channel_accounts["website"]])
    response = console(supervisor).post(f"/messages/{message.id}/approve", {
        "version": "1", "content_hash": "0" * 64}, follow_redirects=True)
    assert "Not approved" in response.get_data(as_text=True)
    assert status_of(session, message.id) == "awaiting_verification"


def test_approve_without_csrf_is_refused(app, console, session, officer, supervisor, channel_accounts):
    message = _submitted(session, officer, [channel_accounts["website"]])
    client = console(supervisor)
    response = client.client.post(f"/messages/{message.id}/approve", data={
        "version": "1", "content_hash": message.latest.content_hash})
    assert response.status_code == 400
    assert status_of(session, message.id) == "awaiting_verification"


def test_reject_needs_a_reason_tied_to_the_field(console, session, officer, supervisor, channel_accounts):
    message = _submitted(session, officer, [channel_accounts["website"]])
    client = console(supervisor)
    response = client.post(f"/messages/{message.id}/reject", {"reason": "", "version": "1"})
    assert response.status_code == 422
    assert 'aria-describedby="reason-hint reason-error"' in response.get_data(as_text=True)
    response = client.post(f"/messages/{message.id}/reject", {"reason": "Name the road", "version": "1"})
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Message, message.id).rejection_reason == "Name the road"


# Status ---------------------------------------------------------------------------

def test_status_json_reports_partial_publication(console, session, officer, supervisor, channel_accounts):
    message = _submitted(session, officer, [channel_accounts["website"], channel_accounts["facebook"]])
    review.approve(session, supervisor, message.id, 1)
    rows = {d.account_id: d for d in session.execute(select(Delivery)).scalars()}
    web, fb = rows[channel_accounts["website"].id], rows[channel_accounts["facebook"].id]
    web.state, web.url = "sent", "https://police.example/news/x"
    fb.state, fb.last_error = "failed", "The page token was refused"
    session.commit()
    client = console(officer)
    view = client.get(f"/messages/{message.id}/status.json").get_json()
    assert view["banner"]["title"] == "Partially published"
    states = {d["account"]: d for d in view["deliveries"]}
    assert states["Force website"]["url"] == "https://police.example/news/x"
    assert states["Force Facebook"]["error"] == "The page token was refused"
    assert states["Force Facebook"]["advice"]
    page = client.get(f"/messages/{message.id}/status").get_data(as_text=True)
    assert "Partially published" in page and "The page token was refused" in page


# Pause ----------------------------------------------------------------------------

def test_every_page_shows_an_active_pause(console, session, officer, supervisor, channel_accounts):
    session.add(Pause(reason="Major incident in the city centre", created_by_id=supervisor.id))
    session.commit()
    message = _draft(session, officer, [channel_accounts["website"]])
    client = console(officer)
    for path in ("/", "/compose", f"/messages/{message.id}", f"/messages/{message.id}/status",
                 f"/messages/{message.id}/audit"):
        page = client.get(path).get_data(as_text=True)
        assert "Routine posts are paused" in page, path
        assert "Major incident in the city centre" in page and supervisor.name in page
        assert "Lift this pause" not in page  # officers see it but cannot lift it


def test_only_supervisors_may_pause(console, officer):
    client = console(officer)
    assert client.get("/pause").status_code == 403
    assert client.post("/pause", {"reason": "no"}).status_code == 403


# Audit ----------------------------------------------------------------------------

def test_audit_csv_guards_against_formulas(console, session, officer, supervisor, channel_accounts):
    message = _submitted(session, officer, [channel_accounts["website"]], "=HYPERLINK(\"http://x\") road closed")
    review.approve(session, supervisor, message.id, 1)
    delivery = session.execute(select(Delivery)).scalar_one()
    delivery.state, delivery.last_error = "failed", "=1+2 the platform refused it"
    session.commit()
    message_id = message.id
    session.rollback()
    response = console(officer).get(f"/messages/{message_id}/audit.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][0] == "record"
    actions = [r[3] for r in rows[1:] if r[0] == "event"]
    assert actions == ["message.drafted", "message.submitted", "message.approved"]
    failed = [r for r in rows if r[0] == "delivery"]
    assert failed[0][7] == "failed" and failed[0][10] == "'=1+2 the platform refused it"
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@")), cell


@pytest.mark.parametrize("value,expected", [("=1+1", "'=1+1"), ("+4", "'+4"), ("-2", "'-2"),
                                            ("@x", "'@x"), ("plain", "plain"), (None, "")])
def test_csv_cell(value, expected):
    from web.console.audit import csv_cell

    assert csv_cell(value) == expected


# Pause, corrections, withdrawals and held posts through the console ------------------

def test_supervisor_pauses_and_lifts_routine_posts(console, session, officer, supervisor, channel_accounts):
    client, officer_client = console(supervisor), console(officer)
    session.rollback()  # SQLite: the test's session must not hold the write lock
    response = client.post("/pause", {"reason": ""})
    assert response.status_code == 422
    assert 'aria-describedby="reason-hint reason-error"' in response.get_data(as_text=True)
    response = client.post("/pause", {"reason": "Major incident in the city centre",
                                      "areas": ["North"]}, follow_redirects=True)
    assert response.status_code == 200
    page = officer_client.get("/").get_data(as_text=True)
    assert "Routine posts are paused" in page and "areas North" in page
    assert "Lift this pause" not in page
    page = client.get("/").get_data(as_text=True)
    assert "Lift this pause" in page
    pause_id = int(re.search(r'name="pause_id" value="(\d+)"', page).group(1))
    assert client.post("/pause/lift", {"pause_id": str(pause_id), "next": "/"}).status_code == 302
    assert "Routine posts are paused" not in officer_client.get("/").get_data(as_text=True)


def _published(session, officer, supervisor, accounts):
    message = _submitted(session, officer, accounts)
    review.approve(session, supervisor, message.id, 1)
    for d in session.execute(select(Delivery).where(Delivery.message_id == message.id)).scalars():
        d.state, d.url, d.remote_id = "sent", f"https://posts.example/{d.id}", str(d.id)
    session.get(Message, message.id).status = "published"
    session.commit()
    return message


def test_correct_a_live_message_from_its_status_page(console, session, officer, supervisor, channel_accounts):
    message = _published(session, officer, supervisor, [channel_accounts["website"]])
    client = console(officer)
    page = client.get(f"/messages/{message.id}/status").get_data(as_text=True)
    assert "Correct it" in page and "Withdraw it" in page
    response = client.post(f"/messages/{message.id}/correct", {"body": "Road closed at Mill Lane.",
                                                               "change_note": ""})
    assert response.status_code == 422
    assert 'aria-describedby="change_note-error"' in response.get_data(as_text=True)
    response = client.post(f"/messages/{message.id}/correct", {"body": "Road closed at Mill Lane.",
                                                               "change_note": "The junction was wrong"})
    assert response.status_code == 302
    session.expire_all()
    corrected = session.get(Message, message.id)
    assert corrected.status == "awaiting_verification" and corrected.latest.change_note == "The junction was wrong"


def test_withdraw_needs_a_reason_then_withdraws(console, session, officer, supervisor, channel_accounts):
    message_id = _published(session, officer, supervisor, [channel_accounts["website"]]).id
    client = console(officer)
    assert client.post(f"/messages/{message_id}/withdraw", {"reason": ""}).status_code == 422
    response = client.post(f"/messages/{message_id}/withdraw", {"reason": "Sent in error"})
    assert response.status_code == 302
    assert status_of(session, message_id) == "withdrawn"
    view = client.get(f"/messages/{message_id}/status.json").get_json()
    assert view["banner"]["title"] == "Withdrawn"


def test_a_late_approval_is_held_until_a_supervisor_decides(console, session, officer, supervisor,
                                                           supervisor2, channel_accounts):
    officer_client, client = console(officer), console(supervisor2)
    message = drafts.create_draft(session, officer, {
        "body": "Community drop-in today.", "accounts": [channel_accounts["website"].id],
        "publish_at": "2026-01-05T09:00:00+00:00"})
    review.submit(session, officer, message.id)
    review.approve(session, supervisor, message.id, 1)
    message_id = message.id
    assert status_of(session, message_id) == "held"
    assert "Held: decide when it goes out" not in officer_client.get(
        f"/messages/{message_id}/status").get_data(as_text=True)
    page = client.get(f"/messages/{message_id}/status").get_data(as_text=True)
    assert "Held: decide when it goes out" in page and "choose publish now or a new time" in page
    response = client.post(f"/messages/{message_id}/decide", {"choice": "now"})
    assert response.status_code == 302
    assert status_of(session, message_id) != "held"


def test_preview_refuses_a_text_longer_than_any_message(console, officer, channel_accounts):
    response = console(officer).post_json("/compose/preview.json", {
        "body": "word " * 2000, "accounts": [channel_accounts["x"].id]})
    assert response.status_code == 422
    assert response.get_json()["error"]["field"] == "body"
