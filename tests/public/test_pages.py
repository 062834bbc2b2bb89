"""The public news pages over SQLite and PostgreSQL: lists, one update, corrections,
incident timelines and withdrawals."""
from __future__ import annotations

import lxml.html
import pytest
from sqlalchemy import select

from tests.public.support import at, correct, mark_sent, publish, withdraw
from workflow.delivery.models import Delivery
from workflow.messages import drafts, review
from workflow.messages.models import Message


def page(response) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(response.get_data(as_text=True))


def texts(doc, xpath: str) -> list[str]:
    return [" ".join(e.text_content().split()) for e in doc.xpath(xpath)]


@pytest.fixture
def live(session, officer, supervisor, site_accounts):
    """Two live updates of one incident and one routine update."""
    ids = [site_accounts["website"].id, site_accounts["x"].id]
    first = publish(session, officer, supervisor, ids, at("2026-03-01T09:00:00"),
                    "Officers are at the scene of a collision on the A1.", incident={"title": "A1 collision"})
    incident = first.incident.slug
    second = publish(session, officer, supervisor, ids, at("2026-03-01T10:30:00"),
                     "The A1 northbound is closed between junctions 4 and 5.", incident=incident)
    routine = publish(session, officer, supervisor, ids, at("2026-03-01T11:00:00"),
                      "Join us at the open day at Central police station.")
    return {"first": first, "second": second, "routine": routine, "incident": incident}


def test_news_lists_live_updates_latest_first(client, live):
    response = client.get("/news")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    doc = page(response)
    assert doc.get("lang") == "en-GB"
    items = texts(doc, "//main//article")
    assert len(items) == 3
    assert "open day" in items[0] and "northbound is closed" in items[1] and "scene of a collision" in items[2]
    links = doc.xpath("//main//article//h2/a/@href")
    assert links[0] == f"/news/{live['routine'].slug}"
    assert doc.xpath("//header") and doc.xpath("//main[@id='main']") and doc.xpath("//footer")
    assert len(doc.xpath("//h1")) == 1


def test_a_message_is_public_only_once_its_website_delivery_is_sent(client, session, officer, supervisor,
                                                                    site_accounts):
    ids = [site_accounts["website"].id, site_accounts["x"].id]
    message = drafts.create_draft(session, officer, {"body": "Missing man found safe.", "accounts": ids})
    review.submit(session, officer, message.id)
    review.approve(session, supervisor, message.id, 1, now=at("2026-03-02T08:00:00"))
    # X has gone out; the website delivery is still pending.
    x_delivery = session.execute(select(Delivery).where(
        Delivery.message_id == message.id, Delivery.account_id == site_accounts["x"].id)).scalar_one()
    x_delivery.state, x_delivery.sent_at = "sent", at("2026-03-02T08:00:01")
    session.commit()
    assert client.get(f"/news/{message.slug}").status_code == 404
    assert "Missing man" not in client.get("/news").get_data(as_text=True)

    mark_sent(session, message.id, at("2026-03-02T08:00:05"))
    response = client.get(f"/news/{message.slug}")
    assert response.status_code == 200
    assert "Missing man found safe." in page(response).text_content()
    assert "Missing man" in client.get("/news").get_data(as_text=True)


def test_one_update_page(client, live):
    response = client.get(f"/news/{live['second'].slug}")
    assert response.status_code == 200
    doc = page(response)
    assert texts(doc, "//h1") == ["A1 collision"]
    assert "The A1 northbound is closed between junctions 4 and 5." in texts(doc, "//main//p")
    assert doc.xpath(f"//a[@href='/incidents/{live['incident']}']")
    assert not doc.xpath("//*[contains(@class, 'correction')]")
    # Published 10:30 UTC on 1 March: 10:30 in London (GMT).
    assert doc.xpath("//time[@datetime='2026-03-01T10:30:00+00:00']")
    assert "1 March 2026, 10:30" in doc.text_content()


def test_a_correction_shows_the_new_text_and_the_change_note(client, session, officer, supervisor, live):
    message = live["second"]
    correct(session, officer, supervisor, message, at("2026-07-01T12:15:00"),
            "The A1 northbound is closed between junctions 5 and 6.", "We gave the wrong junctions.")
    response = client.get(f"/news/{message.slug}")
    assert response.status_code == 200
    doc = page(response)
    body = doc.text_content()
    assert "junctions 5 and 6" in body
    assert "junctions 4 and 5" not in body  # the corrected text is never shown again
    note = texts(doc, "//*[contains(@class, 'correction')]")
    assert len(note) == 1
    assert "We gave the wrong junctions." in note[0]
    # 12:15 UTC on 1 July is 13:15 in London (BST).
    assert "1 July 2026, 13:15" in note[0]
    assert doc.xpath("//*[contains(@class, 'correction')]//time[@datetime='2026-07-01T12:15:00+00:00']")
    assert texts(doc, "//section[contains(@class, 'changes')]//li") == [
        "1 July 2026, 13:15: We gave the wrong junctions."]

    listing = client.get("/news").get_data(as_text=True)
    assert "junctions 5 and 6" in listing and "junctions 4 and 5" not in listing
    assert "We gave the wrong junctions." in listing


