"""The Facebook channel: posts on a force or neighbourhood Page through the Graph API.

Each account gets its own :class:`~channels.facebook.graph.GraphClient`, bound
to the Graph host and version from Crier's config and to the Page access token.
This module knows what Graph's answers mean for a Page post: its error codes,
its rate-limit headers, and the wording the officer sees.
"""
from __future__ import annotations

import datetime as dt
import json
import math
import re
from typing import Any, Callable, Mapping

import requests

from .._http import Platform, retry_after
from ..base import (
    Channel,
    ChannelConfig,
    ChannelError,
    Image,
    OutcomeUnknownError,
    PermanentError,
    Post,
    Problem,
    PublishResult,
    TransientError,
    register,
)
from .graph import GraphClient, GraphError
from .reads import FacebookReads

#: Facebook's limit on a post's text.
MAX_POST_CHARS = 63_206
#: Wait after a rate limit when Graph does not say how long (it sends no reset header).
RATE_LIMIT_WAIT = 60.0
#: How far back find_recent reads a Page's feed, in pages of FEED_PAGE_SIZE posts.
FEED_PAGES = 5
FEED_PAGE_SIZE = 100

RATE_LIMIT_CODES = frozenset({4, 17, 32, 341, 613}) | frozenset(range(80000, 80100))
TEMPORARY_CODES = frozenset({1, 2})
TOKEN_CODES = frozenset({102, 104, 190})
PERMISSION_CODES = frozenset({3, 10}) | frozenset(range(200, 300))
BLOCKED_CODE = 368
DUPLICATE_CODE = 506
INVALID_CODE = 100
DEPRECATED_CODES = frozenset({12, 2500, 2635})
LINK_SCRAPE_CODE = 1609005
MISSING_OBJECT_SUBCODE = 33
#: Calls that make or change a post: a lost answer may mean they took effect.
WRITES = ("publish", "edit")

_OBJECT_ID = re.compile(r"^\d+(_\d+)?$")
_USAGE_HEADERS = ("X-Business-Use-Case-Usage", "X-Page-Usage", "X-App-Usage")
#: Where a Page post lives on the web.
POST_URL = "https://www.facebook.com/{post_id}"
FACEBOOK = Platform("Facebook", address="CRIER_FACEBOOK_GRAPH_URL",
                    unknown_next="Crier will check the page before trying again.")


class PostGoneError(PermanentError):
    """The post is no longer on Facebook (deleted there, or never made)."""


def _facebook_length(text: str) -> int:
    # Counted in UTF-16 units, as Facebook's web stack does; never less than the code points,
    # so a text that passes here is not refused for length.
    return len(text.encode("utf-16-le")) // 2


def _normalise(text: str | None) -> str:
    return (text or "").replace("\r\n", "\n").strip()


def _feed_text(text: str, post: Post) -> str:
    """The feed post's message: with photos attached there is no link preview, so the link goes in the text."""
    if post.images and post.link and post.link not in text:
        return f"{text}\n\n{post.link}"
    return text


def _post_url(post_id: str) -> str:
    return POST_URL.format(post_id=post_id)


