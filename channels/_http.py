"""The HTTP plumbing every adapter shares: one session shape and one reading of failures.

A :class:`BoundSession` sends each request to one configured base URL with the
configured ``(connect, read)`` timeout. :class:`Platform`'s ``status_failure`` and
``request_failure`` turn a platform's HTTP answer or a requests exception
into Crier's error classes: try again later (:class:`TransientError`), the post
may be live (:class:`OutcomeUnknownError`), or retrying will not help
(:class:`PermanentError`). What an answer means on one platform (its error
codes, its words) stays in that platform's adapter.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import math
import time
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from typing import Any, Mapping

import requests
import urllib3.exceptions

from .base import ChannelError, OutcomeUnknownError, PermanentError, TransientError

#: Errors raised before any request is built: the configured address is unusable.
BAD_ADDRESS_ERRORS = (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema,
                      requests.exceptions.InvalidSchema)
#: Errors raised before a byte of the request could reach the platform.
NOT_SENT_ERRORS = (requests.exceptions.ConnectTimeout, requests.exceptions.SSLError,
                   requests.exceptions.ProxyError, *BAD_ADDRESS_ERRORS)


class BoundSession(requests.Session):
    """A requests session that sends only to ``base_url`` and applies ``timeout`` to each request.

    A relative URL is joined to ``base_url``; an absolute one must lie under it.
    """

    def __init__(self, base_url: str, timeout: tuple[float, float]):
        super().__init__()
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def resolve(self, url: str) -> str:
        """The URL to send ``url`` to; refuses one outside ``base_url``."""
        if "://" not in url:
            return f"{self.base_url}/{url.lstrip('/')}"
        if url != self.base_url and not url.startswith(self.base_url + "/"):
            raise requests.exceptions.InvalidURL(f"refusing to send a request outside {self.base_url}")
        return url

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        """Send one request to the configured platform, with the configured timeout."""
        url = url.decode() if isinstance(url, bytes) else url
        kwargs["timeout"] = self.timeout
        return super().request(method, self.resolve(url), *args, **kwargs)


def never_sent(exc: BaseException) -> bool:
    """Whether a requests error happened before the request could reach the platform.

    Refused, unreachable and unresolvable hosts, connect timeouts, TLS and proxy
    failures and unusable addresses: nothing was sent. A read timeout, a reset or
    a dropped connection may have come after the platform read the request.
    """
    if isinstance(exc, NOT_SENT_ERRORS):
        return True
    seen: set[int] = set()
    stack: list[BaseException] = [exc]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        # NewConnectionError (refused, unreachable) and NameResolutionError derive from ConnectTimeoutError.
        if isinstance(current, urllib3.exceptions.ConnectTimeoutError):
            return True
        # Only errors wrapped on purpose are followed: an earlier error caught in
        # passing must not make a sent request look unsent.
        linked = [getattr(current, "reason", None), *current.args]
        stack.extend(e for e in linked if isinstance(e, BaseException))
    return False


@dataclasses.dataclass(frozen=True)
class Platform:
    """One platform as its failures are told to the officer.

    ``name`` is how a sentence names it ("X", "the force CMS"); ``address`` names
    the setting that holds its address; ``unknown_next`` says what Crier does
    after an unknown outcome.
    """

    name: str
    address: str
    unknown_next: str

    @property
    def subject(self) -> str:
        """``name`` at the start of a sentence."""
        return self.name[:1].upper() + self.name[1:]

    def request_failure(self, exc: requests.RequestException, *, writes: bool) -> ChannelError:
        """Classify a failure to get any answer; ``writes``: the call makes or changes a post.

        A lost answer to a write may mean the post is live (unknown outcome); to
        anything else it is transient, as is a request that never left.
        """
        what = type(exc).__name__
        if isinstance(exc, BAD_ADDRESS_ERRORS):
            return PermanentError(f"Crier's address for {self.name} ({self.address}) is not a valid web "
                                  "address. An administrator must correct it.")
        if never_sent(exc):
            return TransientError(f"Could not reach {self.name} ({what}). Crier will try again.")
        if writes:
            return OutcomeUnknownError(f"{self.subject} did not answer after Crier sent the request ({what}), "
                                       f"so it may or may not have gone through. {self.unknown_next}")
        if isinstance(exc, requests.exceptions.Timeout):
            return TransientError(f"{self.subject} did not answer in time ({what}). Crier will try again.")
        return TransientError(f"The connection to {self.name} broke ({what}). Crier will try again.")

    def status_failure(self, status: int, headers: Mapping[str, str], *, writes: bool) -> ChannelError | None:
        """Classify a failure status that is not the platform's to explain; None for any other status.

        429 and 408 are transient (waiting as long as the answer says), 5xx too; a
        504 on a write is an unknown outcome, since a gateway that gave up waiting
        cannot tell whether the platform acted.
        """
        if status == 504 and writes:
            return OutcomeUnknownError(f"{self.subject} timed out after Crier sent the request (HTTP 504), so "
                                       f"it may or may not have gone through. {self.unknown_next}")
        if status == 429:
            return TransientError(f"{self.subject} is limiting how often Crier may send just now. Crier will "
                                  "try again when the limit resets.", retry_after=retry_after(headers))
        if status == 408 or status >= 500:
            return TransientError(f"{self.subject} is having problems (HTTP {status}). Crier will try again.",
                                  retry_after=retry_after(headers))
        return None


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait, from ``Retry-After`` (seconds or an HTTP date) or ``x-rate-limit-reset`` (Unix time)."""
    raw = str(headers.get("Retry-After") or "").strip()
    if raw:
        try:
            seconds = float(raw)
        except ValueError:
            try:
                when = parsedate_to_datetime(raw)
            except (TypeError, ValueError):
                return None
            if when.tzinfo is None:
                when = when.replace(tzinfo=dt.timezone.utc)
            seconds = (when - dt.datetime.now(dt.timezone.utc)).total_seconds()
        return seconds if seconds > 0 else None
    reset = str(headers.get("x-rate-limit-reset") or "").strip()
    if reset:
        try:
            return float(max(1, math.ceil(float(reset) - time.time())))
        except ValueError:
            return None
    return None


def status_phrase(status: int) -> str:
    """The standard phrase of ``status`` as ``": Bad Request"``; never the platform's own words."""
    try:
        return f": {HTTPStatus(status).phrase}"
    except ValueError:
        return ""
