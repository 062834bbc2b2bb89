"""Images in the console: upload from the compose page (drag and drop or the file picker),
and the stored (metadata-free) image for previews and the verify page."""
from __future__ import annotations

from typing import Any

from flask import Response, abort, jsonify, request, url_for
from flask_login import login_required
from werkzeug.exceptions import RequestEntityTooLarge

from workflow.core.errors import CrierError
from workflow.core.runtime import settings_of
from workflow.media import service as media
from workflow.media.images import MediaTooLargeError
from workflow.messages.versions import stored_images

from ..auth import console_user
from ..context import db
from . import bp


def image_url(media_id: int) -> str:
    """Where the console shows a stored image."""
    return url_for("console.media_file", media_id=media_id)


def images_from_form(form) -> list[dict[str, Any]] | None:
    """``[{media, alt}]`` from the compose form's image rows (None when the form has no image section)."""
    if "images-present" not in form:
        return None
    ids, alts = form.getlist("image-media"), form.getlist("image-alt")
    images = []
    for raw, alt in zip(ids, alts):
        if str(raw).strip().isdigit():
            images.append({"media": int(raw), "alt": alt})
    return images


def images_for_form(version) -> list[dict[str, Any]]:
    """The images of ``version`` as the compose form shows them."""
    return [{"media": i["media"], "alt": i["alt"]} for i in stored_images(version)] if version else []


def with_urls(images: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    return [{**i, "url": image_url(i["media"])} for i in images or []]


def upload_from_request(field: str) -> Any:
    """Store the image sent in ``field`` (refused whole with a reason); None when no file was chosen."""
    limit = settings_of(db()).media_max_bytes
    request.max_content_length = limit + 256 * 1024
    try:
        file = request.files.get(field)
    except RequestEntityTooLarge:
        raise MediaTooLargeError(f"the file is over the limit of {limit:,} bytes", field="images") from None
    if file is None or not file.filename:
        return None
    return media.upload(db(), console_user(), file.stream.read(limit + 1))


@bp.post("/media")
@login_required
def upload_image():
    """The compose page's upload: JSON with the stored image's id, size and where to show it."""
    try:
        stored = upload_from_request("file")
    except CrierError as exc:
        db().rollback()
        return jsonify({"error": {"code": exc.code, "message": exc.message}}), exc.status
    if stored is None:
        return jsonify({"error": {"code": "bad_request", "message": "choose an image file"}}), 400
    return jsonify({"id": stored.id, "width": stored.width, "height": stored.height, "bytes": stored.bytes,
                    "content_type": stored.content_type, "url": image_url(stored.id)}), 201


@bp.get("/media/<int:media_id>")
@login_required
def media_file(media_id: int):
    """A stored image for signed-in people (as it will be sent: re-encoded, without metadata)."""
    found = media.read_media(db(), media_id)
    if found is None:
        abort(404)
    stored, data = found
    response = Response(data, mimetype=stored.content_type)
    response.cache_control.private = True
    response.cache_control.max_age = 3600
    return response
