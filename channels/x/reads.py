"""X reads for audience insight: follower count, followers' profile locations, posts' public figures.

``GET /2/users/:id?user.fields=public_metrics``, ``GET /2/users/:id/followers``
(1,000 a page, 15 requests per 15 minutes per user) and ``GET /2/tweets`` (100
ids a call), all with the account's own OAuth 1.0a user context. Every answer's
``x-rate-limit-remaining`` and ``x-rate-limit-reset`` are handed back, so a scan
stops before X refuses it and resumes when the window resets.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Callable, Mapping, Sequence

import requests
import tweepy

from ..audience import (
    Audience,
    AudienceReader,
    FollowerPage,
    PaginationExpiredError,
    PostFigures,
    RateLimitedError,
    whole,
)
from ..base import ChannelError

# tweepy logs every answer's body at DEBUG: followers' locations must never reach a log.
logging.getLogger("tweepy.client").setLevel(logging.INFO)

FOLLOWERS_PAGE = 1000
TWEETS_BATCH = 100
#: How long to wait after a 429 that names no reset (X's follower window).
DEFAULT_WINDOW = 900.0
_READ_ERRORS = (tweepy.errors.TweepyException, requests.RequestException)


def _number(headers: Mapping[str, str], name: str) -> float | None:
    try:
        return float(headers[name])
    except (KeyError, TypeError, ValueError):
        return None


class XReads(AudienceReader):
    """The reads of an X account (mixed into :class:`channels.x.XChannel`)."""

    lists_followers = True
    figures_batch = TWEETS_BATCH
    client: tweepy.Client
    _me: Callable[[], tuple[str, str]]

    def read_failure(self, exc: BaseException) -> ChannelError:
        """A failed read as Crier's channel error (the adapter classifies it)."""
        raise NotImplementedError

    def _read(self, route: str, params: dict[str, Any]) -> tuple[Any, Mapping[str, str]]:
        try:
            response = self.client.request("GET", route, params=params, user_auth=True)
        except tweepy.errors.TooManyRequests as exc:
            headers = getattr(exc.response, "headers", None) or {}
            reset = _number(headers, "x-rate-limit-reset")
            wait = max(1.0, reset - time.time()) if reset else DEFAULT_WINDOW
            raise RateLimitedError(
                "X's window for this read is used up until it resets.", retry_after=wait
            ) from None
        except tweepy.errors.BadRequest as exc:
            if "pagination_token" in str(exc) or "pagination" in " ".join(exc.api_messages).lower():
                raise PaginationExpiredError(
                    "X no longer accepts the page token the scan stopped at."
                ) from None
            raise self.read_failure(exc) from None
        except _READ_ERRORS as exc:
            # Not chained: a read error's text may carry the answer's body.
            raise self.read_failure(exc) from None
        try:
            body = response.json()
        except ValueError:
            body = {}
        return body if isinstance(body, dict) else {}, response.headers

    def audience(self) -> Audience:
        """The account's follower count, from its ``public_metrics``."""
        body, _ = self._read(f"/2/users/{self._me()[0]}", {"user.fields": "public_metrics"})
        metrics = (body.get("data") or {}).get("public_metrics") or {}
        return Audience(followers=whole(metrics.get("followers_count")))

    def follower_locations(self, pagination_token: str | None = None) -> FollowerPage:
        """One page of up to 1,000 followers, reduced at once to their profile locations."""
        params: dict[str, Any] = {"max_results": FOLLOWERS_PAGE, "user.fields": "location"}
        if pagination_token:
            params["pagination_token"] = pagination_token
        body, headers = self._read(f"/2/users/{self._me()[0]}/followers", params)
        users = body.get("data") or []
        locations = tuple(str(u.get("location") or "") for u in users if isinstance(u, dict))
        remaining = _number(headers, "x-rate-limit-remaining")
        return FollowerPage(
            locations,
            (body.get("meta") or {}).get("next_token") or None,
            None if remaining is None else int(remaining),
            _number(headers, "x-rate-limit-reset"),
        )

    def post_figures(self, remote_ids: Sequence[str]) -> dict[str, PostFigures]:
        """Likes, reposts + quotes, replies and impressions of up to 100 posts in one call."""
        ids = [str(i) for i in remote_ids][:TWEETS_BATCH]
        if not ids:
            return {}
        body, _ = self._read("/2/tweets", {"ids": ",".join(ids), "tweet.fields": "public_metrics"})
        out: dict[str, PostFigures] = {}
        for tweet in body.get("data") or []:
            metrics = tweet.get("public_metrics") or {}
            impressions = metrics.get("impression_count")
            out[str(tweet.get("id"))] = PostFigures(
                str(tweet.get("id")),
                reactions=whole(metrics.get("like_count")),
                shares=whole(metrics.get("retweet_count")) + whole(metrics.get("quote_count")),
                replies=whole(metrics.get("reply_count")),
                impressions=None if impressions is None else whole(impressions),
            )
        return out
