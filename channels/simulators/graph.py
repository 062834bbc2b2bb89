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

import base64
import dataclasses
import datetime as dt
import hashlib
import hmac
import itertools
import json
import math
import re
import secrets
import socket
import threading
from typing import Any
from urllib.parse import urlencode, urlsplit

from flask import Flask, Response, jsonify, request

from .server import Fault, FaultPlan, Simulator, add_control_routes, hang

#: The oldest Graph version the simulator accepts, as Meta keeps roughly two years of versions.
OLDEST_SUPPORTED_VERSION = (18, 0)
#: Permissions a Page grants when it connects Crier.
DEFAULT_PERMISSIONS = frozenset({"pages_manage_posts", "pages_read_engagement"})
#: Facebook's limit on a post's text.
MAX_MESSAGE_CHARS = 63_206

RATE_LIMIT_MESSAGES = {
    4: "(#4) Application request limit reached",
    17: "(#17) User request limit reached",
    32: "(#32) Page request limit reached",
    613: "(#613) Calls to this api have exceeded the rate limit.",
    80001: "(#80001) There have been too many calls to this Page account. "
    "Wait a bit and try again.",
}
TRANSIENT_CODES = frozenset({1, 2, 4, 17, 32, 341, 613}) | frozenset(range(80000, 80100))
FAULT_KINDS = frozenset({"429", "5xx", "error", "hang", "accept_then_hang"})
FEED_FIELDS = ("id", "message", "created_time", "updated_time", "permalink_url")
_POST_ID = re.compile(r"^(\d+)_(\d+)$")
_VERSION = re.compile(r"^v(\d+)\.(\d+)$")


# State ------------------------------------------------------------------

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


def _graph_time(moment: dt.datetime) -> str:
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
            when = _graph_time(created or dt.datetime.now(dt.timezone.utc))
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
                "posts": [_copy_post(p) for p in self.posts.values()],
                "created": self.created,
                "requests": self.requests,
            }


def _copy_post(post: dict[str, Any]) -> dict[str, Any]:
    copy = dict(post)
    copy["history"] = [dict(h) for h in post["history"]]
    return copy


# Faults -----------------------------------------------------------------

@dataclasses.dataclass
class GraphFault(Fault):
    """A fault with the Graph error it answers with."""

    code: int | None = None
    subcode: int | None = None
    message: str | None = None


class GraphFaultPlan(FaultPlan):
    """A fault plan whose faults may carry a Graph error code."""

    def add(self, **spec: Any) -> Fault:
        """Queue a fault; ``status`` defaults to what Graph sends for its ``code``."""
        explicit_status = "status" in spec
        fault = GraphFault(**spec)
        if fault.kind not in FAULT_KINDS:
            # A mistyped kind would otherwise pass silently and the test prove nothing.
            raise ValueError(f"unknown fault kind {fault.kind!r}; expected one of {sorted(FAULT_KINDS)}")
        if fault.kind == "429" and fault.code is None:
            fault.code = 4
        if fault.kind == "error" and fault.code is None:
            fault.code = 1
        if fault.kind in ("429", "error") and not explicit_status:
            fault.status = _status_for_code(fault.code or 1)
        with self.lock:
            self.faults.append(fault)
        return fault


def _status_for_code(code: int) -> int:
    if code in (1, 2):
        return 500
    if code == 10 or 200 <= code <= 299:
        return 403
    return 400


# Responses --------------------------------------------------------------

