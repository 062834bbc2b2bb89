"""No text, title or slug can put live markup into a page or a feed."""
from __future__ import annotations

import re
from urllib.parse import quote

import feedparser
import lxml.html
from lxml import etree
from sqlalchemy import text

from tests.public.support import at, cap_schema, publish
from workflow.messages.models import Incident, Message

PAYLOAD = ("<script>alert(1)</script> \"><img src=x onerror=alert(2)> ]]> <![CDATA[ x ]]> "
           "javascript:alert(3) \x01\x07\x1b\x7f\x85 &amp; done")
EVIL_SLUG = "javascript:alert(4)\"><img src=x onerror=alert(5)>\x07]]>"
EVIL_INCIDENT_SLUG = "inc\"><svg onload=alert(6)>"
SLASHED_SLUG = "x\"><script>alert(7)</script>"
CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
ATOM = "{http://www.w3.org/2005/Atom}"
CAP = "{urn:oasis:names:tc:emergency:cap:1.2}"
ATOM_TAGS = {f"{ATOM}{t}" for t in ("feed", "id", "title", "updated", "link", "author", "name", "uri",
                                    "generator", "entry", "published", "category", "content", "summary")}


def seed(session, officer, supervisor, site_accounts):
    ids = [site_accounts["website"].id]
    # Control characters are refused on the way in; rows written before that may still hold them.
    typed = CONTROLS.sub("", PAYLOAD)
    incident_update = publish(session, officer, supervisor, ids, at("2026-03-01T09:00:00"), typed,
                              incident={"title": typed, "area": typed})
    routine = publish(session, officer, supervisor, ids, at("2026-03-01T10:00:00"), typed)
    session.execute(text("UPDATE message_versions SET body = :p WHERE message_id IN (:a, :b)"),
                    {"p": PAYLOAD, "a": incident_update.id, "b": routine.id})
    session.execute(text("UPDATE incidents SET title = :p, area = :p"), {"p": PAYLOAD})
    session.commit()
    session.expire_all()
    message = session.get(Message, incident_update.id)
    message.slug = EVIL_SLUG
    session.get(Incident, message.incident_id).slug = EVIL_INCIDENT_SLUG
    session.get(Message, routine.id).slug = SLASHED_SLUG
    session.commit()
    return message


def assert_inert_html(response) -> lxml.html.HtmlElement:
    raw = response.get_data(as_text=True)
    assert not CONTROLS.search(raw)
    doc = lxml.html.fromstring(raw)
    assert not doc.xpath("//script | //img | //svg | //iframe | //object | //embed")
    for element in doc.iter():
        if not isinstance(element.tag, str):
            continue
        for name, value in element.attrib.items():
            assert not name.lower().startswith("on"), (element.tag, name)
            if name in ("href", "src", "action"):
                assert not value.strip().lower().startswith(("javascript:", "data:")), value
                assert value.startswith(("/", "#")), value
    return doc


def test_pages_show_the_payload_as_text_only(client, session, officer, supervisor, site_accounts):
    seed(session, officer, supervisor, site_accounts)
    pages = [client.get("/news"),
             client.get("/news/" + quote(EVIL_SLUG, safe="")),
             client.get("/incidents/" + quote(EVIL_INCIDENT_SLUG, safe=""))]
    for response in pages:
        assert response.status_code == 200
        doc = assert_inert_html(response)
        text = doc.text_content()
        assert "<script>alert(1)</script>" in text
        assert "onerror=alert(2)>" in text
        assert "&amp; done" in text
    links = lxml.html.fromstring(pages[0].get_data(as_text=True)).xpath("//main//article//h2/a/@href")
    # Every link is a path on this site, the slug percent-encoded within it.
    assert sorted(links) == sorted(["/news/" + quote(SLASHED_SLUG, safe="!$&'()*+,/:;=@"),
                                    "/news/" + quote(EVIL_SLUG, safe="!$&'()*+,/:;=@")])
    assert all(not re.search(r"[<>\"\s]", link) for link in links)


def test_feeds_carry_the_payload_as_text_only(client, session, officer, supervisor, site_accounts):
    message = seed(session, officer, supervisor, site_accounts)
    atom = client.get("/feeds/news.atom").get_data()
    assert not feedparser.parse(atom).bozo
    root = etree.fromstring(atom)
    assert {e.tag for e in root.iter()} <= ATOM_TAGS
    for content in root.iter(f"{ATOM}content"):
        assert content.get("type") == "text"
        assert "<script>alert(1)</script>" in content.text
    for link in root.iter(f"{ATOM}link"):
        assert link.get("href").startswith("https://police.example/")
        assert not re.search(r"[<>\"\s]", link.get("href"))
    index = client.get("/feeds/cap.atom").get_data()
    assert not feedparser.parse(index).bozo
    assert {e.tag for e in etree.fromstring(index).iter()} <= ATOM_TAGS

    schema = cap_schema()
    doc = etree.fromstring(client.get(f"/feeds/cap/crier-m{message.id}-v1.xml").get_data())
    schema.assertValid(doc)
    description = doc.findtext(f"{CAP}info/{CAP}description")
    assert description.startswith("<script>alert(1)</script>")
    assert not CONTROLS.search(description)
    assert doc.findtext(f"{CAP}info/{CAP}web").startswith("https://police.example/news/javascript%3Aalert")
    for raw in (atom, index, etree.tostring(doc)):
        assert not CONTROLS.search(raw.decode("utf-8"))
