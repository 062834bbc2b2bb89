"""The X channel: posts, numbered threads and threaded corrections through tweepy.

Built on tweepy's ``Client`` (X API v2) with OAuth 1.0a user credentials. tweepy
hard-codes X's host and sets no timeout, so each channel gives its client an
:class:`XSession` that sends every call to ``config.x_api_url`` with
``config.timeout``. X posts cannot be edited by API: a correction is a reply.
"""
from __future__ import annotations

import datetime as dt
import html
import logging
import unicodedata
from typing import Any, Callable, ClassVar

import requests
import tweepy
from twitter_text import extract_urls_with_indices

from .._http import BoundSession, Platform
from ..base import (
    Channel,
    ChannelConfig,
    ChannelError,
    OutcomeUnknownError,
    PermanentError,
    Post,
    Problem,
    PublishResult,
    register,
)
from .media import XMediaUploader
from .reads import XReads
from .text import MAX_WEIGHTED_LENGTH, invalid_characters, split_thread, weighted_length

log = logging.getLogger(__name__)
# oauthlib logs each signing client at DEBUG, consumer key and access token
# included: credentials are never logged, whatever the log level.
for _name in ("oauthlib", "requests_oauthlib"):
    logging.getLogger(_name).setLevel(logging.INFO)

#: The hosts tweepy sends requests to; XSession redirects them to the configured URL.
TWEEPY_HOSTS = ("https://api.twitter.com", "https://api.x.com")
CREDENTIAL_KEYS = ("consumer_key", "consumer_secret", "access_token", "access_token_secret")
#: How many pages of the account's timeline reconciliation reads (100 posts a page).
RECENT_PAGES = 3
X = Platform("X", address="CRIER_X_API_URL", unknown_next="Crier will check X before sending it again.")

_TWEEPY_ERRORS = (tweepy.errors.TweepyException, requests.RequestException)


class DuplicatePostError(PermanentError):
    """X refused a post as a duplicate of one of the account's recent posts.

    After an unknown outcome this usually means the earlier attempt went out.
    """

    duplicate: ClassVar[bool] = True


class XSession(BoundSession):
    """A session that sends tweepy's calls to ``base_url`` and applies ``timeout`` to each."""

    def resolve(self, url: str) -> str:
        """The configured X's URL for ``url``, never the host tweepy names."""
        for host in TWEEPY_HOSTS:
            if url.startswith(host + "/"):
                url = self.base_url + url[len(host):]
                break
        return super().resolve(url)


def _reason(exc: tweepy.errors.HTTPException) -> str:
    """X's own words for an error, or the HTTP status."""
    messages = [m for m in exc.api_messages if m]
    if messages:
        return "; ".join(dict.fromkeys(messages))
    status = getattr(exc.response, "status_code", "")
    return f"{status} {getattr(exc.response, 'reason', '')}".strip()


def classify_error(exc: BaseException, *, creating: bool) -> ChannelError:
    """Turn a tweepy or requests error into Crier's transient / permanent / unknown-outcome error.

    ``creating`` says whether the call made a post: only then can a lost answer mean a post went out.
    """
    if isinstance(exc, requests.RequestException):
        return X.request_failure(exc, writes=creating)
    if not isinstance(exc, tweepy.errors.HTTPException):
        return PermanentError(f"X could not take the post: {exc}")
    response = exc.response
    failure = X.status_failure(getattr(response, "status_code", 0), getattr(response, "headers", None) or {},
                               writes=creating)
    if failure is not None:
        return failure
    reason = _reason(exc)
    lowered = reason.lower()
    if isinstance(exc, tweepy.errors.Unauthorized):
        return PermanentError("X did not accept this account's sign-in. Reconnect the account in Crier.",
                              reconnect=True)
    if isinstance(exc, tweepy.errors.Forbidden):
        if "duplicate" in lowered:
            return DuplicatePostError("X refused this as a duplicate of a recent post")
        if "reply to" in lowered and ("deleted" in lowered or "not visible" in lowered):
            return PermanentError("The X post this one replies to has been deleted or cannot be seen, "
                                  "so X refused the reply.")
        if "permission" in lowered or "oauth" in lowered:
            return PermanentError(f"X says Crier may not post for this account ({reason}). Check the app's "
                                  "permissions with X, then reconnect the account.", reconnect=True)
        return PermanentError(f"X refused the post: {reason}")
    if isinstance(exc, tweepy.errors.BadRequest):
        if "too long" in lowered:
            return PermanentError(f"X refused the post as too long (over {MAX_WEIGHTED_LENGTH} characters "
                                  "as X counts them).")
        return PermanentError(f"X refused the post: {reason}")
    return PermanentError(f"X refused the request: {reason}")


