"""The website channel: Crier's own public news pages, and an optional signed webhook to the force CMS.

Crier serves the pages itself (``web.public``): a message is on the website as
soon as its website delivery is recorded as sent, so publishing needs no remote
call. When the account's credentials carry a ``webhook_url``, each update is
also POSTed to the force CMS as JSON, signed with the account's
``webhook_secret``.

The webhook request
-------------------
Body: a JSON object with ``event`` ("published", "corrected" or "withdrawn"),
``slug``, ``url``, ``text``, ``title``, ``incident``, ``version``,
``change_note``, ``images`` (each verified image as Crier's website serves it:
``url``, ``alt``, ``content_type``, ``width``, ``height``, ``bytes`` and
``sha256``; empty for a withdrawal) and ``time`` (when Crier sent it, ISO 8601
in UTC).

Headers:

``X-Crier-Timestamp``
    Unix time in whole seconds when the request was signed.
``X-Crier-Signature``
    ``sha256=`` and the lower-case hex HMAC-SHA256, keyed with the UTF-8 bytes
    of ``webhook_secret``, of exactly: the timestamp's ASCII digits, one ``.``
    byte, then the raw request body bytes. The CMS should recompute it over
    the body as received, compare in constant time and refuse old timestamps.
``Idempotency-Key``
    ``<slug>-v<version>-<event>`` (``<slug>-withdrawn`` for a withdrawal, which
    names no version). Crier cannot ask the CMS what it already holds, so after
    a lost answer it sends the same update again with the same key: the CMS
    must treat a repeated key as the same update, not a new one.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import time
from typing import Any, Callable, Mapping

import requests

from .._http import BoundSession, Platform, status_phrase
from ..base import (
    Channel,
    ChannelConfig,
    ChannelError,
    Image,
    PermanentError,
    Post,
    Problem,
    PublishResult,
    TransientError,
    register,
)
from .address import webhook_url_problem
from .urls import image_name, image_url, page_url

SIGNATURE_HEADER = "X-Crier-Signature"
TIMESTAMP_HEADER = "X-Crier-Timestamp"
IDEMPOTENCY_HEADER = "Idempotency-Key"
EVENT_PUBLISHED = "published"
EVENT_CORRECTED = "corrected"
EVENT_WITHDRAWN = "withdrawn"
CMS = Platform("the force CMS", address="the website account's webhook address",
               unknown_next="Crier will send it again with the same idempotency key.")


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Crier-Signature`` value for ``body`` sent at ``timestamp`` (see the module docstring)."""
    material = timestamp.encode("ascii") + b"." + body
    digest = hmac.new(secret.encode("utf-8"), material, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


@register
class WebsiteChannel(Channel):
    """The force website. Credentials (all optional): ``webhook_url``, ``webhook_secret``."""

    kind = "website"
    supports_edit = True

    def __init__(self, credentials: dict[str, Any], config: ChannelConfig):
        super().__init__(credentials, config)
        url = str(credentials.get("webhook_url") or "").strip()
        secret = str(credentials.get("webhook_secret") or "")
        if url:
            problem = webhook_url_problem(url, config.webhook_allowed_hosts, resolve=False)
            if problem:
                raise PermanentError(f"The website's CMS webhook address {problem}. Fix it in the "
                                     "website account's connection.", reconnect=True)
            if not secret:
                # An unsigned update could be forged by anyone who finds the address.
                raise PermanentError(
                    "The website's CMS webhook has no signing secret. Add one to the website "
                    "account's connection.",
                    reconnect=True,
                )
        self.webhook_url = url or None
        self.webhook_secret = secret
        self._session: BoundSession | None = None

    # Text ---------------------------------------------------------------
    @classmethod
    def check(cls, text: str, link: str | None = None) -> list[Problem]:
        """Problems with ``text`` as a website update: only an empty text (pages have no length limit)."""
        if not (text or "").strip():
            return [Problem("The website update has no text.", code="empty")]
        return []

    @classmethod
    def render(cls, text: str, link: str | None = None) -> list[str]:
        """The update exactly as the page shows it: the text alone (the page is the link)."""
        return [text]

    @classmethod
    def part_problems(cls, part: str) -> list[str]:
        """A website update must have text; pages have no length limit."""
        return [] if part.strip() else ["It is empty."]

    # Platform -----------------------------------------------------------
    def _publish(self, post: Post, reply_to: str | None, posted: tuple[str, ...],
                 on_part: Callable[[str], None]) -> PublishResult:
        """Put the update on the website: tell the CMS (if configured), then return the page.

        The page itself goes live when the engine records the delivery as sent.
        An update already announced (``posted``) is not sent again.
        """
        slug = self._slug(post.slug)
        result = self._result(slug)
        if posted:
            return result
        self.stored_parts(post)
        if self.webhook_url:
            self._send(EVENT_PUBLISHED, self._payload(EVENT_PUBLISHED, slug, post),
                       f"{slug}-v{post.version}-{EVENT_PUBLISHED}")
        on_part(slug)
        return result

    def edit(self, remote_id: str, post: Post) -> PublishResult:
        """Correct the page: tell the CMS (if configured); the page shows the new version once sent."""
        slug = self._slug(remote_id)
        self.stored_parts(post)
        if self.webhook_url:
            self._send(EVENT_CORRECTED, self._payload(EVENT_CORRECTED, slug, post),
                       f"{slug}-v{post.version}-{EVENT_CORRECTED}")
        return self._result(slug)

    def delete(self, remote_id: str) -> None:
        """Withdraw the page: tell the CMS (if configured); the page answers 410 Gone once recorded."""
        slug = self._slug(remote_id)
        if self.webhook_url:
            self._send(EVENT_WITHDRAWN, self._payload(EVENT_WITHDRAWN, slug, None),
                       f"{slug}-{EVENT_WITHDRAWN}")

    def find_recent(self, post: Post, *, since: dt.datetime | None = None) -> PublishResult | None:
        """Reconcile after an unknown outcome.

        Without a webhook the page is Crier's own and nothing remote can be
        half-done, so the page is the result. The CMS cannot be queried, so with
        a webhook this answers None and the engine sends again; the
        ``Idempotency-Key`` makes the repeat harmless.
        """
        if self.webhook_url:
            return None
        return self._result(self._slug(post.slug))

    def close(self) -> None:
        """Release the HTTP connections."""
        if self._session is not None:
            self._session.close()
            self._session = None

    # Helpers ------------------------------------------------------------
    def _slug(self, value: str | None) -> str:
        slug = str(value or "").strip()
        if not slug:
            raise PermanentError("The website update has no page address (slug).")
        return slug

    def _result(self, slug: str) -> PublishResult:
        return PublishResult(remote_id=slug, url=page_url(self.config.public_base_url, slug),
                             part_ids=(slug,))

    def _payload(self, event: str, slug: str, post: Post | None) -> dict[str, Any]:
        return {
            "event": event,
            "slug": slug,
            "url": page_url(self.config.public_base_url, slug),
            "text": post.parts[0] if post else None,
            "title": post.title if post else None,
            "incident": post.incident_slug if post else None,
            "version": post.version if post else None,
            "change_note": post.change_note if post else None,
            "images": [self._image(slug, number, image) for number, image in enumerate(post.images, 1)]
            if post else [],
            "time": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z"),
        }

    def _image(self, slug: str, number: int, image: Image) -> dict[str, Any]:
        """One image as the CMS may fetch it from Crier's page: address, alt text, type, size and digest."""
        return {"url": image_url(self.config.public_base_url, slug, image_name(number, image.sha256,
                                                                             image.content_type)),
                "alt": image.alt, "content_type": image.content_type, "width": image.width,
                "height": image.height, "bytes": image.size, "sha256": image.sha256}

    def _http(self) -> BoundSession:
        if self._session is None:
            self._session = BoundSession(self.webhook_url, self.config.timeout)
        return self._session

    def _send(self, event: str, payload: Mapping[str, Any], idempotency_key: str) -> None:
        """POST one signed update to the CMS and classify its answer."""
        # Looked up again before every request: the host's addresses may have changed.
        problem = webhook_url_problem(self.webhook_url, self.config.webhook_allowed_hosts)
        if problem == "has a host name that does not resolve":
            raise TransientError("The force CMS's address could not be looked up. Crier will try again.")
        if problem:
            raise PermanentError(f"The website's CMS webhook address {problem}: nothing was sent. "
                                 "Fix it in the website account's connection.", reconnect=True)
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "Crier website webhook",
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(self.webhook_secret, timestamp, body),
            IDEMPOTENCY_HEADER: idempotency_key,
        }
        try:
            response = self._http().post(self.webhook_url, data=body, headers=headers, allow_redirects=False)
        except requests.RequestException as exc:
            # Not chained: the exception's text may carry the webhook address and its query.
            # Withdrawing twice is harmless (same Idempotency-Key; a gone page is fine): a lost
            # answer to a withdrawal is simply retried.
            raise CMS.request_failure(exc, writes=event != EVENT_WITHDRAWN) from None
        try:
            failure = _answer_failure(response, event)
        finally:
            response.close()
        if failure is not None:
            raise failure


def _answer_failure(response: requests.Response, event: str) -> ChannelError | None:
    """Classify the CMS's answer; None when it accepted the update."""
    status = response.status_code
    if 200 <= status < 300:
        return None
    if status == 410 and event == EVENT_WITHDRAWN:
        return None  # the CMS no longer has the page: that is what a withdrawal wants
    failure = CMS.status_failure(status, response.headers, writes=event != EVENT_WITHDRAWN)
    if failure is not None:
        return failure
    # The standard phrase of the status only: the answer's body and reason line are the
    # CMS's to choose, and copied into the delivery's last error they would show the desk anything.
    reason = status_phrase(status)
    if status in (401, 403):
        return PermanentError(
            f"The force CMS refused Crier's signed update (HTTP {status}{reason}). Check the "
            "webhook secret in the website account's connection.",
            reconnect=True,
        )
    if 300 <= status < 400:
        return PermanentError(
            f"The force CMS webhook address redirects elsewhere (HTTP {status}). Set the final "
            "address in the website account's connection."
        )
    return PermanentError(f"The force CMS refused the update (HTTP {status}{reason}).")
