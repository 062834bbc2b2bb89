"""A local simulator of the parts of the X API v2 that Crier uses.

It is a real HTTP server (a Flask app) speaking X's URLs and JSON, so the X
channel is exercised through tweepy exactly as in production:

``POST /2/tweets``
    post ``text``, optionally ``reply.in_reply_to_tweet_id`` -> 201 ``{"data": {"id", "text"}}``
``DELETE /2/tweets/<id>``
    delete one of the account's posts -> ``{"data": {"deleted": true}}``; 404 if there is none
``GET /2/users/me``
    the account the credentials belong to
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

import base64
import dataclasses
import datetime as dt
import hashlib
import hmac
import html
import itertools
import math
import secrets
import socket
import threading
import time
import unicodedata
from typing import Any

from flask import Flask, Response, g, jsonify, request
from oauthlib.oauth1.rfc5849 import signature as oauth_signature
from oauthlib.oauth1.rfc5849.utils import parse_authorization_header, unescape
from twitter_text import extract_urls_with_indices

from channels.x.text import MAX_WEIGHTED_LENGTH, invalid_characters, weighted_length

from .server import Fault, FaultPlan, Simulator, add_control_routes, hang

#: How far a request's OAuth timestamp may be from the server's clock, in seconds.
TIMESTAMP_WINDOW = 300
DUPLICATE_DETAIL = "You are not allowed to create a Tweet with duplicate content."
TOO_LONG_DETAIL = ("Your Tweet text is too long. For more information on how X determines "
                   "text length see https://github.com/twitter/twitter-text.")
REPLY_TARGET_DETAIL = "You attempted to reply to a Tweet that is deleted or not visible to you."
TWEET_FIELDS = frozenset({"id", "text", "created_at", "author_id", "conversation_id",
                          "in_reply_to_user_id", "referenced_tweets", "edit_history_tweet_ids"})
_FIRST_ID = 1_860_000_000_000_000_000


@dataclasses.dataclass(frozen=True)
class XAccount:
    """An X account that has authorised the simulator's app."""

    user_id: str
    username: str
    name: str
    access_token: str
    access_token_secret: str


@dataclasses.dataclass
class XPost:
    """A post as the simulator stores it."""

    id: str
    author_id: str
    text: str
    created_at: dt.datetime
    in_reply_to: str | None = None
    conversation_id: str = ""
    deleted: bool = False

    def as_dict(self, username: str) -> dict[str, Any]:
        return {"id": self.id, "author_id": self.author_id, "username": username, "text": self.text,
                "in_reply_to": self.in_reply_to, "created_at": _iso(self.created_at),
                "deleted": self.deleted}


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _same_text(text: str) -> str:
    """The form in which two texts count as duplicates."""
    return " ".join(unicodedata.normalize("NFC", text).split())


class XState:
    """Everything one simulated X holds: the app's keys, accounts and posts; thread-safe."""

    def __init__(self, consumer_key: str | None = None, consumer_secret: str | None = None):
        self.lock = threading.RLock()
        self.consumer_key = consumer_key or "crier-app-" + secrets.token_hex(8)
        self.consumer_secret = consumer_secret or secrets.token_urlsafe(32)
        self.accounts: dict[str, XAccount] = {}  # by access token
        self.posts: list[XPost] = []
        self.create_count = 0
        self._ids = itertools.count(_FIRST_ID, 7)
        self._user_ids = itertools.count(1_500_000_000)
        self._nonces: dict[tuple[str, str], float] = {}

    # Accounts ---------------------------------------------------------------
    def add_account(self, username: str, *, name: str | None = None, access_token: str | None = None,
                    access_token_secret: str | None = None) -> dict[str, str]:
        """Register an account; returns the credentials Crier stores for it."""
        with self.lock:
            user_id = str(next(self._user_ids))
            token = access_token or f"{user_id}-{secrets.token_urlsafe(24)}"
            account = XAccount(user_id, username, name or username, token,
                               access_token_secret or secrets.token_urlsafe(32))
            self.accounts[token] = account
        return self.credentials(account)

    def credentials(self, account: XAccount) -> dict[str, str]:
        """The credentials dict of ``account`` (the X channel's credential keys)."""
        return {"consumer_key": self.consumer_key, "consumer_secret": self.consumer_secret,
                "access_token": account.access_token, "access_token_secret": account.access_token_secret,
                "user_id": account.user_id, "username": account.username}

    def account_by_id(self, user_id: str) -> XAccount | None:
        """The account with X user id ``user_id``, if registered."""
        with self.lock:
            return next((a for a in self.accounts.values() if a.user_id == user_id), None)

    def use_nonce(self, token: str, nonce: str, timestamp: float) -> bool:
        """Record a request's nonce; False if it was used already (a replayed request)."""
        now = time.time()
        with self.lock:
            for key, seen in list(self._nonces.items()):
                if seen < now - 2 * TIMESTAMP_WINDOW:
                    del self._nonces[key]
            if (token, nonce) in self._nonces:
                return False
            self._nonces[(token, nonce)] = timestamp
            return True

    # Posts ------------------------------------------------------------------
    def find(self, post_id: str) -> XPost | None:
        """The live post with ``post_id``."""
        with self.lock:
            return next((p for p in self.posts if p.id == post_id and not p.deleted), None)

    def live_posts(self, author_id: str | None = None) -> list[XPost]:
        """Live posts, oldest first, optionally of one author."""
        with self.lock:
            return [p for p in self.posts if not p.deleted and (author_id is None or p.author_id == author_id)]

    def username_of(self, user_id: str) -> str:
        """The username of account ``user_id`` ("" if unknown)."""
        account = self.account_by_id(user_id)
        return account.username if account else ""

    def snapshot(self) -> dict[str, Any]:
        """Posts, counts and accounts, as JSON-ready data."""
        with self.lock:
            return {
                "posts": [p.as_dict(self.username_of(p.author_id)) for p in self.posts if not p.deleted],
                "deleted": [p.id for p in self.posts if p.deleted],
                "create_count": self.create_count,
                "accounts": sorted(a.username for a in self.accounts.values()),
            }

    def reset(self) -> None:
        """Forget every post and count; accounts stay registered."""
        with self.lock:
            self.posts.clear()
            self.create_count = 0
            self._nonces.clear()