def _comparable(text: str) -> str:
    """A post's text as X gives it back and as Crier sent it, made comparable.

    X shortens links to t.co and escapes ``& < >``; links are therefore left out.
    """
    text = unicodedata.normalize("NFC", html.unescape(text))
    for entity in sorted(extract_urls_with_indices(text), key=lambda e: e["indices"][0], reverse=True):
        start, end = entity["indices"]
        text = text[:start] + " " + text[end:]
    return " ".join(text.split())


@register
class XChannel(XReads, Channel):
    """An X account, posting through tweepy with OAuth 1.0a user credentials.

    Credentials: ``consumer_key``, ``consumer_secret``, ``access_token``,
    ``access_token_secret``, and optionally ``user_id`` and ``username``.
    """

    kind = "x"
    supports_edit = False

    def __init__(self, credentials: dict[str, Any], config: ChannelConfig):
        super().__init__(credentials, config)
        self._client: tweepy.Client | None = None
        self._account: tuple[str, str] | None = None

    # Text ---------------------------------------------------------------
    @classmethod
    def check(cls, text: str, link: str | None = None) -> list[Problem]:
        """Problems with ``text`` on X: empty, forbidden characters, and a warning when it becomes a thread."""
        if not text.strip():
            return [Problem("The X post is empty.", code="empty")]
        problems = []
        bad = invalid_characters(text)
        if bad:
            names = ", ".join(f"U+{ord(c):04X}" for c in bad)
            problems.append(Problem(f"X does not accept some characters in this text ({names}). Remove them.",
                                    code="invalid_characters"))
        try:
            posts = split_thread(text, link)
        except ValueError:
            return problems + [Problem("The link to the website is too long for an X post.", code="link")]
        if len(posts) > 1:
            single = " ".join(p for p in (text.strip(), link) if p)
            problems.append(Problem(
                f"Too long for one X post ({weighted_length(single)} of {MAX_WEIGHTED_LENGTH} characters as X "
                f"counts them): it will go out as a thread of {len(posts)} posts. Write a shorter X version "
                "to keep it to one post.", level="warning", code="thread"))
        return problems

    @classmethod
    def render(cls, text: str, link: str | None = None) -> list[str]:
        """The exact posts X will carry: one post, or a numbered thread with the link in the last part."""
        return split_thread(text, link)

    @classmethod
    def part_problems(cls, part: str) -> list[str]:
        """An X post must have text, fit X's weighted 280 and hold only characters X accepts."""
        problems = []
        if not part.strip():
            problems.append("It is empty.")
        length = weighted_length(part)
        if length > MAX_WEIGHTED_LENGTH:
            problems.append(f"It is {length} of {MAX_WEIGHTED_LENGTH} characters as X counts them.")
        bad = invalid_characters(part)
        if bad:
            problems.append(f"X does not accept {', '.join(f'U+{ord(c):04X}' for c in bad)}.")
        return problems

    # Platform -----------------------------------------------------------
    @property
    def client(self) -> tweepy.Client:
        """The account's tweepy client, talking to the configured X with the configured timeout."""
        if self._client is None:
            missing = [key for key in CREDENTIAL_KEYS if not self.credentials.get(key)]
            if missing:
                raise PermanentError("This X account's credentials are incomplete. Reconnect the account.",
                                     reconnect=True)
            client = tweepy.Client(**{key: self.credentials[key] for key in CREDENTIAL_KEYS})
            client.session.close()
            client.session = XSession(self.config.x_api_url, self.config.timeout)
            self._client = client
        return self._client

    def _me(self) -> tuple[str, str]:
        """The account's X user id and username, from the credentials or asked of X once."""
        if self._account is None:
            user_id, username = self.credentials.get("user_id"), self.credentials.get("username")
            if not (user_id and username):
                try:
                    me = self.client.get_me(user_auth=True).data
                except _TWEEPY_ERRORS as exc:
                    raise classify_error(exc, creating=False) from exc
                user_id, username = str(me.id), str(me.username)
            self._account = (str(user_id), str(username))
        return self._account

    def verify(self) -> str:
        """The account's @username, from X's ``users/me``; it must be the given ``user_id``."""
        try:
            me = self.client.get_me(user_auth=True).data
        except _TWEEPY_ERRORS as exc:
            raise classify_error(exc, creating=False) from exc
        if me is None:
            raise PermanentError("X did not say whose credentials these are.", reconnect=True)
        wanted = str(self.credentials.get("user_id") or "")
        if wanted and str(me.id) != wanted:
            raise PermanentError(f"These X credentials belong to user {me.id}, not {wanted}.", reconnect=True)
        return f"@{me.username}"

    def status_url(self, post_id: str) -> str:
        """The public address of one of this account's posts."""
        return f"https://x.com/{self._me()[1]}/status/{post_id}"

    def _publish(self, post: Post, reply_to: str | None, posted: tuple[str, ...],
                 on_part: Callable[[str], None]) -> PublishResult:
        """Post ``post`` (each thread part a reply to the one before; the first replies to ``reply_to``).

        Parts in ``posted`` are live already and are never posted again. An
        error raised part-way carries every part id posted so far in ``posted_parts``.
        The images (uploaded first, with their alt texts) go on the first part.
        """
        parts = self.stored_parts(post)
        done = list(posted)
        try:
            # Known before posting, so that a failed look-up never follows a post that went out.
            self._me()
            media_ids = self._upload(post) if post.images and not done else []
            previous = done[-1] if done else reply_to
            for text in parts[len(done):]:
                previous = self._create(text, previous, media_ids if not done else [])
                done.append(previous)
                log.info("posted part %d of %d to X as %s", len(done), len(parts), previous)
                on_part(previous)
        except ChannelError as exc:
            exc.posted_parts = tuple(done)
            raise
        return PublishResult(remote_id=done[0], url=self.status_url(done[0]), part_ids=tuple(done))

    def _upload(self, post: Post) -> list[str]:
        """Upload the post's images (an unused upload is harmless: X discards it)."""
        uploader = XMediaUploader({key: self.credentials[key] for key in CREDENTIAL_KEYS}, self.config)
        try:
            return uploader.upload_all(post.images)
        finally:
            uploader.close()

    def _create(self, text: str, reply_to: str | None, media_ids: list[str] | None = None) -> str:
        try:
            response = self.client.create_tweet(text=text, in_reply_to_tweet_id=reply_to,
                                                media_ids=media_ids or None, user_auth=True)
        except _TWEEPY_ERRORS as exc:
            raise classify_error(exc, creating=True) from exc
        post_id = (response.data or {}).get("id")
        if not post_id:
            raise OutcomeUnknownError("X answered without the new post's id, so the post may or may not have "
                                      "gone out. Crier will check X before sending it again.")
        return str(post_id)

    def edit(self, remote_id: str, post: Post) -> PublishResult:
        """Not possible on X: a correction is posted as a reply instead."""
        raise PermanentError("Posts on X cannot be changed once published; a correction goes out as a reply.")

    def delete(self, remote_id: str) -> None:
        """Delete one post (one thread part); a post that is already gone is not an error."""
        try:
            self.client.delete_tweet(remote_id, user_auth=True)
        except tweepy.errors.NotFound:
            return
        except _TWEEPY_ERRORS as exc:
            raise classify_error(exc, creating=False) from exc

    def find_recent(self, post: Post, *, since: dt.datetime | None = None) -> PublishResult | None:
        """Find ``post`` among the account's recent posts, with as many thread parts as went out.

        ``part_ids`` may be shorter than the thread: publish with them as ``posted_parts`` to finish it.
        """
        parts = list(post.parts)
        if not parts:
            return None
        tweets = self._recent(since)
        wanted = _comparable(parts[0])
        first = next((t for t in tweets if _comparable(t.text) == wanted), None)  # newest first
        if first is None:
            return None
        ids = [str(first.id)]
        for text in parts[1:]:
            wanted = _comparable(text)
            reply = next((t for t in tweets if _comparable(t.text) == wanted and any(
                ref.type == "replied_to" and str(ref.id) == ids[-1] for ref in t.referenced_tweets or ())), None)
            if reply is None:
                break
            ids.append(str(reply.id))
        return PublishResult(remote_id=ids[0], url=self.status_url(ids[0]), part_ids=tuple(ids))

    def _recent(self, since: dt.datetime | None) -> list[tweepy.Tweet]:
        """The account's latest posts, newest first, from ``since`` if given."""
        user_id = self._me()[0]
        params: dict[str, Any] = {"max_results": 100, "tweet_fields": ["created_at", "referenced_tweets"],
                                  "user_auth": True}
        if since is not None:
            params["start_time"] = since if since.tzinfo else since.replace(tzinfo=dt.timezone.utc)
        tweets: list[tweepy.Tweet] = []
        for _ in range(RECENT_PAGES):
            try:
                response = self.client.get_users_tweets(user_id, **params)
            except _TWEEPY_ERRORS as exc:
                raise classify_error(exc, creating=False) from exc
            tweets.extend(response.data or ())
            next_token = (response.meta or {}).get("next_token")
            if not next_token:
                break
            params["pagination_token"] = next_token
        return tweets

    def read_failure(self, exc: BaseException) -> ChannelError:
        """A failed read (never one that makes a post) as Crier's channel error."""
        return classify_error(exc, creating=False)

    def close(self) -> None:
        """Release the client's connections."""
        if self._client is not None:
            self._client.session.close()
