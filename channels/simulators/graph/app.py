"""The Graph simulator's Flask app: the endpoints Crier calls, answered as Graph answers them."""
from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import re
from typing import Any
from urllib.parse import urlencode, urlsplit

from flask import Flask, Response, jsonify, request

from ..server import Fault, add_control_routes, drop_connection, hang
from .errors import (
    Dropped,
    FrontEndFailure,
    GraphError,
    GraphFault,
    GraphFaultPlan,
    apply_fault_before,
    authorise,
    check_version,
    missing_object,
    require_permission,
)
from .insights import register_insights
from .login import register_login
from .photos import add_photo_routes, attach, attached_photos, delete_photo
from .state import GraphPage, GraphState, graph_time

#: Facebook's limit on a post's text.
MAX_MESSAGE_CHARS = 63_206
FEED_FIELDS = ("id", "message", "created_time", "updated_time", "permalink_url")
_POST_ID = re.compile(r"^(\d+)_(\d+)$")


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
    register_login(app, state)

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
            apply_fault_before(fault, page_id)
        check_version(version)
        page = authorise(state, page_id)
        return fault, page

    def finish(fault: Fault | None, body: dict[str, Any]):
        if fault is not None and fault.kind == "accept_then_hang":
            hang(fault.seconds)
            raise Dropped()
        return jsonify(body)

    @app.errorhandler(Dropped)
    def _dropped(exc: Dropped):
        drop_connection()
        return Response(b"", status=504)

    @app.errorhandler(FrontEndFailure)
    def _front_end(exc: FrontEndFailure):
        return Response(
            f"<html><body><h1>{exc.status} Service Unavailable</h1></body></html>",
            status=exc.status,
            mimetype="text/html",
        )

    add_photo_routes(app, state, begin, finish)

    @app.post("/<version>/<page_id>/feed")
    def publish(version: str, page_id: str):
        fault, page = begin(version, is_write=True, page_id=page_id)
        require_permission(page, "pages_manage_posts")
        message = request.values.get("message")
        link = request.values.get("link") or None
        photos = attached_photos(state, page, request.values)
        if not (message and message.strip()) and not link and not photos:
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
            attach(state, post, photos)
        return finish(fault, {"id": post["id"]})

    read_audience = register_insights(app, state, begin)

    @app.get("/<version>/<object_id>")
    def read_object(version: str, object_id: str):
        """A Page read with its own token: ``GET /{page-id}?fields=id,name``; audience reads (insights.py)."""
        audience = read_audience(version, object_id)
        if audience is not None:
            return audience
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
        require_permission(page, "pages_read_engagement")
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
        require_permission(page, "pages_manage_posts")
        message = request.values.get("message")
        with state.lock:
            post = _own_post(state, page, object_id, "post")
            if not (message and message.strip()):
                raise GraphError(100, "(#100) Missing message", type_="OAuthException")
            if len(message) > MAX_MESSAGE_CHARS:
                raise GraphError(100, "(#100) The message is too long", type_="OAuthException")
            now = graph_time(dt.datetime.now(dt.timezone.utc))
            post["history"].append({"message": post["message"], "replaced_time": now})
            post["message"] = message
            post["updated_time"] = now
        return finish(fault, {"success": True})

    @app.delete("/<version>/<object_id>")
    def delete(version: str, object_id: str):
        fault, page = begin(version, is_write=True, page_id=_page_of(object_id))
        require_permission(page, "pages_manage_posts")
        with state.lock:
            if not delete_photo(state, page, object_id):
                post = _own_post(state, page, object_id, "delete")
                post["deleted"] = True
        return finish(fault, {"success": True})

    return app


def _page_of(object_id: str) -> str | None:
    match = _POST_ID.match(object_id)
    return match[1] if match else None


def _own_post(state: GraphState, page: GraphPage, object_id: str, verb: str) -> dict[str, Any]:
    post = state.posts.get(object_id)
    if post is None or post["deleted"] or post["page_id"] != page.page_id:
        raise missing_object(object_id, verb)
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
