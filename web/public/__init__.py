"""The force website's public pages and feeds.

``/news`` (latest first, paged), ``/news/<slug>`` (one update, with its
corrections), ``/incidents/<slug>`` (an incident's timeline), and the feeds
``/feeds/news.atom``, ``/feeds/cap.xml``, ``/feeds/cap.atom`` and
``/feeds/cap/<identifier>.xml`` (see :mod:`web.public.feeds`).

Every page answers conditional requests from a light aggregate query
(:func:`workflow.website.page_validators`) before anything is loaded or
rendered, and may be cached publicly for a short while.

Optional settings: ``CRIER_FORCE_NAME`` (the site's name) and
``CRIER_CAP_SENDER`` (the CAP sender; default the public base URL's host).
"""
from __future__ import annotations

import datetime as dt
from typing import Callable
from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, redirect, request, url_for
from werkzeug.http import is_resource_modified

from workflow.core.errors import ValidationError
from workflow.core.runtime import settings_of
from workflow.insights import visits
from workflow.media.storage import StorageError, store_for
from workflow.website import cap as website_cap
from workflow.website import pages as website_pages
from workflow.website import shapes

from ..context import db
from . import feeds

bp = Blueprint("public", __name__, template_folder="templates", static_folder="static",
               static_url_path="/public-static")

#: Bump when templates or feeds change shape, so cached copies are revalidated.
RENDER_VERSION = "1"
PAGE_SIZE = 20
FEED_SIZE = 50
CAP_INDEX_SIZE = 100
MAX_AGE = 30
DEFAULT_SITE_NAME = "Police news"

_CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; "
        "form-action 'none'; frame-ancestors 'none'")


def site() -> feeds.Site:
    """Where the website lives, from the app's settings."""
    config = current_app.config
    base = str(config.get("PUBLIC_BASE_URL") or request.host_url).rstrip("/")
    host = urlsplit(base).hostname or "localhost"
    return feeds.Site(
        base_url=base,
        name=str(config.get("FORCE_NAME") or DEFAULT_SITE_NAME),
        host=host,
        cap_sender=str(config.get("CAP_SENDER") or host),
    )


# Formatting ---------------------------------------------------------------------

def iso(value: dt.datetime | None) -> str:
    """A machine-readable time for ``<time datetime>``."""
    return value.astimezone(dt.timezone.utc).isoformat(timespec="seconds") if value else ""


@bp.app_template_filter("public_london")
def _london_filter(value: dt.datetime | None) -> str:
    return feeds.london(value)


@bp.app_template_filter("public_iso")
def _iso_filter(value: dt.datetime | None) -> str:
    return iso(value)


# Caching -----------------------------------------------------------------------

def _validators(**scope) -> shapes.Validators:
    s = site()
    return website_pages.page_validators(db(), extra=(RENDER_VERSION, s.base_url, s.name, s.cap_sender), **scope)


def conditional(validators: shapes.Validators, build: Callable[[], Response]) -> Response:
    """Answer 304 when the client's copy is current; otherwise build the response. Both carry the validators."""
    etag = validators.digest
    last_modified = validators.last_modified
    if not is_resource_modified(request.environ, etag=etag, last_modified=last_modified):
        response = Response(status=304)
    else:
        response = build()
        if response.status_code == 404:
            return response  # an absence carries no validators (see _not_found)
    response.set_etag(etag)
    if last_modified is not None:
        response.last_modified = last_modified
    response.cache_control.public = True
    response.cache_control.max_age = MAX_AGE
    return response


def _html(template: str, status: int = 200, **context) -> Response:
    # Rendered without the app's context processors: Flask-Login's would load the
    # signed-in user from the session, making every public page vary by cookie
    # (uncacheable for shared caches) for content that is the same for everyone.
    body = current_app.jinja_env.get_template(template).render(site=site(), **context)
    return Response(body, status=status, mimetype="text/html")


def _not_found(what: str) -> Response:
    response = _html("public/not_found.html", 404, what=what)
    # It may appear any moment (its website delivery may be on its way): never cache the absence.
    response.cache_control.no_cache = True
    return response


@bp.after_request
def _headers(response: Response) -> Response:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    if response.mimetype == "text/html":
        response.headers.setdefault("Content-Security-Policy", _CSP)
    return response


# Pages -------------------------------------------------------------------------

@bp.get("/news")
def news():
    """The latest updates, newest first, PAGE_SIZE at a time."""
    before = request.args.get("before") or None
    if before is not None:
        try:
            website_pages.decode_cursor(before)
        except ValidationError as exc:
            response = _html("public/bad_request.html", 400, reason=exc.message)
            response.cache_control.no_cache = True
            return response

    def build() -> Response:
        rows = website_pages.published_updates(db(), limit=PAGE_SIZE + 1, before=before)
        updates, more = rows[:PAGE_SIZE], len(rows) > PAGE_SIZE
        older = url_for(".news", before=updates[-1].cursor()) if more else None
        return _html("public/news.html", updates=updates, older=older, paged=before is not None)

    return conditional(_validators(), build)


