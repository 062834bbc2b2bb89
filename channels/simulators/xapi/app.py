"""The X simulator's Flask app: the X API v2 endpoints Crier calls, with OAuth 1.0a checks."""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import time
from typing import Any

from flask import Flask, Response, g, jsonify, request
from oauthlib.oauth1.rfc5849 import signature as oauth_signature
from oauthlib.oauth1.rfc5849.utils import parse_authorization_header, unescape

from channels.x.text import MAX_WEIGHTED_LENGTH, invalid_characters, weighted_length

from ..server import FaultPlan, add_control_routes
from .media import add_media_routes, attached_media
from .oauth import register_oauth
from .responses import (
    display_text,
    hang_and_drop,
    invalid_request,
    parse_time,
    problem,
    rate_limited,
    server_error,
    unauthorized,
)
from .state import TIMESTAMP_WINDOW, XAccount, XPost, XState, iso_time, same_text
from .users import register_audience

DUPLICATE_DETAIL = "You are not allowed to create a Tweet with duplicate content."
TOO_LONG_DETAIL = ("Your Tweet text is too long. For more information on how X determines "
                   "text length see https://github.com/twitter/twitter-text.")
REPLY_TARGET_DETAIL = "You attempted to reply to a Tweet that is deleted or not visible to you."
TWEET_FIELDS = frozenset({"id", "text", "created_at", "author_id", "conversation_id",
                          "in_reply_to_user_id", "referenced_tweets", "edit_history_tweet_ids"})


