"""The X simulator's media endpoints, in the X API v2 request shapes.

``POST /2/media/upload``
    one-shot upload: multipart ``media`` (the file), ``media_category``
    (``tweet_image``), optional ``media_type`` -> ``{"data": {"id", "media_key",
    "size", "expires_after_secs", "image": {"image_type", "w", "h"}}}``
``POST /2/media/upload/initialize``
    JSON ``media_type``, ``total_bytes``, ``media_category`` -> ``{"data": {"id", "media_key",
    "expires_after_secs"}}``
``POST /2/media/upload/<id>/append``
    multipart ``media`` (a chunk) and ``segment_index`` -> 200 ``{"data": {"expires_at"}}``
``POST /2/media/upload/<id>/finalize``
    the segments put together, in order -> as the one-shot answer
``POST /2/media/metadata``
    JSON ``{"id", "metadata": {"alt_text": {"text"}}}`` -> ``{"data": {"id", "associated_metadata"}}``

Like X: images only (JPEG, PNG, GIF, WebP, recognised by their bytes), at most
5 MB; alt text at most 1,000 characters; each media id belongs to the account
that uploaded it and can be attached (``media.media_ids`` on ``POST /2/tweets``,
at most 4) once finalised. Every upload is kept with its bytes, so a test can
read exactly what reached X.
"""
from __future__ import annotations

import dataclasses
import time
from typing import Any, Callable

from flask import Flask, Response, jsonify, request

from .responses import invalid_request, problem
from .state import XAccount, XState

MAX_IMAGE_BYTES = 5 * 1024 * 1024
MAX_ALT_CHARS = 1000
MAX_MEDIA_PER_POST = 4
EXPIRES_AFTER_SECS = 86400
_SIGNATURES = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"), (b"GIF87a", "image/gif"),
               (b"GIF89a", "image/gif"))


@dataclasses.dataclass
class XUpload:
    """One media upload as the simulator holds it."""

    id: str
    owner_id: str
    media_type: str
    total_bytes: int
    segments: dict[int, bytes] = dataclasses.field(default_factory=dict)
    data: bytes | None = None  # set once finalised
    alt_text: str | None = None
    created: float = dataclasses.field(default_factory=time.time)

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "media_type": self.media_type, "size": len(self.data or b""),
                "alt_text": self.alt_text, "finalized": self.data is not None}


def image_type(data: bytes) -> str | None:
    """The image type ``data`` starts like, if any (as X sniffs uploads)."""
    for signature, kind in _SIGNATURES:
        if data.startswith(signature):
            return kind
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def _media_answer(upload: XUpload) -> dict[str, Any]:
    data: dict[str, Any] = {"id": upload.id, "media_key": f"3_{upload.id}", "expires_after_secs": EXPIRES_AFTER_SECS}
    if upload.data is not None:
        data.update(size=len(upload.data), image={"image_type": upload.media_type})
    return {"data": data}


def attached_media(state: XState, account: XAccount, media: Any) -> tuple[list[str], Response | None]:
    """The media ids a ``POST /2/tweets`` body attaches (``media.media_ids``), or X's refusal."""
    if media is None:
        return [], None
    ids = media.get("media_ids") if isinstance(media, dict) else None
    if not isinstance(ids, list) or not ids or len(ids) > MAX_MEDIA_PER_POST:
        return [], invalid_request(f"media.media_ids must list 1 to {MAX_MEDIA_PER_POST} media ids.",
                                   "media.media_ids", ids)
    with state.lock:
        for media_id in ids:
            upload = state.uploads.get(str(media_id))
            if upload is None or upload.owner_id != account.user_id or upload.data is None:
                return [], invalid_request(f"Your media IDs are invalid: {media_id}.", "media.media_ids", media_id)
    return [str(i) for i in ids], None