class GraphError(Exception):
    """Raised inside a handler to answer with a Graph error."""

    def __init__(
        self,
        code: int,
        message: str,
        *,
        type_: str = "OAuthException",
        subcode: int | None = None,
        status: int | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(message)
        self.code = code
        self.message = message
        self.type = type_
        self.subcode = subcode
        self.status = status or _status_for_code(code)
        self.headers = headers or {}

    def response(self) -> Response:
        """This error as Graph sends it."""
        body: dict[str, Any] = {
            "message": self.message,
            "type": self.type,
            "code": self.code,
            "is_transient": self.code in TRANSIENT_CODES,
            "fbtrace_id": secrets.token_urlsafe(9),
        }
        if self.subcode is not None:
            body["error_subcode"] = self.subcode
        resp = jsonify({"error": body})
        resp.status_code = self.status
        for name, value in self.headers.items():
            resp.headers[name] = value
        return resp


def _missing_object(post_id: str, verb: str) -> GraphError:
    return GraphError(
        100,
        f"Unsupported {verb} request. Object with ID '{post_id}' does not exist, cannot be "
        "loaded due to missing permissions, or does not support this operation.",
        type_="GraphMethodException",
        subcode=33,
    )


def _rate_limit_error(fault: GraphFault, page_id: str | None) -> GraphError:
    code = fault.code or 4
    minutes = max(0, math.ceil(fault.reset / 60))
    usage = {"type": "pages", "call_count": 100, "total_cputime": 100, "total_time": 100,
             "estimated_time_to_regain_access": minutes}
    headers = {
        "X-Business-Use-Case-Usage": json.dumps({page_id or "0": [usage]}),
        "X-App-Usage": json.dumps({"call_count": 100, "total_cputime": 40, "total_time": 40}),
    }
    return GraphError(
        code,
        fault.message or RATE_LIMIT_MESSAGES.get(code, f"(#{code}) Rate limit reached"),
        status=fault.status,
        headers=headers,
    )


def _drop_connection() -> None:
    """Close the client's connection without an answer, as a lost platform would."""
    sock = request.environ.get("werkzeug.socket")
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


# App --------------------------------------------------------------------

@dataclasses.dataclass
class _Sim:
    state: GraphState
    faults: GraphFaultPlan


def create_graph_simulator(state: GraphState | None = None) -> Flask:
    """A Flask app speaking the Graph API endpoints Crier uses, with ``/_sim`` controls."""
    app = Flask("crier_graph_simulator")
    state = state or GraphState()
    plan = GraphFaultPlan()
    app.extensions["crier_graph"] = _Sim(state=state, faults=plan)
    add_control_routes(app, plan, state)

    @app.errorhandler(GraphError)
    def _graph_error(exc: GraphError):
        return exc.response()

    @app.post("/_sim/pages")
    def _add_page():
        spec = request.get_json(force=True) or {}
        page = state.add_page(
            str(spec.get("name") or "Page"),
            app_secret=spec.get("app_secret"),
            permissions=spec.get("permissions"),
        )
        return jsonify(page.credentials()), 201

    def begin(version: str, *, is_write: bool, page_id: str | None) -> tuple[Fault | None, GraphPage]:
        """Count the call, apply any fault due, and check version and credentials."""
        with state.lock:
            state.requests += 1
        fault = plan.take(is_write)
        if isinstance(fault, GraphFault):
            _apply_fault_before(fault, page_id)
        _check_version(version)
        page = _authorise(state, page_id)
        return fault, page

    def finish(fault: Fault | None, body: dict[str, Any]):
        if fault is not None and fault.kind == "accept_then_hang":
            hang(fault.seconds)
            raise _Dropped()
        return jsonify(body)

    @app.errorhandler(_Dropped)
    def _dropped(exc: _Dropped):
        _drop_connection()
        return Response(b"", status=504)

    @app.errorhandler(_FrontEndFailure)
    def _front_end(exc: _FrontEndFailure):
        return Response(
            f"<html><body><h1>{exc.status} Service Unavailable</h1></body></html>",
            status=exc.status,
            mimetype="text/html",
        )

    @app.post("/<version>/<page_id>/feed")
    def publish(version: str, page_id: str):
        fault, page = begin(version, is_write=True, page_id=page_id)
        _require_permission(page, "pages_manage_posts")
        message = request.values.get("message")
        link = request.values.get("link") or None
        if not (message and message.strip()) and not link:
            raise GraphError(100, "(#100) Missing message or attachment", type_="OAuthException")
        if message and len(message) > MAX_MESSAGE_CHARS:
            raise GraphError(100, "(#100) The message is too long", type_="OAuthException")
        if link and urlsplit(link).scheme not in ("http", "https"):
            raise GraphError(100, "(#100) The parameter link is not a valid URL")
        with state.lock:
            latest = state.live_posts(page.page_id)
            if latest and message and latest[-1]["message"] == message:
                raise GraphError(506, "(#506) Duplicate status message")
            post = state.create_post(page.page_id, message, link, version=version)
        return finish(fault, {"id": post["id"]})

    @app.get("/<version>/<object_id>")
    def read_object(version: str, object_id: str):
        """A Page read with its own token: ``GET /{page-id}?fields=id,name``."""
        fault, page = begin(version, is_write=False, page_id=object_id)
        if object_id != page.page_id:
            raise GraphError(100, f"(#100) Unsupported get request. Object with ID '{object_id}' does not "
                                  "exist, cannot be loaded due to missing permissions, or does not support "
                                  "this operation", type_="GraphMethodException")
        fields = [f.strip() for f in request.args.get("fields", "id,name").split(",") if f.strip()]
        values = {"id": page.page_id, "name": page.name}
        return finish(fault, {name: values[name] for name in fields if name in values} or {"id": page.page_id})

    @app.get("/<version>/<page_id>/feed")
    def feed(version: str, page_id: str):
        _fault, page = begin(version, is_write=False, page_id=page_id)
        _require_permission(page, "pages_read_engagement")
        fields = [f.strip() for f in request.args.get("fields", "id,message,created_time").split(",") if f.strip()]
        for name in fields:
            if name not in FEED_FIELDS:
                raise GraphError(
                    100,
                    f"(#100) Tried accessing nonexisting field ({name}) on node type (PagePost)",
                )
        try:
            limit = min(max(int(request.args.get("limit", 25)), 1), 100)
            since = request.args.get("since")
            since_at = dt.datetime.fromtimestamp(int(since), dt.timezone.utc) if since else None
        except (TypeError, ValueError, OverflowError):
            raise GraphError(100, "(#100) Invalid parameter") from None
        posts = list(reversed(state.live_posts(page.page_id)))
        if since_at is not None:
            posts = [p for p in posts if _parse_graph_time(p["created_time"]) >= since_at]
        start = 0
        after = request.args.get("after")
        if after:
            start = _cursor_position(posts, after)
        chunk = posts[start : start + limit]
        body: dict[str, Any] = {"data": [_feed_item(p, fields) for p in chunk]}
        if chunk:
            body["paging"] = {"cursors": {"before": _cursor(chunk[0]["id"]), "after": _cursor(chunk[-1]["id"])}}
            if start + limit < len(posts):
                query = {k: v for k, v in request.args.items() if k != "after"}
                query["after"] = _cursor(chunk[-1]["id"])
                body["paging"]["next"] = f"{request.base_url}?{urlencode(query)}"
        return jsonify(body)

    @app.post("/<version>/<object_id>")
    def edit(version: str, object_id: str):
        fault, page = begin(version, is_write=True, page_id=_page_of(object_id))
        _require_permission(page, "pages_manage_posts")
        message = request.values.get("message")
        with state.lock:
            post = _own_post(state, page, object_id, "post")
            if not (message and message.strip()):
                raise GraphError(100, "(#100) Missing message", type_="OAuthException")
            if len(message) > MAX_MESSAGE_CHARS:
                raise GraphError(100, "(#100) The message is too long", type_="OAuthException")
            now = _graph_time(dt.datetime.now(dt.timezone.utc))
            post["history"].append({"message": post["message"], "replaced_time": now})
            post["message"] = message
            post["updated_time"] = now
        return finish(fault, {"success": True})

    @app.delete("/<version>/<object_id>")
    def delete(version: str, object_id: str):
        fault, page = begin(version, is_write=True, page_id=_page_of(object_id))
        _require_permission(page, "pages_manage_posts")
        with state.lock:
            post = _own_post(state, page, object_id, "delete")
            post["deleted"] = True
        return finish(fault, {"success": True})

    return app


def _apply_fault_before(fault: GraphFault, page_id: str | None) -> None:
    """Answer (or drop) the call as the fault says, unless it acts after the call is applied."""
    if fault.kind == "429":
        raise _rate_limit_error(fault, page_id)
    if fault.kind == "error":
        code = fault.code or 1
        raise GraphError(
            code,
            fault.message or f"(#{code}) Simulated Graph error",
            subcode=fault.subcode,
            status=fault.status,
        )
    if fault.kind == "5xx":
        raise _FrontEndFailure(fault.status)
    if fault.kind == "hang":
        hang(fault.seconds)
        raise _Dropped()


class _Dropped(Exception):
    """The connection is to be closed without an answer."""


class _FrontEndFailure(Exception):
    def __init__(self, status: int):
        super().__init__(status)
        self.status = status


def _check_version(version: str) -> None:
    match = _VERSION.match(version)
    if match is None:
        raise GraphError(2500, f"Unknown path components: /{version}", type_="OAuthException")
    if (int(match[1]), int(match[2])) < OLDEST_SUPPORTED_VERSION:
        oldest = "v%d.%d" % OLDEST_SUPPORTED_VERSION
        raise GraphError(
            12,
            f"(#12) Graph API {version} is no longer available; call {oldest} or newer",
            type_="OAuthException",
        )


def _request_token() -> str | None:
    token = request.values.get("access_token")
    if token:
        return token
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() in ("oauth", "bearer") and value.strip():
        return value.strip()
    return None


def _authorise(state: GraphState, page_id: str | None) -> GraphPage:
    """The Page the call's token belongs to, checked against the Page in the URL."""
    token = _request_token()
    if not token:
        raise GraphError(104, "An access token is required to request this resource.")
    page = state.page_for_token(token)
    if page is None:
        raise GraphError(190, "Invalid OAuth access token - Cannot parse access token")
    if page.app_secret:
        proof = request.values.get("appsecret_proof")
        if not proof:
            raise GraphError(
                100,
                "API calls from the server require an appsecret_proof argument",
                type_="GraphMethodException",
            )
        expected = hmac.new(page.app_secret.encode(), token.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(proof, expected):
            raise GraphError(
                100,
                "Invalid appsecret_proof provided in the API argument",
                type_="GraphMethodException",
            )
    if page_id is not None and page_id != page.page_id:
        raise GraphError(
            190,
            f"Error validating access token: the token does not belong to Page {page_id}",
        )
    return page


def _require_permission(page: GraphPage, permission: str) -> None:
    if permission in page.permissions:
        return
    if permission == "pages_read_engagement":
        raise GraphError(10, "(#10) This endpoint requires the 'pages_read_engagement' permission")
    raise GraphError(
        200,
        "(#200) The Page has not granted the pages_manage_posts and pages_read_engagement "
        "permissions needed to publish",
    )


def _page_of(object_id: str) -> str | None:
    match = _POST_ID.match(object_id)
    return match[1] if match else None


def _own_post(state: GraphState, page: GraphPage, object_id: str, verb: str) -> dict[str, Any]:
    post = state.posts.get(object_id)
    if post is None or post["deleted"] or post["page_id"] != page.page_id:
        raise _missing_object(object_id, verb)
    return post


def _parse_graph_time(value: str) -> dt.datetime:
    return dt.datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z")


def _cursor(post_id: str) -> str:
    return base64.urlsafe_b64encode(post_id.encode()).decode().rstrip("=")


def _cursor_position(posts: list[dict[str, Any]], cursor: str) -> int:
    try:
        post_id = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        raise GraphError(100, "(#100) Invalid cursor") from None
    for index, post in enumerate(posts):
        if post["id"] == post_id:
            return index + 1
    # The cursor's post has gone: Graph then continues from the end.
    return len(posts)


def _feed_item(post: dict[str, Any], fields: list[str]) -> dict[str, Any]:
    item: dict[str, Any] = {}
    for name in fields:
        if name == "permalink_url":
            item[name] = f"https://www.facebook.com/{post['id']}"
        elif name == "message":
            if post["message"] is not None:
                item[name] = post["message"]
        else:
            item[name] = post[name]
    return item


# Convenience ------------------------------------------------------------

class GraphSimulator(Simulator):
    """The Graph simulator served on a loopback port, with helpers for tests and the demo."""

    def __init__(self, state: GraphState | None = None, *, host: str = "127.0.0.1", port: int = 0):
        super().__init__(create_graph_simulator(state), host, port)
        sim: _Sim = self.app.extensions["crier_graph"]
        self.state = sim.state
        self.faults = sim.faults

    @property
    def posts(self) -> list[dict[str, Any]]:
        """Live posts on every Page, oldest first (copies)."""
        return [_copy_post(p) for p in self.state.live_posts()]

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
            return _copy_post(post) if post else None

    def add_page(
        self,
        name: str,
        *,
        app_secret: str | None = None,
        permissions: frozenset[str] | set[str] | None = None,
        access_token: str | None = None,
    ) -> dict[str, str]:
        """Create a Page and return the credentials Crier stores for it."""
        return self.state.add_page(name, app_secret=app_secret, permissions=permissions,
                                   access_token=access_token).credentials()

    def fault(self, kind: str, **spec: Any) -> Fault:
        """Queue a fault for the next matching calls (see the module docstring)."""
        return self.faults.add(kind=kind, **spec)

    def reset(self) -> None:
        """Clear posts, counters and pending faults; Pages stay."""
        self.faults.clear()
        self.state.reset()
