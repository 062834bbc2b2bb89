"""A local simulator of the parts of Facebook's Graph API that Crier uses.

It is a real HTTP server (a Flask app) speaking Graph's URLs and JSON, so the
Facebook channel is exercised through its Graph client exactly as in production:

``POST /<version>/<page_id>/feed``
    publish a Page post (``message``, ``link``) -> ``{"id": "PAGEID_POSTID"}``
``GET /<version>/<page_id>/feed``
    the Page's posts, newest first (``fields``, ``limit``, ``since``, ``after``)
``POST /<version>/<post_id>``
    change a post's ``message`` -> ``{"success": true}``
``DELETE /<version>/<post_id>``
    delete a post -> ``{"success": true}``
``/<version>/dialog/oauth``, ``/<version>/oauth/access_token``, ``/<version>/me/accounts``
    Facebook Login: Pages given to the simulator's app (:mod:`.login`)

Like Graph it checks the version (v18.0 or newer), that the Page access token
belongs to the Page, the ``appsecret_proof`` when the Page's app requires one,
the Page's granted permissions, and refuses a post identical to the Page's
latest one (code 506). Errors come in Graph's shape
``{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}``.

One simulator serves many Pages (``add_page``), as one Facebook app serves a
force's main Page and its neighbourhood Pages.

Faults (see :mod:`channels.simulators.server`) take Graph's form:

``429``
    a rate-limit error, as Graph sends it: HTTP 400 with ``code`` (default 4;
    also 17, 32, 613, 80001) and usage headers whose
    ``estimated_time_to_regain_access`` is ``reset`` seconds rounded up to minutes
``5xx``
    HTTP ``status`` with a non-Graph HTML body, as a failing front end sends
``error``
    any Graph error: ``code`` (default 1), optional ``subcode``, ``message`` and
    ``status`` (default chosen as Graph would for the code)
``hang`` / ``accept_then_hang``
    hold the request ``seconds`` and then close the connection without an answer;
    ``accept_then_hang`` applies the request first
"""
from __future__ import annotations

from typing import Any

from ..server import Fault, Simulator
from .app import create_graph_simulator
from .errors import GraphError, GraphFault, GraphFaultPlan
from .photos import photos_of
from .state import GraphPage, GraphState, copy_post

__all__ = ["GraphError", "GraphFault", "GraphFaultPlan", "GraphPage", "GraphSimulator", "GraphState",
           "create_graph_simulator"]


class GraphSimulator(Simulator):
    """The Graph simulator served on a loopback port, with helpers for tests and the demo."""

    def __init__(self, state: GraphState | None = None, *, host: str = "127.0.0.1", port: int = 0):
        super().__init__(create_graph_simulator(state), host, port)
        sim = self.app.extensions["crier_graph"]
        self.state = sim.state
        self.faults = sim.faults
        #: The simulator's Facebook app (``app_id``, ``app_secret``) for Facebook Login.
        self.login = self.app.extensions["crier_graph_login"]

    @property
    def posts(self) -> list[dict[str, Any]]:
        """Live posts on every Page, oldest first (copies)."""
        return [copy_post(p) for p in self.state.live_posts()]

    @property
    def created(self) -> int:
        """How many posts have ever been made, deleted ones included."""
        return self.state.created

    @property
    def requests(self) -> int:
        """How many Graph API calls have arrived."""
        return self.state.requests

    def post(self, post_id: str) -> dict[str, Any] | None:
        """One post by id, deleted or not (a copy), with its edit history."""
        with self.state.lock:
            post = self.state.posts.get(post_id)
            return copy_post(post) if post else None

    def photo(self, photo_id: str) -> dict[str, Any] | None:
        """One uploaded photo by id (a copy, with its bytes and alt text), deleted or not."""
        with self.state.lock:
            photo = photos_of(self.state).get(str(photo_id))
            return dict(photo) if photo else None

    def add_page(self, name: str, **options: Any) -> dict[str, str]:
        """Create a Page (options as :meth:`GraphState.add_page`) and return the credentials Crier stores for it."""
        return self.state.add_page(name, **options).credentials()

    def fault(self, kind: str, **spec: Any) -> Fault:
        """Queue a fault for the next matching calls (see the module docstring)."""
        return self.faults.add(kind=kind, **spec)

    @property
    def audience(self):
        """Followers, city counts, post figures and call windows (:class:`channels.simulators.graph.insights.GraphAudience`)."""
        return self.app.extensions["graph_audience"]

    def reset(self) -> None:
        """Clear posts, counters, pending faults and call windows; Pages and their followers stay."""
        self.faults.clear()
        self.state.reset()
        self.audience.reset()
