"""The one builder of the public website's URLs: every link to a page Crier serves is made here."""
from __future__ import annotations

from urllib.parse import quote, urlencode, urlsplit, urlunsplit


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


#: The file extension of each image type the website serves.
IMAGE_EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/gif": "gif", "image/webp": "webp"}


def image_name(number: int, sha256: str, content_type: str) -> str:
    """An image's file name under its update: position and digest, so a new image is a new name."""
    return f"{number}-{sha256[:16]}.{IMAGE_EXTENSIONS[content_type]}"


def image_url(public_base_url: str, slug: str, name: str) -> str:
    """One image of the update ``slug``, by its :func:`image_name`."""
    return public_url(public_base_url, f"/news/{quote(slug, safe='')}/images/{quote(name, safe='')}")


def tagged_url(url: str, parameter: str, tag: str) -> str:
    """``url`` with ``parameter=tag`` in its query (replacing any earlier value)."""
    parts = urlsplit(url)
    kept = [p for p in parts.query.split("&") if p and p.split("=", 1)[0] != parameter]
    query = "&".join([*kept, urlencode({parameter: tag})])
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))
