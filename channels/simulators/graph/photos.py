"""The Graph simulator's Page photos, in Graph's request shapes.

``POST /<version>/<page_id>/photos``
    multipart ``source`` (the image) or ``url``; ``published`` (``false`` for a
    photo to attach to a feed post later), ``alt_text_custom``, ``caption``
    -> ``{"id"}`` (unpublished) or ``{"id", "post_id"}`` (published: a photo post)
``attached_media[n]`` on ``POST /<page_id>/feed``
    ``{"media_fbid": <photo id>}`` each (or ``attached_media`` as a JSON list):
    unpublished photos of the same Page, at most 10 (see :func:`attached_photos`)
``DELETE /<version>/<photo_id>``
    deletes the photo (the feed's delete route hands photo ids here)

Like Graph: images only (JPEG, PNG, GIF, WebP, by their bytes), at most 10 MB
(Graph's photo limit), ``alt_text_custom`` at most 1,000 characters; a photo
already attached cannot be attached again. Every photo keeps its bytes, so a
test can read exactly what reached Facebook.
"""
from __future__ import annotations

import itertools
import json
from typing import Any, Callable, Mapping

from flask import Flask, request

from ..xapi.media import image_type
from .errors import GraphError, require_permission
from .state import GraphPage, GraphState

MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_ALT_CHARS = 1000
MAX_ATTACHED = 10
_photo_ids = itertools.count(700_000_000_000_001)


def photos_of(state: GraphState) -> dict[str, dict[str, Any]]:
    """The simulator's photos by id (made on first use, cleared with the posts)."""
    with state.lock:
        if not hasattr(state, "photos") or getattr(state, "_photos_for", None) is not state.posts:
            state.photos = {}
            state._photos_for = state.posts
        return state.photos


def attached_photos(state: GraphState, page: GraphPage, values: Mapping[str, str]) -> list[str]:
    """The photo ids a feed post attaches (``attached_media``), checked as Graph checks them."""
    raw: list[Any] = []
    if values.get("attached_media"):
        try:
            raw = list(json.loads(values["attached_media"]))
        except (ValueError, TypeError):
            raise GraphError(100, "(#100) param attached_media must be an array") from None
    for index in range(MAX_ATTACHED + 1):
        value = values.get(f"attached_media[{index}]")
        if value is None:
            break
        try:
            raw.append(json.loads(value))
        except ValueError:
            raise GraphError(100, f"(#100) attached_media[{index}] must be a JSON object") from None
    if len(raw) > MAX_ATTACHED:
        raise GraphError(100, f"(#100) A post can attach at most {MAX_ATTACHED} photos")
    photos = photos_of(state)
    ids = []
    for item in raw:
        photo_id = str(item.get("media_fbid") if isinstance(item, dict) else "")
        photo = photos.get(photo_id)
        if photo is None or photo["deleted"] or photo["page_id"] != page.page_id:
            raise GraphError(100, f"(#100) Invalid media_fbid {photo_id}: no unpublished photo of this Page")
        if photo["published"] or photo["post_id"]:
            raise GraphError(100, f"(#100) The photo {photo_id} is already published")
        ids.append(photo_id)
    return ids


def attach(state: GraphState, post: dict[str, Any], photo_ids: list[str]) -> None:
    """Record that ``post`` carries ``photo_ids`` (under the state's lock)."""
    photos = photos_of(state)
    post["attached_media"] = list(photo_ids)
    for photo_id in photo_ids:
        photos[photo_id]["post_id"] = post["id"]


def delete_photo(state: GraphState, page: GraphPage, photo_id: str) -> bool:
    """Delete one of the Page's photos; False if ``photo_id`` is no photo of it."""
    photo = photos_of(state).get(photo_id)
    if photo is None or photo["deleted"] or photo["page_id"] != page.page_id:
        return False
    photo["deleted"] = True
    return True


def add_photo_routes(app: Flask, state: GraphState, begin: Callable[..., Any], finish: Callable[..., Any]) -> None:
    """Register ``POST /<version>/<page_id>/photos`` on the Graph simulator."""

    @app.post("/<version>/<page_id>/photos")
    def upload_photo(version: str, page_id: str):
        fault, page = begin(version, is_write=True, page_id=page_id)
        require_permission(page, "pages_manage_posts")
        file = request.files.get("source")
        if file is None:
            raise GraphError(324, "(#324) Requires upload file", type_="OAuthException")
        data = file.read(MAX_PHOTO_BYTES + 1)
        if len(data) > MAX_PHOTO_BYTES:
            raise GraphError(100, "(#100) The photo is larger than 10 MB", type_="OAuthException")
        kind = image_type(data)
        if kind is None:
            raise GraphError(324, "(#324) Missing or invalid image file", type_="OAuthException")
        alt = request.values.get("alt_text_custom")
        if alt is not None and len(alt) > MAX_ALT_CHARS:
            raise GraphError(100, f"(#100) alt_text_custom must be at most {MAX_ALT_CHARS} characters")
        published = request.values.get("published", "true").lower() != "false"
        with state.lock:
            photo_id = str(next(_photo_ids))
            photo = {"id": photo_id, "page_id": page.page_id, "data": data, "content_type": kind,
                     "alt_text_custom": alt, "caption": request.values.get("caption"),
                     "published": published, "post_id": None, "deleted": False}
            photos_of(state)[photo_id] = photo
            body: dict[str, Any] = {"id": photo_id}
            if published:
                post = state.create_post(page.page_id, photo["caption"], None, version=version)
                attach(state, post, [photo_id])
                body["post_id"] = post["id"]
        return finish(fault, body)
