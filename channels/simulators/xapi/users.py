"""The X simulator's audience endpoints: a user's public metrics, followers with their locations,
and posts' public metrics, with X's per-user rate limits.

``GET /2/users/<id>`` (``user.fields=public_metrics``), ``GET /2/users/<id>/followers``
(``max_results`` 1-1000, ``pagination_token``, ``user.fields=location``; 15 requests
per 15 minutes per user) and ``GET /2/tweets?ids=`` (up to 100, ``tweet.fields=public_metrics``).
Every answer carries ``x-rate-limit-limit``, ``-remaining`` and ``-reset``; an
exhausted window answers 429. Followers come from a fixed-seed population
(:mod:`channels.simulators.population`) or from a test; ``/_sim/followers`` sets them
from another process.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import math
import threading
import time
from typing import Any, Callable

from flask import Flask, Response, jsonify, request

from ..population import FakeFollower, from_locations, make_population
from .responses import invalid_request, problem
from .state import XAccount, XState

#: X's default windows per user: (requests, seconds).
DEFAULT_LIMITS = {"followers": (15, 900.0), "users": (900, 900.0), "tweets": (900, 900.0)}


@dataclasses.dataclass
class Window:
    started: float
    used: int = 0


class XAudience:
    """Followers per account, post metrics, and each user's rate-limit windows; thread-safe."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.followers: dict[str, list[FakeFollower]] = {}
        self.metrics: dict[str, dict[str, int]] = {}
        self.limits = dict(DEFAULT_LIMITS)
        self.windows: dict[tuple[str, str], Window] = {}
        self.calls: dict[str, int] = {}

    def set_followers(self, user_id: str, people: list[FakeFollower]) -> None:
        """Give account ``user_id`` these followers (newest first, as X lists them)."""
        with self.lock:
            self.followers[str(user_id)] = list(people)

    def populate(
        self, user_id: str, count: int, seed: int = 13, mix: dict[str, float] | None = None
    ) -> list[FakeFollower]:
        """Give account ``user_id`` a fixed-seed population of ``count`` followers; returns it."""
        people = make_population(count, seed, mix)
        self.set_followers(user_id, people)
        return people

    def set_metrics(self, post_id: str, **metrics: int) -> None:
        """Fix a post's public metrics (``like_count``, ``retweet_count``, ``quote_count``, ...)."""
        with self.lock:
            self.metrics.setdefault(str(post_id), {}).update(metrics)

    def metrics_of(self, post_id: str) -> dict[str, int]:
        """A post's public metrics: those fixed by a test, else steady figures from its id."""
        digest = hashlib.sha256(post_id.encode()).digest()
        made = {
            "retweet_count": digest[0] % 12,
            "reply_count": digest[1] % 9,
            "like_count": digest[2] % 60,
            "quote_count": digest[3] % 4,
            "bookmark_count": digest[4] % 5,
            "impression_count": 200 + digest[5] * 13,
        }
        with self.lock:
            made.update(self.metrics.get(post_id, {}))
        return made

    def take(self, user_id: str, endpoint: str) -> tuple[bool, dict[str, str]]:
        """Count one request of ``user_id`` at ``endpoint``: (allowed, X's rate-limit headers)."""
        limit, window = self.limits[endpoint]
        now = time.time()
        with self.lock:
            self.calls[endpoint] = self.calls.get(endpoint, 0) + 1
            current = self.windows.get((user_id, endpoint))
            if current is None or now >= current.started + window:
                current = self.windows[(user_id, endpoint)] = Window(now)
            allowed = current.used < limit
            if allowed:
                current.used += 1
            headers = {
                "x-rate-limit-limit": str(limit),
                "x-rate-limit-remaining": str(max(0, limit - current.used)),
                "x-rate-limit-reset": str(math.ceil(current.started + window)),
            }
        return allowed, headers

    def exhaust(self, user_id: str, endpoint: str = "followers") -> None:
        """Use up a user's window now, as other calls of the same user would."""
        limit, _ = self.limits[endpoint]
        with self.lock:
            self.windows[(str(user_id), endpoint)] = Window(time.time(), limit)

    def reset(self) -> None:
        """Forget windows, call counts, changed limits and fixed metrics (followers stay)."""
        with self.lock:
            self.limits = dict(DEFAULT_LIMITS)
            self.windows.clear()
            self.calls.clear()
            self.metrics.clear()


def _token(offset: int, user_id: str) -> str:
    raw = f"{user_id}:{offset}".encode()
    return base64.b32encode(raw).decode().rstrip("=")


def _offset(token: str, user_id: str) -> int | None:
    try:
        owner, offset = base64.b32decode(token + "=" * (-len(token) % 8)).decode().split(":")
        return int(offset) if owner == user_id else None
    except (ValueError, UnicodeDecodeError):
        return None


