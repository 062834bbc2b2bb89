"""The Atom news feed and the CAP 1.2 alert documents."""
from __future__ import annotations

import feedparser
import pytest
from lxml import etree

from tests.conftest import make_account
from tests.public.support import at, cap_schema, correct, publish, withdraw
from workflow.messages.incidents import open_incident

CAP = "{urn:oasis:names:tc:emergency:cap:1.2}"
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(scope="module")
def schema():
    return cap_schema()


@pytest.fixture
def live(session, officer, supervisor, site_accounts):
    ids = [site_accounts["website"].id, site_accounts["x"].id]
    first = publish(session, officer, supervisor, ids, at("2026-03-01T09:00:00"),
                    "Officers are at the scene of a collision on the A1.",
                    incident={"title": "A1 collision", "area": "Welwyn Hatfield"})
    second = publish(session, officer, supervisor, ids, at("2026-03-01T10:30:00"),
                     "The A1 northbound is closed between junctions 4 and 5.", incident=first.incident.slug)
    routine = publish(session, officer, supervisor, ids, at("2026-03-01T11:00:00"),
                      "Join us at the open day at Central police station.")
    return {"first": first, "second": second, "routine": routine}


def atom(client, path="/feeds/news.atom"):
    response = client.get(path)
    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"
    feed = feedparser.parse(response.get_data())
    assert not feed.bozo, feed.get("bozo_exception")
    return feed, etree.fromstring(response.get_data())


def cap(client, path, schema):
    response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/cap+xml"
    doc = etree.fromstring(response.get_data())
    schema.assertValid(doc)
    return doc


def test_atom_feed_is_valid_and_lists_live_updates(client, live):
    feed, root = atom(client)
    assert feed.version == "atom10"
    assert root.tag == f"{ATOM}feed"
    for name in ("id", "title", "updated"):
        assert root.find(f"{ATOM}{name}") is not None
    rels = {link.get("rel"): link.get("href") for link in root.findall(f"{ATOM}link")}
    assert rels == {"self": "https://police.example/feeds/news.atom", "alternate": "https://police.example/news"}
    assert [e.title for e in feed.entries] == [
        "Join us at the open day at Central police station.", "A1 collision", "A1 collision"]
    second = feed.entries[1]
    assert second.link == f"https://police.example/news/{live['second'].slug}"
    assert second.id.startswith("tag:police.example,")
    assert "junctions 4 and 5" in second.content[0].value
    assert second.content[0].type == "text/plain"
    assert feed.feed.updated == "2026-03-01T11:00:00Z"


def test_atom_entry_keeps_its_id_and_changes_updated_on_correction(client, session, officer, supervisor, live):
    before, _ = atom(client)
    entry = next(e for e in before.entries if e.link.endswith(live["second"].slug))
    assert entry.updated == "2026-03-01T10:30:00Z"
    correct(session, officer, supervisor, live["second"], at("2026-03-01T10:45:00"),
            "The A1 northbound is closed between junctions 5 and 6.", "Wrong junctions.")
    after, _ = atom(client)
    changed = next(e for e in after.entries if e.link.endswith(live["second"].slug))
    assert changed.id == entry.id
    assert changed.updated == "2026-03-01T10:45:00Z"
    assert changed.published == "2026-03-01T10:30:00Z"
    assert "junctions 5 and 6" in changed.content[0].value
    assert "Wrong junctions." in changed.content[0].value
    assert "junctions 4 and 5" not in after_text(client)


def after_text(client) -> str:
    return client.get("/feeds/news.atom").get_data(as_text=True)


def test_withdrawn_update_leaves_the_atom_feed(client, session, officer, live):
    withdraw(session, officer, live["routine"], at("2026-03-01T12:00:00"))
    feed, _ = atom(client)
    assert len(feed.entries) == 2
    assert "open day" not in after_text(client)
    assert feed.feed.updated == "2026-03-01T12:00:00Z"


def test_every_cap_document_validates(client, session, officer, supervisor, live, schema):
    correct(session, officer, supervisor, live["first"], at("2026-03-01T09:30:00"),
            "Officers are at the scene of a collision on the A1 near Hatfield.", "Added the place.")
    withdraw(session, officer, live["second"], at("2026-03-01T12:00:00"))
    feed, root = atom(client, "/feeds/cap.atom")
    links = [link.get("href") for link in root.iter(f"{ATOM}link")
             if link.get("type") == "application/cap+xml"]
    # One current alert per incident update; the routine post has none.
    assert len(links) == 2
    docs = [cap(client, href.removeprefix("https://police.example"), schema) for href in links]
    docs.append(cap(client, "/feeds/cap.xml", schema))
    kinds = sorted(d.findtext(f"{CAP}msgType") for d in docs[:2])
    assert kinds == ["Cancel", "Update"]
    for doc in docs:
        own = doc.findtext(f"{CAP}identifier").split("-v")[0] + "-v"
        for reference in (doc.findtext(f"{CAP}references") or "").split():
            assert reference.split(",")[1].startswith(own)
        assert doc.findtext(f"{CAP}status") == "Actual"
        assert doc.findtext(f"{CAP}scope") == "Public"
        assert doc.findtext(f"{CAP}sender") == "police.example"
    # The newest event is the withdrawal: /feeds/cap.xml is its Cancel.
    assert docs[-1].findtext(f"{CAP}msgType") == "Cancel"