def test_a_second_correction_keeps_both_notes(client, session, officer, supervisor, live):
    message = live["first"]
    correct(session, officer, supervisor, message, at("2026-03-01T09:20:00"),
            "Officers are at the scene of a collision on the A1 near Hatfield.", "Added the place.")
    correct(session, officer, supervisor, message, at("2026-03-01T09:40:00"),
            "Officers are at the scene of a collision on the A1(M) near Hatfield.", "It is the A1(M).")
    doc = page(client.get(f"/news/{message.slug}"))
    assert "A1(M) near Hatfield" in doc.text_content()
    assert texts(doc, "//*[contains(@class, 'correction')]")[0].endswith("It is the A1(M).")
    assert texts(doc, "//section[contains(@class, 'changes')]//li") == [
        "1 March 2026, 09:20: Added the place.", "1 March 2026, 09:40: It is the A1(M)."]


def test_a_correction_waiting_for_verification_changes_nothing(client, session, officer, live):
    from workflow.messages import corrections

    message = live["routine"]
    corrections.correct(session, officer, message.id, "The open day is cancelled.", "Cancelled.")
    text = page(client.get(f"/news/{message.slug}")).text_content()
    assert "Join us at the open day" in text and "cancelled" not in text


def test_incident_timeline_in_order(client, session, officer, supervisor, live):
    response = client.get(f"/incidents/{live['incident']}")
    assert response.status_code == 200
    doc = page(response)
    assert texts(doc, "//h1") == ["A1 collision"]
    items = texts(doc, "//main//ol/li")
    assert len(items) == 2
    assert "scene of a collision" in items[0] and "northbound is closed" in items[1]
    assert "open day" not in doc.text_content()


def test_withdrawn_update_is_gone_and_leaves_the_lists(client, session, officer, supervisor, live):
    message = live["second"]
    withdraw(session, officer, message, at("2026-03-01T12:00:00"), deliver=False)
    response = client.get(f"/news/{message.slug}")
    assert response.status_code == 410
    body = response.get_data(as_text=True)
    assert "withdrawn" in body.lower()
    assert "northbound" not in body
    assert "northbound" not in client.get("/news").get_data(as_text=True)
    timeline = client.get(f"/incidents/{live['incident']}")
    assert timeline.status_code == 200
    assert "northbound" not in timeline.get_data(as_text=True)
    assert "scene of a collision" in timeline.get_data(as_text=True)


def test_a_sent_website_withdrawal_alone_takes_the_page_down(client, session, live):
    message = live["routine"]
    publish_row = session.execute(select(Delivery).join(Delivery.account).where(
        Delivery.message_id == message.id, Delivery.purpose == "publish")
        .where(Delivery.account.has(kind="website"))).scalar_one()
    session.add(Delivery(message_id=message.id, version_id=publish_row.version_id,
                         account_id=publish_row.account_id, purpose="withdraw", parent_id=publish_row.id,
                         state="sent", due_at=publish_row.due_at, sent_at=at("2026-03-01T13:00:00")))
    session.commit()
    assert session.get(Message, message.id).status == "published"
    assert client.get(f"/news/{message.slug}").status_code == 410
    assert "open day" not in client.get("/news").get_data(as_text=True)


def test_incident_with_every_update_withdrawn_is_gone(client, session, officer, live):
    withdraw(session, officer, live["first"], at("2026-03-01T12:00:00"))
    withdraw(session, officer, live["second"], at("2026-03-01T12:01:00"))
    response = client.get(f"/incidents/{live['incident']}")
    assert response.status_code == 410
    body = response.get_data(as_text=True)
    assert "withdrawn" in body.lower()
    assert "scene of a collision" not in body and "northbound" not in body


def test_unknown_addresses_are_404(client, session, officer, live):
    assert client.get("/news/no-such-update").status_code == 404
    assert client.get("/incidents/no-such-incident").status_code == 404
    draft = drafts.create_draft(session, officer, {"body": "Not yet public.",
                                                     "accounts": [live["first"].versions[0].targets[0]]})
    assert client.get(f"/news/{draft.slug}").status_code == 404
    # A draft withdrawn before it ever went out was never public: 404, not 410.
    from workflow.messages import corrections

    corrections.withdraw(session, officer, draft.id, "Not needed")
    assert client.get(f"/news/{draft.slug}").status_code == 404
    assert client.get("/news?before=garbage").status_code == 400


def test_news_is_paged_with_a_stable_cursor(client, session, officer, supervisor, site_accounts, monkeypatch):
    import web.public

    PAGE_SIZE = 4
    monkeypatch.setattr(web.public, "PAGE_SIZE", PAGE_SIZE)
    ids = [site_accounts["website"].id]
    total = PAGE_SIZE + 3
    for n in range(total):
        publish(session, officer, supervisor, ids, at(f"2026-04-01T08:{n:02d}:00"), f"Routine update number {n}.")
    first = page(client.get("/news"))
    shown = texts(first, "//main//article//h2")
    assert len(shown) == PAGE_SIZE
    assert shown[0] == f"Routine update number {total - 1}."
    older = first.xpath("//a[@rel='next']/@href")
    assert len(older) == 1
    second = page(client.get(older[0]))
    rest = texts(second, "//main//article//h2")
    assert rest == [f"Routine update number {n}." for n in range(2, -1, -1)]
    assert not second.xpath("//a[@rel='next']")
    assert second.xpath("//a[text()='Latest news']")