def register_audience(
    app: Flask, state: XState, authenticate: Callable[[], XAccount | Response]
) -> XAudience:
    """Add the audience endpoints to the X simulator ``app``; returns their state."""
    audience = XAudience()
    app.extensions["x_audience"] = audience

    def limited(account: XAccount, endpoint: str) -> dict[str, str] | Response:
        allowed, headers = audience.take(account.user_id, endpoint)
        if allowed:
            return headers
        return problem(429, "Too Many Requests", "Too Many Requests", headers=headers)

    def answer(body: dict[str, Any], headers: dict[str, str]) -> Response:
        response = jsonify(body)
        response.headers.update(headers)
        return response

    def missing_user(user_id: str) -> Response:
        return problem(
            404,
            "Not Found Error",
            f"Could not find user with id: [{user_id}].",
            type_="https://api.twitter.com/2/problems/resource-not-found",
        )

    @app.get("/2/users/<user_id>")
    def user_lookup(user_id: str):
        account = authenticate()
        if isinstance(account, Response):
            return account
        headers = limited(account, "users")
        if isinstance(headers, Response):
            return headers
        owner = state.account_by_id(user_id)
        if owner is None:
            return missing_user(user_id)
        data: dict[str, Any] = {"id": owner.user_id, "name": owner.name, "username": owner.username}
        if "public_metrics" in request.args.get("user.fields", "").split(","):
            with audience.lock:
                followers = len(audience.followers.get(owner.user_id, []))
            data["public_metrics"] = {
                "followers_count": followers,
                "following_count": 312,
                "tweet_count": len(state.live_posts(owner.user_id)),
                "listed_count": 4,
                "like_count": 0,
            }
        return answer({"data": data}, headers)

    @app.get("/2/users/<user_id>/followers")
    def followers(user_id: str):
        account = authenticate()
        if isinstance(account, Response):
            return account
        headers = limited(account, "followers")
        if isinstance(headers, Response):
            return headers
        if state.account_by_id(user_id) is None:
            return missing_user(user_id)
        try:
            size = int(request.args.get("max_results", 100))
        except ValueError:
            size = 0
        if not 1 <= size <= 1000:
            return invalid_request(
                "The `max_results` query parameter value is not between 1 and 1000",
                "max_results",
                request.args.get("max_results"),
            )
        offset = 0
        if request.args.get("pagination_token"):
            found = _offset(request.args["pagination_token"], user_id)
            if found is None:
                return invalid_request(
                    "The `pagination_token` query parameter value is not valid",
                    "pagination_token",
                    request.args["pagination_token"],
                )
            offset = found
        fields = set(request.args.get("user.fields", "").split(","))
        with audience.lock:
            everyone = audience.followers.get(user_id, [])
            page = everyone[offset : offset + size]
            total = len(everyone)
        meta: dict[str, Any] = {"result_count": len(page)}
        if offset + size < total:
            meta["next_token"] = _token(offset + size, user_id)
        if offset:
            meta["previous_token"] = _token(max(0, offset - size), user_id)
        body: dict[str, Any] = {"meta": meta}
        if page:
            body["data"] = [person.as_user(fields) for person in page]
        return answer(body, headers)

    @app.get("/2/tweets")
    def tweets_lookup():
        account = authenticate()
        if isinstance(account, Response):
            return account
        headers = limited(account, "tweets")
        if isinstance(headers, Response):
            return headers
        ids = [i for i in request.args.get("ids", "").split(",") if i]
        if not 1 <= len(ids) <= 100:
            return invalid_request(
                "The `ids` query parameter value must name between 1 and 100 ids",
                "ids",
                request.args.get("ids"),
            )
        fields = set(request.args.get("tweet.fields", "").split(","))
        data, errors = [], []
        for post_id in ids:
            post = state.find(post_id)
            if post is None:
                errors.append(
                    {
                        "value": post_id,
                        "detail": f"Could not find tweet with ids: [{post_id}].",
                        "title": "Not Found Error",
                        "resource_type": "tweet",
                        "parameter": "ids",
                        "resource_id": post_id,
                        "type": "https://api.twitter.com/2/problems/resource-not-found",
                    }
                )
                continue
            item: dict[str, Any] = {"id": post.id, "text": post.text, "edit_history_tweet_ids": [post.id]}
            if "public_metrics" in fields:
                item["public_metrics"] = audience.metrics_of(post.id)
            data.append(item)
        body: dict[str, Any] = {}
        if data:
            body["data"] = data
        if errors:
            body["errors"] = errors
        return answer(body, headers)

    @app.post("/_sim/followers")
    def _set_followers():
        spec = request.get_json(force=True, silent=True) or {}
        user_id = str(spec.get("user_id") or "")
        if not user_id and spec.get("username"):
            with state.lock:
                user_id = next(
                    (a.user_id for a in state.accounts.values() if a.username == spec["username"]), ""
                )
        if state.account_by_id(user_id) is None:
            return jsonify({"error": "no such account"}), 404
        if "locations" in spec:
            audience.set_followers(user_id, from_locations([str(x) for x in spec["locations"]]))
        else:
            audience.populate(
                user_id, int(spec.get("count", 1000)), int(spec.get("seed", 13)), spec.get("mix")
            )
        return jsonify({"user_id": user_id, "followers": len(audience.followers[user_id])}), 201

    return audience
