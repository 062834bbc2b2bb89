"""API route for images: ``POST /media`` (multipart ``file``)."""
from __future__ import annotations

from flask import request
from werkzeug.exceptions import RequestEntityTooLarge

from workflow.accounts.policy import Action
from workflow.core.errors import ValidationError
from workflow.core.runtime import settings_of
from workflow.media import service as media
from workflow.media.images import MediaTooLargeError

from ..auth import api_may
from ..context import db
from .base import answer, bp
from .schemas import MediaUploaded


@bp.post("/media")
@api_may(Action.DRAFT)
def upload_media(user):
    limit = settings_of(db()).media_max_bytes
    # The app's request limit is for JSON; an upload may be as large as the image limit (plus the form).
    request.max_content_length = limit + 64 * 1024
    try:
        file = request.files.get("file") if request.mimetype == "multipart/form-data" else None
    except RequestEntityTooLarge:
        raise MediaTooLargeError(f"the file is over the limit of {limit:,} bytes", field="file") from None
    if file is None:
        exc = ValidationError("send the image as multipart/form-data in the field file", field="file")
        exc.status, exc.code = 400, "bad_request"
        raise exc
    # Read at most one byte past the limit: a larger file is refused without holding it all.
    data = file.stream.read(limit + 1)
    created = media.upload(db(), user, data)
    return answer(MediaUploaded.of(created), 201)
