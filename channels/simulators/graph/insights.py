"""The Graph simulator's audience reads: a Page's followers, Meta's follower cities, posts' figures.

``GET /{page}?fields=followers_count,fan_count``; ``GET /{page}/insights?metric=page_follows_city``
(``{"data": [{"name", "period": "lifetime", "values": [{"value": {city: count}, "end_time"}]}]}``,
empty below 100 followers as Meta's demographic metrics are, and Graph's invalid
metric error (#100) for retired metrics such as ``page_fans_city`` or when a test
turns the metric off); and ``GET /{post}?fields=`` with ``reactions.summary(total_count).limit(0)``,
``comments.summary(total_count).limit(0)`` and ``shares``.
Reads count in the Page's call window (Graph counts a Page's calls together), and
an exhausted window answers code 32 with ``X-Business-Use-Case-Usage``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import re
import threading
import time
from typing import Any, Callable

from flask import Flask, jsonify, request

from ..population import FakeFollower, city_counts, make_population
from .errors import GraphError, require_permission
from .state import GraphPage, GraphState, graph_time

#: Meta's Page Insights metrics of follower places that the simulator knows; the retired ones answer #100.
LIVE_METRICS = frozenset({"page_follows_city"})
RETIRED_METRICS = frozenset({"page_fans_city", "page_fans_country", "page_fans"})
#: Meta gives demographic breakdowns only above this many people.
DEMOGRAPHIC_THRESHOLD = 100
_POST_ID = re.compile(r"^(\d+)_(\d+)$")
_SUMMARY = re.compile(r"^(reactions|comments)\.summary\(total_count\)(\.limit\(0\))?$")


class GraphAudience:
    """Followers and city counts per Page, post figures, and each Page's call window; thread-safe."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.followers: dict[str, int] = {}
        self.cities: dict[str, dict[str, int]] = {}
        self.figures: dict[str, dict[str, int]] = {}
        self.metric_available = True
        self.call_limit: tuple[int, float] = (4800, 86400.0)
        self.windows: dict[str, tuple[float, int]] = {}

    def populate(self, page_id: str, count: int, seed: int = 17) -> list[FakeFollower]:
        """Give a Page ``count`` fixed-seed followers; Meta counts them per city."""
        people = make_population(count, seed)
        with self.lock:
            self.followers[page_id] = len(people)
            self.cities[page_id] = city_counts(people)
        return people

    def set_page(self, page_id: str, followers: int, cities: dict[str, int] | None = None) -> None:
        with self.lock:
            self.followers[page_id] = followers
            self.cities[page_id] = dict(cities or {})

    def set_figures(self, post_id: str, **figures: int) -> None:
        """Fix a post's ``reactions``, ``comments`` and ``shares``."""
        with self.lock:
            self.figures.setdefault(post_id, {}).update(figures)

    def figures_of(self, post_id: str) -> dict[str, int]:
        digest = hashlib.sha256(post_id.encode()).digest()
        made = {"reactions": digest[0] % 80, "comments": digest[1] % 15, "shares": digest[2] % 10}
        with self.lock:
            made.update(self.figures.get(post_id, {}))
        return made

    def count_call(self, page_id: str) -> bool:
        """Count one call of the Page; False once its window is used up."""
        limit, window = self.call_limit
        now = time.time()
        with self.lock:
            started, used = self.windows.get(page_id, (now, 0))
            if now >= started + window:
                started, used = now, 0
            if used >= limit:
                return False
            self.windows[page_id] = (started, used + 1)
        return True

    def reset(self) -> None:
        with self.lock:
            self.figures.clear()
            self.windows.clear()
            self.metric_available = True


def _over_limit(page_id: str, reset_seconds: float) -> GraphError:
    usage = {
        "type": "pages",
        "call_count": 100,
        "total_cputime": 20,
        "total_time": 20,
        "estimated_time_to_regain_access": max(1, math.ceil(reset_seconds / 60)),
    }
    return GraphError(
        32,
        "(#32) Page request limit reached",
        headers={"X-Business-Use-Case-Usage": json.dumps({page_id: [usage]})},
    )


