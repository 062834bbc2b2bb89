"""Images on the website: each shown with its alt text, served without metadata, linked from the
Atom entry and referenced by the CAP alert (MIME type, size, SHA-1 digest); gone with a withdrawal."""
from __future__ import annotations

import hashlib

import feedparser
import pytest
from lxml import etree

from tests.media.support import assert_no_metadata, gps_jpeg, png
from tests.public.support import at, cap_schema, mark_sent, publish, withdraw
from workflow.media import service as media
from workflow.messages import corrections, review

CAP = "{urn:oasis:names:tc:emergency:cap:1.2}"
FIRST_ALT = "A silver hatchback with a dented bonnet"
SECOND_ALT = "The junction where the collision happened"


@pytest.fixture
def appeal(session, officer, supervisor, site_accounts):
    first = media.upload(session, officer, gps_jpeg(80, 60))
    second = media.upload(session, officer, png(40, 30))
    ids = [site_accounts["website"].id, site_accounts["x"].id]
    message = publish(session, officer, supervisor, ids, at("2026-03-01T09:00:00"),
                      "Witness appeal after a collision on the A1.",
                      incident={"title": "A1 collision", "area": "Welwyn Hatfield"},
                      images=[{"media": first.id, "alt": FIRST_ALT}, {"media": second.id, "alt": SECOND_ALT}])
    return {"message": message, "first": first, "second": second}


def image_links(html: str) -> list[tuple[str, str]]:
    root = etree.HTML(html)
    return [(img.get("src"), img.get("alt")) for img in root.iterfind(".//figure[@class='update-image']/img")]


def test_the_page_shows_each_image_with_its_alt_text_responsively(client, appeal):
    page = client.get(f"/news/{appeal['message'].slug}")
    assert page.status_code == 200
    links = image_links(page.get_data(as_text=True))
    assert [alt for _src, alt in links] == [FIRST_ALT, SECOND_ALT]
    html = page.get_data(as_text=True)
    assert 'width="60"' in html and 'height="80"' in html  # upright: EXIF orientation applied
    served = client.get(links[0][0])
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert_no_metadata(served.data)
    assert client.get(links[0][0].replace("1-", "3-")).status_code == 404
    css = client.get("/public-static/public.css").get_data(as_text=True)
    assert ".update-image img { display: block; max-width: 100%; height: auto;" in css
    # The news list and the incident timeline show them too.
    assert FIRST_ALT in client.get("/news").get_data(as_text=True)
    assert SECOND_ALT in client.get(f"/incidents/{appeal['message'].incident.slug}").get_data(as_text=True)


def test_the_atom_entry_links_the_first_image(client, appeal):
    response = client.get("/feeds/news.atom")
    feed = feedparser.parse(response.get_data())
    assert not feed.bozo
    [entry] = feed.entries
    [enclosure] = [link for link in entry.links if link.rel == "enclosure"]
    assert enclosure.type == "image/jpeg" and int(enclosure.length) == appeal["first"].bytes
    assert enclosure.href.startswith("https://police.example/news/")
    served = client.get(enclosure.href.removeprefix("https://police.example"))
    assert served.status_code == 200 and len(served.data) == appeal["first"].bytes


def test_the_cap_alert_references_each_image_as_a_resource(client, appeal):
    response = client.get("/feeds/cap.xml")
    doc = etree.fromstring(response.get_data())
    cap_schema().assertValid(doc)
    resources = doc.findall(f"{CAP}info/{CAP}resource")
    assert len(resources) == 2
    for resource, stored, alt in zip(resources, (appeal["first"], appeal["second"]), (FIRST_ALT, SECOND_ALT)):
        assert alt in resource.findtext(f"{CAP}resourceDesc")
        assert resource.findtext(f"{CAP}mimeType") == stored.content_type
        assert int(resource.findtext(f"{CAP}size")) == stored.bytes
        served = client.get(resource.findtext(f"{CAP}uri").removeprefix("https://police.example"))
        # CAP 1.2: the digest is the SHA-1 of the resource.
        assert resource.findtext(f"{CAP}digest") == hashlib.sha1(served.data).hexdigest()


def test_a_correction_that_changes_the_image_shows_the_new_one(client, session, officer, supervisor, appeal):
    replacement = media.upload(session, officer, png(20, 20, (5, 5, 200)))
    old = image_links(client.get(f"/news/{appeal['message'].slug}").get_data(as_text=True))
    message = appeal["message"]
    corrections.correct(session, officer, message.id, "Witness appeal after a collision on the A1.",
                        "a clearer photo", images=[{"media": replacement.id, "alt": "The car, from the front"}])
    review.approve(session, supervisor, message.id, 2, now=at("2026-03-01T10:00:00"))
    mark_sent(session, message.id, at("2026-03-01T10:00:00"))
    new = image_links(client.get(f"/news/{message.slug}").get_data(as_text=True))
    assert [alt for _s, alt in new] == ["The car, from the front"]
    assert client.get(old[0][0]).status_code == 404


def test_withdrawn_the_page_and_its_images_answer_410(client, session, officer, appeal):
    links = image_links(client.get(f"/news/{appeal['message'].slug}").get_data(as_text=True))
    withdraw(session, officer, appeal["message"], at("2026-03-01T12:00:00"))
    assert client.get(f"/news/{appeal['message'].slug}").status_code == 410
    for src, _alt in links:
        response = client.get(src)
        assert response.status_code == 410 and not response.data.startswith(b"\xff\xd8")
    assert FIRST_ALT not in client.get("/feeds/news.atom").get_data(as_text=True)
