"""The website's machine-readable feeds: Atom 1.0 for news, CAP 1.2 for incident alerts.

Every document is built as an lxml tree, so message text only ever lands in
text nodes and attribute values that lxml escapes; nothing is formatted into
markup by hand.

What the CAP feeds hold
-----------------------
A CAP document is one ``<alert>``, so there is no single document holding them
all. Crier serves:

- ``/feeds/cap/<identifier>.xml``: one alert. Each incident update the
  website has shown has one current alert: "Alert" for its first version,
  "Update" after a correction (``references`` names every earlier alert of
  the same update), "Cancel" after a withdrawal (no ``info``: the withdrawn
  text is never repeated). Identifiers are ``crier-m<message id>-v<version>``
  (``-cancel`` appended for a Cancel), so each is stable per message version.
  An identifier that is no longer current redirects to the current alert.
- ``/feeds/cap.xml``: the latest current alert of all (the newest event).
- ``/feeds/cap.atom``: an Atom index of the current alerts, newest first, each
  entry linking to its CAP document (the form CAP aggregators poll).

Every alert: status Actual, scope Public, sender ``CRIER_CAP_SENDER`` or the
public base URL's host. Crier does not ask officers to grade an incident, so
the info block uses fixed, conservative values: category Security and Safety,
urgency Expected (Past once the incident is closed), severity Moderate (Minor
once closed), certainty Observed (the police are reporting what they know),
response Monitor.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Sequence

from lxml import etree

from workflow.core.london import long_label as london
from workflow.website import urls
from workflow.website.shapes import CapAlert, PublicImage, PublicUpdate, public_text

ATOM_NS = "http://www.w3.org/2005/Atom"
CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
LANGUAGE = "en-GB"
ATOM_TYPE = "application/atom+xml; charset=utf-8"
CAP_TYPE = "application/cap+xml; charset=utf-8"
#: CAP advises headlines under 160 characters (some displays show no more).
CAP_HEADLINE_CHARS = 160
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


@dataclasses.dataclass(frozen=True)
class Site:
    """Where the website lives and what it is called, for absolute links in feeds."""

    base_url: str
    name: str
    host: str
    cap_sender: str

    def url(self, path: str) -> str:
        return urls.public_url(self.base_url, path)

    def page(self, slug: str) -> str:
        return urls.page_url(self.base_url, slug)

    def incident_page(self, slug: str) -> str:
        return urls.incident_url(self.base_url, slug)

    def cap_document(self, identifier: str) -> str:
        return urls.cap_url(self.base_url, identifier)

    def image(self, slug: str, image: PublicImage) -> str:
        """The public address of one image of an update."""
        return urls.image_url(self.base_url, slug, image.file_name)


def atom_time(value: dt.datetime) -> str:
    """RFC 3339 in UTC with a ``Z``, as Atom wants it."""
    value = value.astimezone(dt.timezone.utc)
    spec = "microseconds" if value.microsecond else "seconds"
    return value.isoformat(timespec=spec).replace("+00:00", "Z")


def cap_time(value: dt.datetime) -> str:
    """CAP 1.2's dateTime: whole seconds, and UTC written as ``-00:00`` (never ``Z``)."""
    return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S-00:00")


def entry_id(site: Site, message_id: int, created_at: dt.datetime, what: str = "news") -> str:
    """A tag: URI (RFC 4151) for a message that stays the same through every correction."""
    return f"tag:{site.host},{created_at.astimezone(dt.timezone.utc):%Y-%m-%d}:crier/{what}/{message_id}"


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    element = etree.SubElement(parent, tag, {k: public_text(v) for k, v in attrs.items()})
    if text is not None:
        element.text = public_text(text)
    return element


def _document(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True)


def update_summary(update: PublicUpdate) -> str:
    """The update's text as a plain-text feed entry: the text, then the change note if corrected."""
    if not update.corrected:
        return update.text
    note = update.change_note or "This update has been corrected."
    return f"{update.text}\n\nCorrected {london(update.updated)} (UK time): {note}"


# Atom ------------------------------------------------------------------------

def _atom_feed(site: Site, *, feed_id: str, title: str, self_url: str, alternate_url: str,
               updated: dt.datetime | None) -> etree._Element:
    a = f"{{{ATOM_NS}}}"
    feed = etree.Element(a + "feed", nsmap={None: ATOM_NS})
    feed.set(XML_LANG, LANGUAGE)
    _sub(feed, a + "id", feed_id)
    _sub(feed, a + "title", title)
    _sub(feed, a + "updated", atom_time(updated or _EPOCH))
    _sub(feed, a + "link", rel="self", type="application/atom+xml", href=self_url)
    _sub(feed, a + "link", rel="alternate", type="text/html", href=alternate_url)
    author = _sub(feed, a + "author")
    _sub(author, a + "name", site.name)
    _sub(author, a + "uri", site.url("/news"))
    _sub(feed, a + "generator", "Crier")
    return feed