def register_insights(app: Flask, state: GraphState, begin: Callable[..., Any]) -> Callable[[str, str], Any]:
    """Add the audience reads to the Graph simulator ``app``; returns the reader of page and post objects."""
    audience = GraphAudience()
    app.extensions["graph_audience"] = audience

    def counted(page: GraphPage) -> None:
        if not audience.count_call(page.page_id):
            raise _over_limit(page.page_id, audience.call_limit[1])

    @app.get("/<version>/<page_id>/insights")
    def page_insights(version: str, page_id: str):
        _fault, page = begin(version, is_write=False, page_id=page_id)
        require_permission(page, "pages_read_engagement")
        counted(page)
        metrics = [m.strip() for m in request.args.get("metric", "").split(",") if m.strip()]
        if not metrics:
            raise GraphError(100, "(#100) The value must be a valid insights metric", type_="OAuthException")
        data = []
        for metric in metrics:
            if metric in RETIRED_METRICS or metric not in LIVE_METRICS or not audience.metric_available:
                raise GraphError(
                    100, "(#100) The value must be a valid insights metric", type_="OAuthException"
                )
            with audience.lock:
                cities = dict(audience.cities.get(page.page_id, {}))
            counted_people = sum(cities.values())
            values = []
            if counted_people >= DEMOGRAPHIC_THRESHOLD:
                end = graph_time(
                    dt.datetime.now(dt.timezone.utc).replace(hour=8, minute=0, second=0, microsecond=0)
                )
                values = [{"value": cities, "end_time": end}]
            data.append(
                {
                    "name": metric,
                    "period": "lifetime",
                    "values": values,
                    "title": "Follows by city",
                    "id": f"{page.page_id}/insights/{metric}/lifetime",
                }
            )
        return jsonify({"data": data})

    def read(version: str, object_id: str) -> Any:
        fields = [f.strip() for f in _split_fields(request.args.get("fields", ""))]
        post = _POST_ID.match(object_id)
        if post is not None:
            _fault, page = begin(version, is_write=False, page_id=post[1])
            require_permission(page, "pages_read_engagement")
            counted(page)
            with state.lock:
                found = state.posts.get(object_id)
                live = found is not None and not found["deleted"] and found["page_id"] == page.page_id
            if not live:
                raise GraphError(
                    100,
                    f"Unsupported get request. Object with ID '{object_id}' does not exist, "
                    "cannot be loaded due to missing permissions, or does not support this "
                    "operation.",
                    type_="GraphMethodException",
                    subcode=33,
                )
            return jsonify(_post_body(object_id, fields, audience.figures_of(object_id)))
        if {"followers_count", "fan_count"} & set(fields):
            _fault, page = begin(version, is_write=False, page_id=object_id)
            counted(page)
            with audience.lock:
                followers = audience.followers.get(page.page_id, 0)
            body: dict[str, Any] = {"id": page.page_id}
            for name in fields:
                if name in ("followers_count", "fan_count"):
                    body[name] = followers
                elif name == "name":
                    body[name] = page.name
            return jsonify(body)
        return None

    return read


def _split_fields(text: str) -> list[str]:
    """Graph's ``fields``, split at the commas outside brackets."""
    out, depth, current = [], 0, ""
    for char in text:
        depth += char == "("
        depth -= char == ")"
        if char == "," and depth == 0:
            out.append(current)
            current = ""
        else:
            current += char
    if current:
        out.append(current)
    return out


def _post_body(post_id: str, fields: list[str], figures: dict[str, int]) -> dict[str, Any]:
    body: dict[str, Any] = {"id": post_id}
    for name in fields:
        summary = _SUMMARY.match(name)
        if summary:
            edge = summary[1]
            body[edge] = {"data": [], "summary": {"total_count": figures[edge]}}
        elif name == "shares":
            if figures["shares"]:
                body["shares"] = {"count": figures["shares"]}  # Graph leaves it out at zero
        elif name != "id":
            raise GraphError(
                100, f"(#100) Tried accessing nonexisting field ({name}) on node type (PagePost)"
            )
    return body
