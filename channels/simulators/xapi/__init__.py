"""A local simulator of the parts of the X API v2 that Crier uses.

It is a real HTTP server (a Flask app) speaking X's URLs and JSON, so the X
channel is exercised through tweepy exactly as in production:

``POST /2/tweets``
    post ``text``, optionally ``reply.in_reply_to_tweet_id`` -> 201 ``{"data": {"id", "text"}}``
``DELETE /2/tweets/<id>``
    delete one of the account's posts -> ``{"data": {"deleted": true}}``; 404 if there is none
``GET /2/users/me``
    the account the credentials belong to
``POST /oauth/request_token``, ``GET /oauth/authorize``, ``POST /oauth/access_token``
    "Sign in with X", the three-legged OAuth 1.0a flow (:mod:`.oauth`)
``GET /2/users/<id>/tweets``
    that account's posts, newest first (``max_results`` 5-100, ``start_time``,
    ``pagination_token``, ``tweet.fields`` created_at / referenced_tweets / ...)

Like X it checks the OAuth 1.0a HMAC-SHA1 signature of every request against
its app's consumer keys and the account's access token, the timestamp and
nonce; the weighted 280 limit; duplicate content; and that a reply's target
exists. As X does, it shortens links in stored text to ``https://t.co/...`` and
escapes ``& < >`` when giving posts back. Errors come in X's problem shape
``{"title", "detail", "type", "status"}``.

One simulator serves many accounts (``add_account``, or ``POST /_sim/accounts``
with ``{"username"}`` from another process): every neighbourhood account
authorises the same Crier app and has its own access token.

Faults (see :mod:`channels.simulators.server`) apply to requests under ``/2/``:
``429`` answers with ``x-rate-limit-reset`` ``reset`` seconds ahead, ``5xx``
answers ``status``, ``hang`` holds the request and closes the connection without
applying it, ``accept_then_hang`` applies it and then does the same.
"""
from __future__ import annotations

from typing import Any

from ..server import Fault, FaultPlan, Simulator
from .app import create_x_simulator
from .oauth import revoke
from .state import XAccount, XPost, XState

__all__ = ["XAccount", "XPost", "XSimulator", "XState", "create_x_simulator"]


class XSimulator(Simulator):
    """A simulated X on a loopback port, for tests and the demo.

    ``XSimulator().start()`` serves on a free port; ``url`` is the base URL to
    give the X channel (``ChannelConfig.x_api_url``).
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, consumer_key: str | None = None,
                 consumer_secret: str | None = None):
        self.state = XState(consumer_key, consumer_secret)
        self.plan = FaultPlan()
        super().__init__(create_x_simulator(self.state, self.plan), host, port)

    @property
    def posts(self) -> list[dict[str, Any]]:
        """Live posts in the order they were made."""
        with self.state.lock:
            return [p.as_dict(self.state.username_of(p.author_id)) for p in self.state.live_posts()]

    @property
    def create_count(self) -> int:
        """How many posts were ever made (deleted ones included)."""
        return self.state.create_count

    def upload(self, media_id: str) -> tuple[bytes | None, str | None]:
        """An uploaded image's bytes and alt text, as they reached X (see ``media``)."""
        with self.state.lock:
            upload = self.state.uploads.get(str(media_id))
            return (upload.data, upload.alt_text) if upload else (None, None)

    @property
    def upload_count(self) -> int:
        """How many media uploads were ever started."""
        with self.state.lock:
            return len(self.state.uploads)

    def add_account(self, username: str, **kw: Any) -> dict[str, str]:
        """Register an account; returns its credentials for the X channel."""
        return self.state.add_account(username, **kw)

    def revoke(self, username: str) -> bool:
        """The account ``username`` revokes Crier's app: its token gets 401 until it signs in again."""
        return revoke(self.state, self.app.extensions["x_oauth"], username)

    def fault(self, kind: str, **spec: Any) -> Fault:
        """Inject a fault into the next matching requests (see :mod:`channels.simulators.server`)."""
        return self.plan.add(kind=kind, **spec)

    @property
    def audience(self):
        """Followers, post metrics and rate-limit windows (:class:`channels.simulators.xapi.users.XAudience`)."""
        return self.app.extensions["x_audience"]

    def reset(self) -> None:
        """Clear posts, counts, pending faults and rate-limit windows (followers stay)."""
        self.plan.clear()
        self.state.reset()
        self.audience.reset()
