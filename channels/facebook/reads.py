"""Facebook Page reads for audience insight: followers, Meta's follower cities, posts' figures.

``GET /{page}?fields=followers_count,fan_count``; ``GET /{page}/insights?metric=page_follows_city``
(Meta gives it only for Pages with enough followers, and has been retiring
Page Insights metrics: docs/insights.md says what exists); and per post
``GET /{post}?fields=reactions.summary(total_count).limit(0),comments.summary(total_count).limit(0),shares``.
Meta never lists a Page's followers, so there is no follower scan here.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

from ..audience import Audience, AudienceReader, PostFigures, whole
from .graph import GraphClient, GraphError

#: Meta's metric of Page followers by city (the successor of the retired ``page_fans_city``).
CITY_METRIC = "page_follows_city"
POST_FIELDS = "reactions.summary(total_count).limit(0),comments.summary(total_count).limit(0),shares"
#: Graph's codes for a metric it does not give (retired, or no permission to read insights).
NO_METRIC_CODES = frozenset({100, 10, 3001}) | frozenset(range(200, 300))


class FacebookReads(AudienceReader):
    """The reads of a Facebook Page (mixed into :class:`channels.facebook.FacebookChannel`)."""

    figures_batch = 1
    graph: GraphClient
    page_id: str
    _call: Callable[..., Any]
    _graph_read: Callable[..., Any]

    def audience(self) -> Audience:
        """The Page's followers, and Meta's followers per city where Meta gives them."""
        answer = self._call("read", self.graph.get, self.page_id, fields="followers_count,fan_count")
        answer = answer if isinstance(answer, dict) else {}
        followers = whole(
            answer.get("followers_count")
            if answer.get("followers_count") is not None
            else answer.get("fan_count")
        )
        places, note = self._cities()
        return Audience(followers=followers, places=places, note=note)

    def _cities(self) -> tuple[dict[str, int] | None, str | None]:
        try:
            answer = self._graph_read(f"{self.page_id}/insights", metric=CITY_METRIC, period="lifetime")
        except GraphError as exc:
            if exc.code in NO_METRIC_CODES:
                return None, f"Meta did not give {CITY_METRIC} for this Page (Graph error {exc.code})."
            raise self._call_failure(exc) from None
        for metric in (answer or {}).get("data") or []:
            values = metric.get("values") or []
            latest = values[-1].get("value") if values and isinstance(values[-1], dict) else None
            if isinstance(latest, dict) and latest:
                return {str(city)[:200]: whole(count) for city, count in latest.items()}, None
        return None, (
            "Meta gave no follower cities for this Page: it gives them only once enough "
            "followers (about 100) can be counted in them."
        )

    def _call_failure(self, exc: GraphError) -> Exception:
        """The channel error for a Graph failure (the adapter classifies it)."""
        raise NotImplementedError

    def post_figures(self, remote_ids: Sequence[str]) -> dict[str, PostFigures]:
        """Reactions, shares and comments of each post (Graph gives no impressions here)."""
        out: dict[str, PostFigures] = {}
        for post_id in [str(i) for i in remote_ids]:
            try:
                answer = self._graph_read(post_id, fields=POST_FIELDS)
            except GraphError as exc:
                if exc.code == 100 and exc.subcode == 33:  # the post is gone
                    continue
                raise self._call_failure(exc) from None
            if not isinstance(answer, dict):
                continue
            out[post_id] = PostFigures(
                post_id,
                reactions=whole(((answer.get("reactions") or {}).get("summary") or {}).get("total_count")),
                shares=whole((answer.get("shares") or {}).get("count")),
                replies=whole(((answer.get("comments") or {}).get("summary") or {}).get("total_count")),
                impressions=None,
            )
        return out