def test_cap_alert_then_update_then_cancel(client, session, officer, supervisor, live, schema):
    message = live["first"]
    alert_id = f"crier-m{message.id}-v1"
    first = cap(client, f"/feeds/cap/{alert_id}.xml", schema)
    assert first.findtext(f"{CAP}identifier") == alert_id
    assert first.findtext(f"{CAP}msgType") == "Alert"
    assert first.findtext(f"{CAP}sent") == "2026-03-01T09:00:00-00:00"
    assert first.find(f"{CAP}references") is None
    info = first.find(f"{CAP}info")
    assert [c.text for c in info.findall(f"{CAP}category")] == ["Security", "Safety"]
    assert info.findtext(f"{CAP}event") == "A1 collision"
    assert info.findtext(f"{CAP}description") == "Officers are at the scene of a collision on the A1."
    assert info.findtext(f"{CAP}web") == f"https://police.example/news/{message.slug}"
    assert info.findtext(f"{CAP}area/{CAP}areaDesc") == "Welwyn Hatfield"
    assert (info.findtext(f"{CAP}urgency"), info.findtext(f"{CAP}severity"),
            info.findtext(f"{CAP}certainty")) == ("Expected", "Moderate", "Observed")

    correct(session, officer, supervisor, message, at("2026-03-01T09:30:00"),
            "Officers are at the scene of a collision on the A1 near Hatfield.", "Added the place.")
    # The old identifier now leads to the current alert: its corrected text is not served again.
    old = client.get(f"/feeds/cap/{alert_id}.xml")
    assert old.status_code == 303
    assert old.headers["Location"].endswith(f"/feeds/cap/crier-m{message.id}-v2.xml")
    update = cap(client, f"/feeds/cap/crier-m{message.id}-v2.xml", schema)
    assert update.findtext(f"{CAP}msgType") == "Update"
    assert update.findtext(f"{CAP}sent") == "2026-03-01T09:30:00-00:00"
    assert update.findtext(f"{CAP}references") == f"police.example,{alert_id},2026-03-01T09:00:00-00:00"
    assert "near Hatfield" in update.findtext(f"{CAP}info/{CAP}description")
    assert "Added the place." in update.findtext(f"{CAP}info/{CAP}description")

    withdraw(session, officer, message, at("2026-03-01T11:30:00"))
    cancel_id = f"crier-m{message.id}-v2-cancel"
    assert client.get(f"/feeds/cap/crier-m{message.id}-v2.xml").headers["Location"].endswith(
        f"/feeds/cap/{cancel_id}.xml")
    cancel = cap(client, f"/feeds/cap/{cancel_id}.xml", schema)
    assert cancel.findtext(f"{CAP}msgType") == "Cancel"
    assert cancel.findtext(f"{CAP}sent") == "2026-03-01T11:30:00-00:00"
    assert cancel.findtext(f"{CAP}references").split() == [
        f"police.example,{alert_id},2026-03-01T09:00:00-00:00",
        f"police.example,crier-m{message.id}-v2,2026-03-01T09:30:00-00:00"]
    assert cancel.find(f"{CAP}info") is None
    assert b"collision" not in etree.tostring(cancel)


def test_closed_incident_alerts_say_past(client, session, live, schema):
    from workflow.messages.models import Incident

    incident = session.get(Incident, live["first"].incident_id)
    incident.status, incident.closed_at = "closed", at("2026-03-01T15:00:00")
    session.commit()
    doc = cap(client, "/feeds/cap.xml", schema)
    assert doc.findtext(f"{CAP}info/{CAP}urgency") == "Past"


def test_cap_without_incident_updates_and_unknown_alerts(client, session, officer, supervisor, site_accounts):
    assert client.get("/feeds/cap.xml").status_code == 404
    routine = publish(session, officer, supervisor, [site_accounts["website"].id], at("2026-03-01T11:00:00"),
                      "Open day on Saturday.")
    assert client.get("/feeds/cap.xml").status_code == 404
    assert client.get(f"/feeds/cap/crier-m{routine.id}-v1.xml").status_code == 404
    assert client.get("/feeds/cap/crier-m999999-v1.xml").status_code == 404
    assert client.get("/feeds/cap/not-an-identifier.xml").status_code == 404
    feed, _ = atom(client, "/feeds/cap.atom")
    assert feed.entries == []


def test_an_exercise_says_so_on_its_page_and_in_its_cap_alert(client, session, officer, supervisor, schema):
    sandbox_site = make_account(session, "website", "Exercise website")
    sandbox_site.exercise = True
    drill = open_incident(session, officer, "Exercise Dragon", exercise=True)
    message = publish(session, officer, supervisor, [sandbox_site.id], at("2026-03-02T09:00:00"),
                      "The port is closed for the exercise.", incident=drill.id)
    session.commit()
    page = client.get(f"/news/{message.slug}").get_data(as_text=True)
    assert "This is a training exercise, not a real incident." in page
    assert "EXERCISE EXERCISE EXERCISE The port is closed" in page
    doc = cap(client, f"/feeds/cap/crier-m{message.id}-v1.xml", schema)
    assert doc.find(f"{CAP}status").text == "Exercise"
