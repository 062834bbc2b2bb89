"""The one builder of the public website's URLs: every link to a page Crier serves is made here."""
from __future__ import annotations

from urllib.parse import quote


def public_url(public_base_url: str, path: str) -> str:
    """``path`` (starting with ``/``) on the public website."""
    return public_base_url.rstrip("/") + path


def page_url(public_base_url: str, slug: str) -> str:
    """The public page of the update ``slug``."""
    return public_url(public_base_url, f"/news/{quote(slug, safe='')}")


def incident_url(public_base_url: str, slug: str) -> str:
    """The public timeline of the incident ``slug``."""
    return public_url(public_base_url, f"/incidents/{quote(slug, safe='')}")


def cap_url(public_base_url: str, identifier: str) -> str:
    """The CAP 1.2 document of one alert."""
    return public_url(public_base_url, f"/feeds/cap/{quote(identifier, safe='')}.xml")