# Responses ------------------------------------------------------------------------

def _problem(status: int, title: str, detail: str, *, type_: str = "about:blank",
             headers: dict[str, str] | None = None, **extra: Any) -> Response:
    body = {"title": title, "detail": detail, "type": type_, "status": status, **extra}
    response = jsonify(body)
    response.status_code = status
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def _invalid_request(message: str, parameter: str, value: Any) -> Response:
    return _problem(400, "Invalid Request", "One or more parameters to your request was invalid.",
                    type_="https://api.twitter.com/2/problems/invalid-request",
                    errors=[{"parameters": {parameter: [str(value)]}, "message": message}])


def _unauthorized() -> Response:
    return _problem(401, "Unauthorized", "Unauthorized")


def _rate_limited(fault: Fault) -> Response:
    reset = math.ceil(time.time() + fault.reset)
    return _problem(429, "Too Many Requests", "Too Many Requests",
                    headers={"x-rate-limit-limit": "100", "x-rate-limit-remaining": "0",
                             "x-rate-limit-reset": str(reset)})


def _server_error(fault: Fault) -> Response:
    titles = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable",
              504: "Gateway Timeout"}
    title = titles.get(fault.status, "Server Error")
    return _problem(fault.status, title, "X is over capacity or failing; try again later.")


def _drop_connection(seconds: float) -> Response:
    """Hold the request, then close the connection with no answer, as a dead platform does."""
    hang(seconds)
    sock = request.environ.get("werkzeug.socket")
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
    # Never reaches the caller once the socket is shut; served only without werkzeug.
    return _problem(504, "Gateway Timeout", "The request timed out.")


def _display_text(post: XPost) -> str:
    """The text as X gives it back: links shortened, ``& < >`` escaped."""
    text = post.text
    out, last = [], 0
    for entity in extract_urls_with_indices(text):
        start, end = entity["indices"]
        digest = hashlib.sha256(f"{post.id}:{entity['url']}".encode()).digest()
        token = base64.urlsafe_b64encode(digest).decode()[:10].replace("-", "x").replace("_", "y")
        out.append(text[last:start])
        out.append(f"https://t.co/{token}")
        last = end
    out.append(text[last:])
    return html.escape("".join(out), quote=False)