@bp.get("/news/<slug>")
def update(slug: str):
    """One update: its current text and every correction's note; 410 once withdrawn."""
    validators = _validators(message_slug=slug)
    if not validators.ever_public:
        return _not_found("update")

    def build() -> Response:
        result = website_pages.update_by_slug(db(), slug)
        if result.status == website_pages.WITHDRAWN:
            return _html("public/gone.html", 410, withdrawn_at=result.withdrawn_at, incident=None)
        if result.status == website_pages.NOT_FOUND:
            return _not_found("update")
        return _html("public/update.html", update=result.update)

    if visits.PARAMETER in request.args:
        return _counted_visit(slug, build)
    return conditional(validators, build)


def _counted_visit(slug: str, build: Callable[[], Response]) -> Response:
    """A visit through a channel's tagged link: counted for its account, then the page, never cached.

    Nothing about the visitor is kept: no cookie, no address (docs/insights.md).
    """
    response = build()
    if response.status_code == 200 and request.method == "GET":
        try:
            visits.count_visit(db(), slug, request.args.get(visits.PARAMETER), request.user_agent.string)
        except Exception:  # a count must never cost the public the page
            current_app.logger.exception("a visit could not be counted")
            db().rollback()
    # Every load through the tagged link must reach Crier to be counted; the page's own address caches as before.
    response.cache_control.no_store = True
    response.cache_control.public = False
    response.cache_control.max_age = None
    return response
@bp.get("/news/<slug>/images/<name>")
def update_image(slug: str, name: str):
    """One image of a live update (its stored bytes, without metadata); 410 once the update is withdrawn."""
    validators = _validators(message_slug=slug)
    if not validators.ever_public:
        return _plain("No such image.", 404)

    def build() -> Response:
        result = website_pages.update_by_slug(db(), slug)
        if result.status == website_pages.WITHDRAWN:
            return _plain("This image has been withdrawn.", 410)
        image = next((i for i in result.update.images if i.file_name == name), None) if result.update else None
        if image is None:
            return _plain("No such image.", 404)
        try:
            data = store_for(settings_of(db())).get(image.storage_key)
        except StorageError:
            response = _plain("The image cannot be served just now.", 503)
            response.headers["Retry-After"] = "30"
            return response
        if data is None:
            return _plain("No such image.", 404)
        return Response(data, mimetype=image.content_type)

    return conditional(validators, build)


@bp.get("/incidents/<slug>")
def incident(slug: str):
    """Every update of one incident still on the website, in the order they went out."""
    validators = _validators(incident_slug=slug)
    if not validators.ever_public:
        return _not_found("incident")

    def build() -> Response:
        result = website_pages.incident_timeline(db(), slug)
        if result.status == website_pages.WITHDRAWN:
            return _html("public/gone.html", 410, withdrawn_at=None, incident=result.incident)
        if result.status == website_pages.NOT_FOUND:
            return _not_found("incident")
        return _html("public/incident.html", timeline=result, incident=result.incident)

    return conditional(validators, build)


# Feeds -------------------------------------------------------------------------

def _xml(body: bytes, content_type: str) -> Response:
    return Response(body, content_type=content_type)


@bp.get("/feeds/news.atom")
def news_feed():
    """Atom 1.0: the FEED_SIZE most recently changed updates (a correction brings its entry back in)."""
    validators = _validators()

    def build() -> Response:
        updates = website_pages.published_updates(db(), limit=FEED_SIZE, order=shapes.ORDER_UPDATED)
        return _xml(feeds.news_feed(site(), updates, validators.last_modified), feeds.ATOM_TYPE)

    return conditional(validators, build)


@bp.get("/feeds/cap.atom")
def cap_feed():
    """An Atom index of the current CAP alerts, each linking to its CAP document."""
    validators = _validators()

    def build() -> Response:
        alerts = website_cap.cap_alerts(db(), CAP_INDEX_SIZE)
        return _xml(feeds.cap_index(site(), alerts, validators.last_modified), feeds.ATOM_TYPE)

    return conditional(validators, build)


@bp.get("/feeds/cap.xml")
def cap_latest():
    """The newest current CAP alert as one CAP 1.2 document."""
    validators = _validators()

    def build() -> Response:
        alerts = website_cap.cap_alerts(db(), 1)
        if not alerts:
            return _plain("No incident alerts have been published.", 404)
        return _xml(feeds.cap_document(site(), alerts[0]), feeds.CAP_TYPE)

    return conditional(validators, build)


@bp.get("/feeds/cap/<identifier>.xml")
def cap_alert(identifier: str):
    """One CAP alert; an identifier that is no longer current redirects to the current one."""
    parsed = website_cap.parse_cap_identifier(identifier)
    if parsed is None:
        return _plain("No such alert.", 404)
    message_id = parsed[0]
    validators = _validators(message_id=message_id)
    if not validators.ever_public:
        return _plain("No such alert.", 404)

    def build() -> Response:
        alert = website_cap.cap_alert(db(), message_id)
        if alert is None:
            return _plain("No such alert.", 404)
        if alert.identifier != identifier:
            return redirect(url_for(".cap_alert", identifier=alert.identifier), 303)
        return _xml(feeds.cap_document(site(), alert), feeds.CAP_TYPE)

    return conditional(validators, build)


def _plain(text: str, status: int) -> Response:
    response = Response(text + "\n", status=status, mimetype="text/plain")
    response.cache_control.no_cache = True
    return response