def add_media_routes(app: Flask, state: XState, authenticate: Callable[[], XAccount | Response]) -> None:
    """Register the v2 media endpoints on the X simulator."""

    def new_upload(account: XAccount, media_type: str, total: int) -> XUpload:
        with state.lock:
            upload = XUpload(str(next(state._ids)), account.user_id, media_type, total)
            state.uploads[upload.id] = upload
            return upload

    def own(account: XAccount, media_id: str) -> XUpload | Response:
        with state.lock:
            upload = state.uploads.get(media_id)
        if upload is None or upload.owner_id != account.user_id:
            return problem(400, "Invalid Request", f"Invalid media id: {media_id}.",
                           type_="https://api.twitter.com/2/problems/invalid-request")
        return upload

    @app.post("/2/media/upload")
    def upload_one_shot():
        account = authenticate()
        if isinstance(account, Response):
            return account
        file = request.files.get("media")
        if file is None:
            return invalid_request("The media field is required.", "media", None)
        if request.form.get("media_category", "tweet_image") not in ("tweet_image", "dm_image"):
            return invalid_request("Unsupported media_category.", "media_category", request.form.get("media_category"))
        data = file.read(MAX_IMAGE_BYTES + 1)
        if len(data) > MAX_IMAGE_BYTES:
            return problem(413, "Payload Too Large", f"Image files must be smaller than {MAX_IMAGE_BYTES} bytes.")
        kind = image_type(data)
        if kind is None:
            return invalid_request("Unsupported media type.", "media", file.filename)
        upload = new_upload(account, kind, len(data))
        upload.data = data
        return jsonify(_media_answer(upload))

    @app.post("/2/media/upload/initialize")
    def upload_initialize():
        account = authenticate()
        if isinstance(account, Response):
            return account
        body = request.get_json(silent=True) or {}
        media_type, total = body.get("media_type"), body.get("total_bytes")
        if media_type not in {kind for _sig, kind in _SIGNATURES} | {"image/webp"}:
            return invalid_request("Unsupported media_type.", "media_type", media_type)
        if isinstance(total, bool) or not isinstance(total, int) or total <= 0:
            return invalid_request("total_bytes must be a positive number.", "total_bytes", total)
        if total > MAX_IMAGE_BYTES:
            return problem(413, "Payload Too Large", f"Image files must be smaller than {MAX_IMAGE_BYTES} bytes.")
        return jsonify(_media_answer(new_upload(account, media_type, total)))

    @app.post("/2/media/upload/<media_id>/append")
    def upload_append(media_id: str):
        account = authenticate()
        if isinstance(account, Response):
            return account
        upload = own(account, media_id)
        if isinstance(upload, Response):
            return upload
        file = request.files.get("media")
        try:
            index = int(request.form.get("segment_index", ""))
        except ValueError:
            return invalid_request("segment_index must be 0 to 999.", "segment_index", request.form.get("segment_index"))
        if file is None or not 0 <= index <= 999 or upload.data is not None:
            return invalid_request("A media chunk and its segment_index are required.", "media", media_id)
        chunk = file.read(MAX_IMAGE_BYTES + 1)
        with state.lock:
            upload.segments[index] = chunk
            if sum(len(c) for c in upload.segments.values()) > upload.total_bytes:
                return problem(400, "Invalid Request", "The segments exceed total_bytes.")
        return jsonify({"data": {"expires_at": int(upload.created) + EXPIRES_AFTER_SECS}})

    @app.post("/2/media/upload/<media_id>/finalize")
    def upload_finalize(media_id: str):
        account = authenticate()
        if isinstance(account, Response):
            return account
        upload = own(account, media_id)
        if isinstance(upload, Response):
            return upload
        with state.lock:
            if upload.data is None:
                data = b"".join(upload.segments[i] for i in sorted(upload.segments))
                if len(data) != upload.total_bytes or sorted(upload.segments) != list(range(len(upload.segments))):
                    return problem(400, "Invalid Request", "File size does not match total_bytes, or a segment "
                                   "is missing.")
                if image_type(data) != upload.media_type and not (
                        upload.media_type == "image/webp" and image_type(data) == "image/webp"):
                    return invalid_request("The media does not match media_type.", "media_type", upload.media_type)
                upload.data = data
        return jsonify(_media_answer(upload))

    @app.post("/2/media/metadata")
    def media_metadata():
        account = authenticate()
        if isinstance(account, Response):
            return account
        body = request.get_json(silent=True) or {}
        upload = own(account, str(body.get("id") or ""))
        if isinstance(upload, Response):
            return upload
        alt = ((body.get("metadata") or {}).get("alt_text") or {}).get("text")
        if not isinstance(alt, str) or not alt.strip():
            return invalid_request("alt_text.text is required.", "metadata.alt_text.text", alt)
        if len(alt) > MAX_ALT_CHARS:
            return invalid_request(f"alt_text.text must be at most {MAX_ALT_CHARS} characters.",
                                   "metadata.alt_text.text", len(alt))
        with state.lock:
            upload.alt_text = alt
        return jsonify({"data": {"id": upload.id, "associated_metadata": {"alt_text": {"text": alt}}}})