@register
class FacebookChannel(FacebookReads, Channel):
    """A Facebook Page, posted to with a Page access token.

    Credentials: ``page_id``, ``page_access_token`` and, when the Facebook app
    requires signed calls, ``app_secret``.
    """

    kind = "facebook"
    supports_edit = True
    #: A post's photos cannot be swapped by an edit: a correction that changes them replaces the post.
    replaces_on_image_change = True

    def __init__(self, credentials: dict[str, Any], config: ChannelConfig):
        super().__init__(credentials, config)
        page_id = str(credentials.get("page_id") or "").strip()
        token = str(credentials.get("page_access_token") or "").strip()
        if not page_id or not token:
            raise PermanentError(
                "This Facebook page's connection is incomplete (its page ID or access token "
                "is missing). Reconnect the page in Crier.",
                reconnect=True,
            )
        if not page_id.isdigit():
            raise PermanentError(f"{page_id!r} is not a Facebook Page id: Page ids are numbers.",
                                 reconnect=True)
        self.page_id = page_id
        self.graph = GraphClient(
            token,
            base_url=config.facebook_graph_url,
            version=config.facebook_graph_version,
            timeout=config.timeout,
            app_secret=(str(credentials.get("app_secret") or "").strip() or None),
        )

    # Text ---------------------------------------------------------------
    @classmethod
    def check(cls, text: str, link: str | None = None) -> list[Problem]:
        """Problems with ``text`` as a Facebook post: empty, or over Facebook's 63,206 characters."""
        problems: list[Problem] = []
        if not (text or "").strip():
            problems.append(Problem("The Facebook post has no text.", code="empty"))
        length = _facebook_length(text or "")
        if length > MAX_POST_CHARS:
            problems.append(
                Problem(
                    f"The Facebook post is {length:,} characters long; Facebook allows "
                    f"{MAX_POST_CHARS:,}. Shorten it or write a Facebook version.",
                    code="too_long",
                )
            )
        if link and not re.match(r"^https?://[^\s/]+", link):
            problems.append(
                Problem("The link to the full update is not a web address.", code="bad_link")
            )
        return problems

    @classmethod
    def render(cls, text: str, link: str | None = None) -> list[str]:
        """The post exactly as Facebook carries it: the text alone (the link travels beside it)."""
        return [text]

    @classmethod
    def part_problems(cls, part: str) -> list[str]:
        """A Page post must have text and fit Facebook's 63,206 characters."""
        problems = []
        if not part.strip():
            problems.append("It is empty.")
        length = _facebook_length(part)
        if length > MAX_POST_CHARS:
            problems.append(f"It is {length:,} characters long; Facebook allows {MAX_POST_CHARS:,}.")
        return problems

    # Platform -----------------------------------------------------------
    def _publish(self, post: Post, reply_to: str | None, posted: tuple[str, ...],
                 on_part: Callable[[str], None]) -> PublishResult:
        """Post on the Page's feed; a post already made (``posted``) is not made again.

        Images are uploaded to the Page unpublished first (``POST /{page}/photos``,
        ``published=false``, with ``alt_text_custom``), then attached to the feed
        post (``attached_media``). An unpublished photo shows nowhere, so one left
        by an attempt that never posted is harmless. Page posts are not threaded,
        so ``reply_to`` is not used: corrections edit the post.
        """
        if posted:
            return self._result(posted[0], posted[1:])
        data: dict[str, Any] = {"message": _feed_text(self.stored_parts(post)[0], post)}
        photos = [self._upload_photo(image) for image in post.images]
        for index, photo_id in enumerate(photos):
            data[f"attached_media[{index}]"] = json.dumps({"media_fbid": photo_id})
        if post.link and not photos:
            data["link"] = post.link
        answer = self._call("publish", self.graph.post, f"{self.page_id}/feed", **data)
        post_id = str(answer.get("id") or "") if isinstance(answer, dict) else ""
        if not post_id:
            raise OutcomeUnknownError(
                "Facebook accepted the post but did not say which post it made. Crier will "
                "look for it on the page before trying again."
            )
        on_part(post_id)
        return self._result(post_id, tuple(photos))

    def _upload_photo(self, image: Image) -> str:
        """Upload one image to the Page, unpublished, with its alt text; the photo's id."""
        answer = self._call("upload", self.graph.upload, f"{self.page_id}/photos",
                            files={"source": ("image", image.data, image.content_type)},
                            published="false", alt_text_custom=image.alt)
        photo_id = str(answer.get("id") or "") if isinstance(answer, dict) else ""
        if not photo_id:
            raise TransientError("Facebook took the photo without saying its id. Crier will try again.")
        return photo_id

    def edit(self, remote_id: str, post: Post) -> PublishResult:
        """Replace the live post's text (Facebook keeps the original link)."""
        post_id = self._object_id(remote_id)
        message = _feed_text(self.stored_parts(post)[0], post)
        answer = self._call("edit", self.graph.post, post_id, message=message)
        if not (isinstance(answer, dict) and answer.get("success") is True):
            raise PermanentError("Facebook did not accept the change to the post.")
        return self._result(post_id)

    def delete(self, remote_id: str) -> None:
        """Delete the post; one already gone from Facebook counts as deleted."""
        post_id = self._object_id(remote_id)
        try:
            self._call("delete", self.graph.delete, post_id)
        except PostGoneError:
            return

    def verify(self) -> str:
        """The Page's name, read with its own token: the id must be numeric and the token must open it."""
        answer = self._call("read", self.graph.get, self.page_id, fields="id,name")
        if not isinstance(answer, dict) or str(answer.get("id")) != str(self.page_id):
            raise PermanentError("This token does not open that Facebook Page.", reconnect=True)
        return str(answer.get("name") or self.page_id)

    def find_recent(self, post: Post, *, since: dt.datetime | None = None) -> PublishResult | None:
        """The newest post on the Page whose text is the stored post's (made after ``since``), if any."""
        if not post.parts:
            return None
        wanted = _normalise(_feed_text(post.parts[0], post))
        args: dict[str, Any] = {"fields": "id,message,created_time", "limit": FEED_PAGE_SIZE}
        if since is not None:
            if since.tzinfo is None:
                since = since.replace(tzinfo=dt.timezone.utc)
            # Graph's `since` is whole seconds; round down so the post's own second is included.
            args["since"] = math.floor(since.timestamp())
        for _ in range(FEED_PAGES):
            answer = self._call("read", self.graph.get, f"{self.page_id}/feed", **args)
            if not isinstance(answer, dict):
                return None
            for item in answer.get("data") or []:
                if item.get("id") and _normalise(item.get("message")) == wanted:
                    return self._result(str(item["id"]))
            paging = answer.get("paging") or {}
            after = (paging.get("cursors") or {}).get("after")
            if not (paging.get("next") and after):
                return None
            args["after"] = after
        return None

    def close(self) -> None:
        """Release the HTTP connections."""
        self.graph.close()

    # Helpers ------------------------------------------------------------
    def _result(self, post_id: str, photos: tuple[str, ...] = ()) -> PublishResult:
        # The photos ride along as parts, so that a withdrawal deletes them with the post.
        return PublishResult(remote_id=post_id, url=_post_url(post_id), part_ids=(post_id, *photos))

    def _object_id(self, remote_id: str) -> str:
        post_id = str(remote_id or "").strip()
        if not _OBJECT_ID.match(post_id):
            raise PermanentError(f"{remote_id!r} is not a Facebook post id.")
        return post_id

    def _call(self, action: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run one Graph call and turn its failures into Crier's channel errors."""
        try:
            return fn(*args, **kwargs)
        except GraphError as exc:
            raise self._graph_failure(exc, action) from exc
        except requests.RequestException as exc:
            # Not chained: the exception's text holds the URL and its query.
            raise FACEBOOK.request_failure(exc, writes=action in WRITES) from None

    def _graph_read(self, path: str, **params: Any) -> Any:
        """One Graph read whose Graph errors the caller reads itself; a lost answer is classified."""
        try:
            return self.graph.get(path, **params)
        except requests.RequestException as exc:
            raise FACEBOOK.request_failure(exc, writes=False) from None

    def _call_failure(self, exc: GraphError) -> ChannelError:
        """A Graph error answer to a read, classified."""
        return self._graph_failure(exc, "read")

    def _graph_failure(self, exc: GraphError, action: str) -> ChannelError:
        """Classify a Graph error answer."""
        code, status, subcode, said = exc.code, exc.status, exc.subcode, exc.message
        if code in RATE_LIMIT_CODES:
            wait = _usage_wait(exc.headers) or RATE_LIMIT_WAIT
            return TransientError(
                "Facebook is limiting how many requests Crier can make for this page just "
                f"now. Crier will try again in about {_minutes(wait)}.",
                retry_after=wait,
            )
        if code in TEMPORARY_CODES:
            return TransientError("Facebook had a temporary problem. Crier will try again shortly.")
        if code in TOKEN_CODES:
            return PermanentError(
                "Facebook no longer accepts this page's access token (it has expired or been "
                "revoked, for example after a password change). Reconnect the page in Crier.",
                reconnect=True,
            )
        if code in PERMISSION_CODES:
            return PermanentError(
                "The page has not granted Crier permission to post. A page admin must "
                "reconnect the page in Crier and allow it to publish.",
                reconnect=True,
            )
        if code == BLOCKED_CODE:
            return PermanentError(
                "Facebook has blocked this page from posting for now because of its "
                "community standards. A page admin should check the page's notifications "
                "on Facebook."
            )
        if code == DUPLICATE_CODE:
            return PermanentError(
                "Facebook refused the post as a duplicate: the page has just posted the same "
                "text. Change the wording if it needs to go out again."
            )
        if code in DEPRECATED_CODES:
            return PermanentError(
                f"Facebook does not accept the Graph API version Crier is set to use "
                f"({self.graph.version}). An administrator must update "
                "CRIER_FACEBOOK_GRAPH_VERSION."
            )
        if code == LINK_SCRAPE_CODE:
            return PermanentError(
                "Facebook could not read the link to the full update. Check that the "
                "website page is public, then try again."
            )
        if code == INVALID_CODE:
            if "appsecret_proof" in said:
                return PermanentError(
                    "Facebook rejected Crier's signature for this page: the app secret in "
                    "the page's connection is missing or wrong. Reconnect the page in Crier.",
                    reconnect=True,
                )
            if subcode == MISSING_OBJECT_SUBCODE and action in ("edit", "delete"):
                return PostGoneError("The post is no longer on Facebook.")
            return PermanentError(f"Facebook refused the request as invalid ({said}).")
        if code is None:
            # No Graph error object: a front end or proxy answered, or the URL is not Graph's.
            failure = FACEBOOK.status_failure(status, exc.headers, writes=action in WRITES)
            return failure or PermanentError(f"Facebook answered HTTP {status} without saying why. Check "
                                             "that CRIER_FACEBOOK_GRAPH_URL points at the Graph API.")
        if exc.is_transient or status >= 500:
            return TransientError(f"Facebook had a temporary problem ({said}). Crier will try again.")
        return PermanentError(f"Facebook refused the request ({said or 'no reason given'}).")


def _usage_wait(headers: Mapping[str, str]) -> float | None:
    """Seconds until Graph lifts a throttle, from its usage headers (given there in minutes)."""
    minutes: list[float] = []
    for name in _USAGE_HEADERS:
        raw = headers.get(name)
        if not raw:
            continue
        try:
            usage = json.loads(raw)
        except ValueError:
            continue
        entries: list[Any] = []
        if isinstance(usage, dict) and "estimated_time_to_regain_access" in usage:
            entries.append(usage)
        elif isinstance(usage, dict):
            for value in usage.values():
                entries.extend(value if isinstance(value, list) else [value])
        for entry in entries:
            if isinstance(entry, dict):
                try:
                    minutes.append(float(entry.get("estimated_time_to_regain_access") or 0))
                except (TypeError, ValueError):
                    continue
    longest = max(minutes, default=0.0)
    return longest * 60 if longest > 0 else retry_after(headers)


def _minutes(seconds: float) -> str:
    count = max(1, math.ceil(seconds / 60))
    return "1 minute" if count == 1 else f"{count} minutes"