def _parse_time(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


# The app ----------------------------------------------------------------------------

def create_x_simulator(state: XState | None = None, plan: FaultPlan | None = None) -> Flask:
    """A Flask app that answers like the X API v2 for the accounts in ``state``."""
    state = state if state is not None else XState()
    plan = plan if plan is not None else FaultPlan()
    app = Flask("crier_x_simulator")
    app.extensions["x_simulator"] = {"state": state, "plan": plan}
    add_control_routes(app, plan, state)

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
            return _rate_limited(fault)
        if fault.kind == "5xx":
            return _server_error(fault)
        if fault.kind == "hang":
            return _drop_connection(fault.seconds)
        if fault.kind == "accept_then_hang":
            g.hang_after = fault.seconds
            return None
        return _problem(500, "Internal Server Error", f"unknown simulated fault {fault.kind!r}")

    @app.after_request
    def _hang_after(response: Response) -> Response:
        seconds = g.pop("hang_after", None)
        if seconds is not None:
            return _drop_connection(seconds)
        return response

    def authenticate() -> XAccount | Response:
        """The account that signed this request, or X's 401 answer."""
        header = request.headers.get("Authorization", "")
        try:
            oauth = {key: unescape(value) for key, value in parse_authorization_header(header)}
        except ValueError:
            return _unauthorized()
        required = ("oauth_consumer_key", "oauth_token", "oauth_signature_method", "oauth_signature",
                    "oauth_timestamp", "oauth_nonce")
        if any(not oauth.get(key) for key in required) or oauth["oauth_signature_method"] != "HMAC-SHA1":
            return _unauthorized()
        if oauth.get("oauth_version", "1.0") != "1.0" or oauth["oauth_consumer_key"] != state.consumer_key:
            return _unauthorized()
        with state.lock:
            account = state.accounts.get(oauth["oauth_token"])
        if account is None:
            return _unauthorized()
        try:
            timestamp = float(oauth["oauth_timestamp"])
        except ValueError:
            return _unauthorized()
        if abs(time.time() - timestamp) > TIMESTAMP_WINDOW:
            return _unauthorized()
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
            return _unauthorized()
        if "oauth_body_hash" in oauth:
            body_hash = base64.b64encode(hashlib.sha1(request.get_data()).digest()).decode()
            if not hmac.compare_digest(body_hash, oauth["oauth_body_hash"]):
                return _unauthorized()
        if not state.use_nonce(account.access_token, oauth["oauth_nonce"], timestamp):
            return _unauthorized()
        return account

    @app.post("/2/tweets")
    def create_tweet():
        account = authenticate()
        if isinstance(account, Response):
            return account
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return _invalid_request("The request body is not valid JSON.", "body", request.get_data(as_text=True))
        text = body.get("text")
        if not isinstance(text, str) or not text.strip():
            return _invalid_request("Tweet text is required when there is no media.", "text", text)
        if invalid_characters(text):
            return _invalid_request("Your Tweet text contains characters X does not allow.", "text", text)
        if weighted_length(text) > MAX_WEIGHTED_LENGTH:
            return _problem(400, "Bad Request", TOO_LONG_DETAIL)
        reply = body.get("reply") or {}
        target_id = reply.get("in_reply_to_tweet_id") if isinstance(reply, dict) else None
        with state.lock:
            target = None
            if target_id is not None:
                target = state.find(str(target_id))
                if target is None:
                    return _problem(403, "Forbidden", REPLY_TARGET_DETAIL)
            wanted = _same_text(text)
            if any(_same_text(p.text) == wanted for p in state.live_posts(account.user_id)):
                return _problem(403, "Forbidden", DUPLICATE_DETAIL)
            post_id = str(next(state._ids))
            post = XPost(post_id, account.user_id, text, dt.datetime.now(dt.timezone.utc),
                         in_reply_to=target.id if target else None,
                         conversation_id=target.conversation_id if target else post_id)
            state.posts.append(post)
            state.create_count += 1
        return jsonify({"data": {"id": post.id, "text": _display_text(post),
                                 "edit_history_tweet_ids": [post.id]}}), 201

    @app.delete("/2/tweets/<post_id>")
    def delete_tweet(post_id: str):
        account = authenticate()
        if isinstance(account, Response):
            return account
        with state.lock:
            post = state.find(post_id)
            if post is None:
                return _problem(404, "Not Found Error", f"Could not find tweet with id: [{post_id}].",
                                type_="https://api.twitter.com/2/problems/resource-not-found")
            if post.author_id != account.user_id:
                return _problem(403, "Forbidden", "You are not allowed to delete a Tweet you did not author.")
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
            return _problem(404, "Not Found Error", f"Could not find user with id: [{user_id}].",
                            type_="https://api.twitter.com/2/problems/resource-not-found")
        try:
            max_results = int(request.args.get("max_results", 10))
        except ValueError:
            max_results = -1
        if not 5 <= max_results <= 100:
            return _invalid_request("The `max_results` query parameter value is not between 5 and 100",
                                    "max_results", request.args.get("max_results"))
        posts = list(reversed(state.live_posts(owner.user_id)))
        for name, keep in (("start_time", lambda p, t: p.created_at >= t),
                           ("end_time", lambda p, t: p.created_at <= t)):
            if request.args.get(name):
                try:
                    moment = _parse_time(request.args[name])
                except ValueError:
                    return _invalid_request(f"Invalid {name}.", name, request.args[name])
                posts = [p for p in posts if keep(p, moment)]
        offset = 0
        if request.args.get("pagination_token"):
            try:
                offset = int(request.args["pagination_token"])
            except ValueError:
                return _invalid_request("Invalid pagination token.", "pagination_token",
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
        data: dict[str, Any] = {"id": post.id, "text": _display_text(post), "edit_history_tweet_ids": [post.id]}
        if "created_at" in fields:
            data["created_at"] = _iso(post.created_at)
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

    def add_account(self, username: str, **kw: Any) -> dict[str, str]:
        """Register an account; returns its credentials for the X channel."""
        return self.state.add_account(username, **kw)

    def fault(self, kind: str, **spec: Any) -> Fault:
        """Inject a fault into the next matching requests (see :mod:`channels.simulators.server`)."""
        return self.plan.add(kind=kind, **spec)

    def reset(self) -> None:
        """Clear posts, counts and pending faults."""
        self.plan.clear()
        self.state.reset()