def news_feed(site: Site, updates: Sequence[PublicUpdate], updated: dt.datetime | None) -> bytes:
    """The Atom feed of the latest updates; an entry keeps its id and changes ``updated`` on correction."""
    a = f"{{{ATOM_NS}}}"
    feed = _atom_feed(site, feed_id=site.url("/feeds/news.atom"), title=f"{site.name}: news",
                      self_url=site.url("/feeds/news.atom"), alternate_url=site.url("/news"),
                      updated=max([u.updated for u in updates] + ([updated] if updated else []), default=None))
    for update in updates:
        entry = _sub(feed, a + "entry")
        _sub(entry, a + "id", entry_id(site, update.message_id, update.created_at))
        _sub(entry, a + "title", update.headline)
        _sub(entry, a + "published", atom_time(update.published))
        _sub(entry, a + "updated", atom_time(update.updated))
        _sub(entry, a + "link", rel="alternate", type="text/html", href=site.page(update.slug))
        if update.images:
            first = update.images[0]
            _sub(entry, a + "link", rel="enclosure", type=first.content_type, length=str(first.bytes),
                 title=first.alt[:200], href=site.image(update.slug, first))
        if update.incident is not None:
            _sub(entry, a + "category", term=update.incident.slug, label=update.incident.title)
        _sub(entry, a + "content", update_summary(update), type="text")
    return _document(feed)


def cap_index(site: Site, alerts: Sequence[CapAlert], updated: dt.datetime | None) -> bytes:
    """An Atom index of the current CAP alerts, each entry linking to its CAP document."""
    a = f"{{{ATOM_NS}}}"
    feed = _atom_feed(site, feed_id=site.url("/feeds/cap.atom"), title=f"{site.name}: incident alerts (CAP)",
                      self_url=site.url("/feeds/cap.atom"), alternate_url=site.url("/news"),
                      updated=max([al.sent for al in alerts] + ([updated] if updated else []), default=None))
    for alert in alerts:
        entry = _sub(feed, a + "entry")
        _sub(entry, a + "id", entry_id(site, alert.message_id, alert.created_at, what="cap"))
        if alert.update is None:
            _sub(entry, a + "title", f"Withdrawn: {alert.incident.title}")
            summary = "This update has been withdrawn."
        else:
            _sub(entry, a + "title", alert.update.headline)
            summary = update_summary(alert.update)
        _sub(entry, a + "updated", atom_time(alert.sent))
        _sub(entry, a + "link", rel="alternate", type="application/cap+xml",
             href=site.cap_document(alert.identifier))
        if alert.update is not None:
            _sub(entry, a + "link", rel="related", type="text/html", href=site.page(alert.slug))
        _sub(entry, a + "summary", summary, type="text")
    return _document(feed)


# CAP ------------------------------------------------------------------------

def _cap_token(value: str) -> str:
    # sender, identifier and references are space/comma separated lists in CAP:
    # those characters, and the restricted < and &, cannot appear inside one.
    return "".join(ch for ch in public_text(value) if not ch.isspace() and ch not in ",<&") or "unknown"


def _headline(text: str) -> str:
    if len(text) <= CAP_HEADLINE_CHARS:
        return text
    return text[: CAP_HEADLINE_CHARS - 1].rstrip() + "…"


def cap_document(site: Site, alert: CapAlert) -> bytes:
    """One CAP 1.2 alert document (see the module docstring for what it holds)."""
    c = f"{{{CAP_NS}}}"
    sender = _cap_token(site.cap_sender)
    root = etree.Element(c + "alert", nsmap={None: CAP_NS})
    _sub(root, c + "identifier", _cap_token(alert.identifier))
    _sub(root, c + "sender", sender)
    _sub(root, c + "sent", cap_time(alert.sent))
    _sub(root, c + "status", "Exercise" if alert.incident is not None and alert.incident.exercise else "Actual")
    _sub(root, c + "msgType", alert.msg_type)
    _sub(root, c + "scope", "Public")
    if alert.msg_type == "Cancel":
        _sub(root, c + "note", f"{site.name} has withdrawn this update.")
    if alert.references:
        _sub(root, c + "references", " ".join(
            f"{sender},{_cap_token(identifier)},{cap_time(sent)}" for identifier, sent in alert.references))
    _sub(root, c + "incidents", _cap_token(f"crier-incident-{alert.incident.id}"))
    update = alert.update
    if update is None:
        return _document(root)
    closed = alert.incident.closed
    info = _sub(root, c + "info")
    _sub(info, c + "language", LANGUAGE)
    _sub(info, c + "category", "Security")
    _sub(info, c + "category", "Safety")
    _sub(info, c + "event", alert.incident.title or update.headline)
    _sub(info, c + "responseType", "None" if closed else "Monitor")
    _sub(info, c + "urgency", "Past" if closed else "Expected")
    _sub(info, c + "severity", "Minor" if closed else "Moderate")
    _sub(info, c + "certainty", "Observed")
    _sub(info, c + "senderName", site.name)
    _sub(info, c + "headline", _headline(update.headline))
    _sub(info, c + "description", update_summary(update))
    _sub(info, c + "web", site.page(update.slug))
    for image in update.images:
        resource = _sub(info, c + "resource")
        _sub(resource, c + "resourceDesc", f"Image {image.number}: {image.alt}")
        _sub(resource, c + "mimeType", image.content_type)
        _sub(resource, c + "size", str(image.bytes))
        _sub(resource, c + "uri", site.image(update.slug, image))
        if image.sha1:
            _sub(resource, c + "digest", image.sha1)
    if alert.incident.area:
        area = _sub(info, c + "area")
        _sub(area, c + "areaDesc", alert.incident.area)
    return _document(root)
