"""What the Graph simulator holds: Pages with their tokens, and their posts."""
from __future__ import annotations

import dataclasses
import datetime as dt
import hmac
import itertools
import secrets
import threading
from typing import Any

#: Permissions a Page grants when it connects Crier.
DEFAULT_PERMISSIONS = frozenset({"pages_manage_posts", "pages_read_engagement"})


@dataclasses.dataclass
class GraphPage:
    """A Facebook Page as the simulator knows it."""

    page_id: str
    name: str
    access_token: str
    app_secret: str | None = None
    permissions: frozenset[str] = DEFAULT_PERMISSIONS

    def credentials(self) -> dict[str, str]:
        """The credentials Crier stores for this Page."""
        creds = {"page_id": self.page_id, "page_access_token": self.access_token}
        if self.app_secret:
            creds["app_secret"] = self.app_secret
        return creds


def graph_time(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S+0000")


class GraphState:
    """Pages, posts and counters of one simulator; thread-safe."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.pages: dict[str, GraphPage] = {}
        self._page_ids = itertools.count(100_000_000_000_001)
        self._post_ids = itertools.count(900_000_000_000_001)
        self.reset()

    def reset(self) -> None:
        """Forget posts and counters; Pages stay, since their credentials are handed out."""
        with self.lock:
            self.posts: dict[str, dict[str, Any]] = {}
            self.created = 0
            self.requests = 0

    def add_page(
        self,
        name: str,
        *,
        app_secret: str | None = None,
        permissions: frozenset[str] | set[str] | None = None,
        access_token: str | None = None,
    ) -> GraphPage:
        """Create a Page with a fresh Page access token (or ``access_token``)."""
        with self.lock:
            page = GraphPage(
                page_id=str(next(self._page_ids)),
                name=name,
                access_token=access_token or "EAAsim" + secrets.token_urlsafe(24),
                app_secret=app_secret,
                permissions=frozenset(DEFAULT_PERMISSIONS if permissions is None else permissions),
            )
            self.pages[page.page_id] = page
            return page

    def page_for_token(self, token: str) -> GraphPage | None:
        """The Page a Page access token belongs to."""
        with self.lock:
            for page in self.pages.values():
                if hmac.compare_digest(page.access_token, token):
                    return page
        return None

    def create_post(
        self,
        page_id: str,
        message: str | None,
        link: str | None = None,
        *,
        version: str | None = None,
        created: dt.datetime | None = None,
    ) -> dict[str, Any]:
        """Add a post to a Page's feed and count it."""
        with self.lock:
            post_id = f"{page_id}_{next(self._post_ids)}"
            when = graph_time(created or dt.datetime.now(dt.timezone.utc))
            post = {
                "id": post_id,
                "page_id": page_id,
                "message": message,
                "link": link,
                "created_time": when,
                "updated_time": when,
                "graph_version": version,
                "deleted": False,
                "history": [],
            }
            self.posts[post_id] = post
            self.created += 1
            return post

    def live_posts(self, page_id: str | None = None) -> list[dict[str, Any]]:
        """Posts not deleted, oldest first, optionally of one Page."""
        with self.lock:
            return [
                p
                for p in self.posts.values()
                if not p["deleted"] and (page_id is None or p["page_id"] == page_id)
            ]

    def snapshot(self) -> dict[str, Any]:
        """Everything a test may inspect, as plain data (tokens and secrets left out)."""
        with self.lock:
            return {
                "pages": [
                    {"id": p.page_id, "name": p.name, "permissions": sorted(p.permissions)}
                    for p in self.pages.values()
                ],
                "posts": [copy_post(p) for p in self.posts.values()],
                "created": self.created,
                "requests": self.requests,
            }


def copy_post(post: dict[str, Any]) -> dict[str, Any]:
    copy = dict(post)
    copy["history"] = [dict(h) for h in post["history"]]
    return copy
