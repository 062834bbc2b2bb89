"""Images on X through the X API v2 media endpoints.

tweepy's own upload helpers call the retired v1.1 upload host, so Crier calls
the v2 endpoints itself, signed with tweepy's OAuth 1.0a handler, at
``config.x_upload_url`` (X's API host unless ``CRIER_X_UPLOAD_URL`` says otherwise):

- ``POST /2/media/upload`` (multipart ``media``, ``media_category=tweet_image``,
  ``media_type``) for a small image, in one request;
- ``POST /2/media/upload/initialize`` (JSON ``media_type``, ``total_bytes``,
  ``media_category``), ``POST /2/media/upload/{id}/append`` (multipart ``media``,
  ``segment_index``) and ``POST /2/media/upload/{id}/finalize`` for a larger one;
- ``POST /2/media/metadata`` (JSON ``{"id", "metadata": {"alt_text": {"text"}}}``)
  for its alt text.

The media ids then go on the post (``media.media_ids``). An upload makes
nothing public: if the post is never made (the worker dies, the call fails)
the upload is an orphan that X discards, and the next attempt uploads again.
"""
from __future__ import annotations

import logging
from typing import Any, Sequence

import requests
import tweepy

from .._http import BoundSession, Platform, status_phrase
from ..base import ChannelConfig, ChannelError, Image, PermanentError, TransientError

log = logging.getLogger(__name__)

#: Images up to this size go in one request; larger ones in chunks of CHUNK_BYTES.
ONE_SHOT_MAX = 1024 * 1024
CHUNK_BYTES = 512 * 1024
#: X's limit on an image (and on alt text).
MAX_IMAGE_BYTES = 5 * 1024 * 1024
MAX_ALT_CHARS = 1000
X_UPLOAD = Platform("X", address="CRIER_X_UPLOAD_URL (or CRIER_X_API_URL)",
                    unknown_next="Crier will upload the image again; an unused upload is discarded by X.")


def _reason(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}{status_phrase(response.status_code)}"
    details = [str(e.get("message")) for e in body.get("errors") or [] if isinstance(e, dict) and e.get("message")]
    if body.get("detail"):
        details.insert(0, str(body["detail"]))
    return "; ".join(dict.fromkeys(details)) or f"HTTP {response.status_code}"


class XMediaUploader:
    """Uploads a post's images for one X account and sets their alt texts."""

    def __init__(self, credentials: dict[str, Any], config: ChannelConfig):
        handler = tweepy.OAuth1UserHandler(credentials["consumer_key"], credentials["consumer_secret"],
                                           credentials["access_token"], credentials["access_token_secret"])
        self.session = BoundSession(config.x_upload_url or config.x_api_url, config.timeout)
        self.session.auth = handler.apply_auth()

    def upload_all(self, images: Sequence[Image]) -> list[str]:
        """Upload every image with its alt text; their media ids, in order."""
        ids = []
        for number, image in enumerate(images, 1):
            if image.size > MAX_IMAGE_BYTES:
                raise PermanentError(f"Image {number} is {image.size:,} bytes; X takes at most "
                                     f"{MAX_IMAGE_BYTES:,}. Nothing was posted.")
            media_id = self._one_shot(image) if image.size <= ONE_SHOT_MAX else self._chunked(image)
            self._call("/2/media/metadata", json={"id": media_id,
                                                  "metadata": {"alt_text": {"text": image.alt[:MAX_ALT_CHARS]}}})
            log.info("uploaded image %d of %d to X as media %s", number, len(images), media_id)
            ids.append(media_id)
        return ids

    def _one_shot(self, image: Image) -> str:
        answer = self._call("/2/media/upload", data={"media_category": "tweet_image",
                                                     "media_type": image.content_type},
                            files={"media": ("image", image.data, image.content_type)})
        return self._media_id(answer)

    def _chunked(self, image: Image) -> str:
        media_id = self._media_id(self._call("/2/media/upload/initialize", json={
            "media_type": image.content_type, "total_bytes": image.size, "media_category": "tweet_image"}))
        for index, start in enumerate(range(0, image.size, CHUNK_BYTES)):
            chunk = image.data[start:start + CHUNK_BYTES]
            self._call(f"/2/media/upload/{media_id}/append", data={"segment_index": str(index)},
                       files={"media": ("chunk", chunk, "application/octet-stream")})
        answer = self._call(f"/2/media/upload/{media_id}/finalize")
        processing = ((answer.get("data") or {}).get("processing_info") or {})
        if processing.get("state") in ("pending", "in_progress"):
            raise TransientError("X is still processing the image. Crier will try again.",
                                 retry_after=float(processing.get("check_after_secs") or 5))
        if processing.get("state") == "failed":
            raise PermanentError("X could not process the image. Nothing was posted.")
        return self._media_id(answer)

    @staticmethod
    def _media_id(answer: dict[str, Any]) -> str:
        media_id = str((answer.get("data") or {}).get("id") or "")
        if not media_id:
            raise TransientError("X answered the upload without a media id. Crier will try again.")
        return media_id

    def _call(self, path: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = self.session.post(path, **kwargs)
        except requests.RequestException as exc:
            # An upload shows nothing: a lost answer leaves at most an orphan, so it is simply retried.
            raise X_UPLOAD.request_failure(exc, writes=False) from None
        try:
            return self._answer(response)
        finally:
            response.close()

    @staticmethod
    def _answer(response: requests.Response) -> dict[str, Any]:
        status = response.status_code
        if 200 <= status < 300:
            try:
                body = response.json()
            except ValueError:
                body = None
            if not isinstance(body, dict):
                raise TransientError("X answered the upload with something that is not JSON. Crier will "
                                     "try again.")
            return body
        failure: ChannelError | None = X_UPLOAD.status_failure(status, response.headers, writes=False)
        if failure is not None:
            raise failure
        if status == 401:
            raise PermanentError("X did not accept this account's sign-in. Reconnect the account in Crier.",
                                 reconnect=True)
        if status == 413:
            raise PermanentError(f"X refused the image as too large ({_reason(response)}). Nothing was posted.")
        raise PermanentError(f"X refused the image ({_reason(response)}). Nothing was posted.")

    def close(self) -> None:
        """Release the connections."""
        self.session.close()