def create_x_simulator(state: XState | None = None, plan: FaultPlan | None = None) -> Flask:
    """A Flask app that answers like the X API v2 for the accounts in ``state``."""
    state = state if state is not None else XState()
    plan = plan if plan is not None else FaultPlan()
    app = Flask("crier_x_simulator")
    app.extensions["x_simulator"] = {"state": state, "plan": plan}
    add_control_routes(app, plan, state)
    register_oauth(app, state)

    @app.post("/_sim/accounts")
    def _add_account():
        spec = request.get_json(force=True, silent=True) or {}
        if not spec.get("username"):
            return jsonify({"error": "username is required"}), 400
        credentials = state.add_account(
            str(spec["username"]), name=spec.get("name"), access_token=spec.get("access_token"),
            access_token_secret=spec.get("access_token_secret"))
        return jsonify(credentials), 201

    @app.before_request
    def _apply_faults():
        if not request.path.startswith("/2/"):
            return None
        fault = plan.take(is_write=request.method in ("POST", "PUT", "DELETE"))
        if fault is None:
            return None
        if fault.kind == "429":
            return rate_limited(fault)
        if fault.kind == "5xx":
            return server_error(fault)
        if fault.kind == "hang":
            return hang_and_drop(fault.seconds)
        if fault.kind == "accept_then_hang":
            g.hang_after = fault.seconds
            return None
        return problem(500, "Internal Server Error", f"unknown simulated fault {fault.kind!r}")

    @app.after_request
    def _hang_after(response: Response) -> Response:
        seconds = g.pop("hang_after", None)
        if seconds is not None:
            return hang_and_drop(seconds)
        return response

    def authenticate() -> XAccount | Response:
        """The account that signed this request, or X's 401 answer."""
        header = request.headers.get("Authorization", "")
        try:
            oauth = {key: unescape(value) for key, value in parse_authorization_header(header)}
        except ValueError:
            return unauthorized()
        required = ("oauth_consumer_key", "oauth_token", "oauth_signature_method", "oauth_signature",
                    "oauth_timestamp", "oauth_nonce")
        if any(not oauth.get(key) for key in required) or oauth["oauth_signature_method"] != "HMAC-SHA1":
            return unauthorized()
        if oauth.get("oauth_version", "1.0") != "1.0" or oauth["oauth_consumer_key"] != state.consumer_key:
            return unauthorized()
        with state.lock:
            account = state.accounts.get(oauth["oauth_token"])
        if account is None:
            return unauthorized()
        try:
            timestamp = float(oauth["oauth_timestamp"])
        except ValueError:
            return unauthorized()
        if abs(time.time() - timestamp) > TIMESTAMP_WINDOW:
            return unauthorized()
        form = request.mimetype == "application/x-www-form-urlencoded"
        params = oauth_signature.collect_parameters(
            uri_query=request.query_string.decode("utf-8"),
            body=request.get_data(as_text=True) if form else None,
            headers={"Authorization": header}, exclude_oauth_signature=True)
        base = oauth_signature.signature_base_string(
            request.method, oauth_signature.base_string_uri(request.base_url),
            oauth_signature.normalize_parameters(params))
        expected = oauth_signature.sign_hmac_sha1(base, state.consumer_secret, account.access_token_secret)
        if not hmac.compare_digest(expected, oauth["oauth_signature"]):
            return unauthorized()
        if "oauth_body_hash" in oauth:
            body_hash = base64.b64encode(hashlib.sha1(request.get_data()).digest()).decode()
            if not hmac.compare_digest(body_hash, oauth["oauth_body_hash"]):
                return unauthorized()
        if not state.use_nonce(account.access_token, oauth["oauth_nonce"], timestamp):
            return unauthorized()
        return account

    register_audience(app, state, authenticate)
    add_media_routes(app, state, authenticate)

    @app.post("/2/tweets")
    def create_tweet():
        account = authenticate()
        if isinstance(account, Response):
            return account
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return invalid_request("The request body is not valid JSON.", "body", request.get_data(as_text=True))
        media_ids, refused = attached_media(state, account, body.get("media"))
        if refused is not None:
            return refused
        text = body.get("text")
        if not isinstance(text, str) or not text.strip():
            return invalid_request("Tweet text is required when there is no media.", "text", text)
        if invalid_characters(text):
            return invalid_request("Your Tweet text contains characters X does not allow.", "text", text)
        if weighted_length(text) > MAX_WEIGHTED_LENGTH:
            return problem(400, "Bad Request", TOO_LONG_DETAIL)
        reply = body.get("reply") or {}
        target_id = reply.get("in_reply_to_tweet_id") if isinstance(reply, dict) else None
        with state.lock:
            target = None
            if target_id is not None:
                target = state.find(str(target_id))
                if target is None:
                    return problem(403, "Forbidden", REPLY_TARGET_DETAIL)
            wanted = same_text(text)
            if any(same_text(p.text) == wanted for p in state.live_posts(account.user_id)):
                return problem(403, "Forbidden", DUPLICATE_DETAIL)
            post_id = str(next(state._ids))
            post = XPost(post_id, account.user_id, text, dt.datetime.now(dt.timezone.utc),
                         in_reply_to=target.id if target else None,
                         conversation_id=target.conversation_id if target else post_id, media_ids=media_ids)
            state.posts.append(post)
            state.create_count += 1
        return jsonify({"data": {"id": post.id, "text": display_text(post),
                                 "edit_history_tweet_ids": [post.id]}}), 201

    @app.delete("/2/tweets/<post_id>")
    def delete_tweet(post_id: str):
        account = authenticate()
        if isinstance(account, Response):
            return account
        with state.lock:
            post = state.find(post_id)
            if post is None:
                return problem(404, "Not Found Error", f"Could not find tweet with id: [{post_id}].",
                                type_="https://api.twitter.com/2/problems/resource-not-found")
            if post.author_id != account.user_id:
                return problem(403, "Forbidden", "You are not allowed to delete a Tweet you did not author.")
            post.deleted = True
        return jsonify({"data": {"deleted": True}})

    @app.get("/2/users/me")
    def users_me():
        account = authenticate()
        if isinstance(account, Response):
            return account
        return jsonify({"data": {"id": account.user_id, "name": account.name, "username": account.username}})

    @app.get("/2/users/<user_id>/tweets")
    def users_tweets(user_id: str):
        account = authenticate()
        if isinstance(account, Response):
            return account
        owner = state.account_by_id(user_id)
        if owner is None:
            return problem(404, "Not Found Error", f"Could not find user with id: [{user_id}].",
                            type_="https://api.twitter.com/2/problems/resource-not-found")
        try:
            max_results = int(request.args.get("max_results", 10))
        except ValueError:
            max_results = -1
        if not 5 <= max_results <= 100:
            return invalid_request("The `max_results` query parameter value is not between 5 and 100",
                                    "max_results", request.args.get("max_results"))
        posts = list(reversed(state.live_posts(owner.user_id)))
        for name, keep in (("start_time", lambda p, t: p.created_at >= t),
                           ("end_time", lambda p, t: p.created_at <= t)):
            if request.args.get(name):
                try:
                    moment = parse_time(request.args[name])
                except ValueError:
                    return invalid_request(f"Invalid {name}.", name, request.args[name])
                posts = [p for p in posts if keep(p, moment)]
        offset = 0
        if request.args.get("pagination_token"):
            try:
                offset = int(request.args["pagination_token"])
            except ValueError:
                return invalid_request("Invalid pagination token.", "pagination_token",
                                        request.args["pagination_token"])
        page = posts[offset:offset + max_results]
        fields = {f for f in request.args.get("tweet.fields", "").split(",") if f} & TWEET_FIELDS
        meta: dict[str, Any] = {"result_count": len(page)}
        if page:
            meta.update(newest_id=page[0].id, oldest_id=page[-1].id)
        if offset + max_results < len(posts):
            meta["next_token"] = str(offset + max_results)
        result: dict[str, Any] = {"meta": meta}
        if page:
            result["data"] = [_tweet_json(p, fields) for p in page]
        return jsonify(result)

    def _tweet_json(post: XPost, fields: set[str]) -> dict[str, Any]:
        data: dict[str, Any] = {"id": post.id, "text": display_text(post), "edit_history_tweet_ids": [post.id]}
        if "created_at" in fields:
            data["created_at"] = iso_time(post.created_at)
        if "author_id" in fields:
            data["author_id"] = post.author_id
        if "conversation_id" in fields:
            data["conversation_id"] = post.conversation_id
        if post.in_reply_to and "referenced_tweets" in fields:
            data["referenced_tweets"] = [{"type": "replied_to", "id": post.in_reply_to}]
        if post.in_reply_to and "in_reply_to_user_id" in fields:
            with state.lock:
                target = next((p for p in state.posts if p.id == post.in_reply_to), None)
            if target is not None:
                data["in_reply_to_user_id"] = target.author_id
        return data

    return app
