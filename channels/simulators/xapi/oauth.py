"""X's three-legged OAuth 1.0a sign-in ("Sign in with X"), as the simulator serves it.

``POST /oauth/request_token``
    signed with the app's consumer keys and an ``oauth_callback``; answers
    ``oauth_token=...&oauth_token_secret=...&oauth_callback_confirmed=true``
``GET /oauth/authorize?oauth_token=...`` (and ``/oauth/authenticate``)
    a small sign-in and consent page for a simulated X user; allowing sends the
    browser to the callback with ``oauth_token`` and ``oauth_verifier``,
    cancelling sends it there with ``denied=<oauth_token>``
``POST /oauth/access_token``
    signed with the consumer keys and the request token's secret, carrying the
    ``oauth_verifier``; answers ``oauth_token``, ``oauth_token_secret``,
    ``user_id`` and ``screen_name``

Like X, every call's HMAC-SHA1 signature, timestamp and nonce are checked: a
bad one gets 401 with X's ``{"errors": [{"code": 32, "message": "Could not
authenticate you."}]}``. A request token and its verifier work once, for ten minutes.
"""
from __future__ import annotations

import dataclasses
import hmac
import html
import re
import secrets
import threading
import time
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import Flask, Response, jsonify, redirect, request
from oauthlib.oauth1.rfc5849 import signature as oauth_signature
from oauthlib.oauth1.rfc5849.utils import parse_authorization_header, unescape

from .state import TIMESTAMP_WINDOW, XAccount, XState

#: How long a request token may wait for the user and the access-token call, in seconds.
REQUEST_TOKEN_LIFETIME = 600
_USERNAME = re.compile(r"^[A-Za-z0-9_]{1,15}$")


@dataclasses.dataclass
class RequestToken:
    token: str
    secret: str
    callback: str
    created: float
    verifier: str | None = None
    user_token: str | None = None  # the access token of the user who allowed it
    used: bool = False


class OAuthFlows:
    """Request tokens in flight; thread-safe."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.tokens: dict[str, RequestToken] = {}
        self.authorized = 0  # access tokens handed out, for tests
        # Users who revoked the app: signing in again gives them a new token, same user id.
        self.revoked: dict[str, XAccount] = {}

    def add(self, callback: str) -> RequestToken:
        with self.lock:
            now = time.time()
            for key, item in list(self.tokens.items()):
                if now - item.created > REQUEST_TOKEN_LIFETIME:
                    del self.tokens[key]
            item = RequestToken(secrets.token_urlsafe(24), secrets.token_urlsafe(32), callback, now)
            self.tokens[item.token] = item
            return item

    def get(self, token: str) -> RequestToken | None:
        with self.lock:
            item = self.tokens.get(token)
        if item is None or item.used or time.time() - item.created > REQUEST_TOKEN_LIFETIME:
            return None
        return item


def could_not_authenticate() -> Response:
    response = jsonify({"errors": [{"code": 32, "message": "Could not authenticate you."}]})
    response.status_code = 401
    return response


def _signed_oauth(state: XState, token_secret_of) -> dict[str, str] | None:
    """The request's OAuth parameters if its signature, consumer key, timestamp and nonce hold; else None.

    ``token_secret_of(oauth)`` gives the secret of the token the request names ("" for none),
    or None when that token is unknown.
    """
    header = request.headers.get("Authorization", "")
    try:
        oauth = {key: unescape(value) for key, value in parse_authorization_header(header)}
    except ValueError:
        return None
    required = ("oauth_consumer_key", "oauth_signature_method", "oauth_signature", "oauth_timestamp",
                "oauth_nonce")
    if any(not oauth.get(key) for key in required) or oauth["oauth_signature_method"] != "HMAC-SHA1":
        return None
    if oauth.get("oauth_version", "1.0") != "1.0" or not hmac.compare_digest(
            oauth["oauth_consumer_key"], state.consumer_key):
        return None
    try:
        timestamp = float(oauth["oauth_timestamp"])
    except ValueError:
        return None
    if abs(time.time() - timestamp) > TIMESTAMP_WINDOW:
        return None
    token_secret = token_secret_of(oauth)
    if token_secret is None:
        return None
    form = request.mimetype == "application/x-www-form-urlencoded"
    params = oauth_signature.collect_parameters(
        uri_query=request.query_string.decode("utf-8"),
        body=request.get_data(as_text=True) if form else None,
        headers={"Authorization": header}, exclude_oauth_signature=True)
    base = oauth_signature.signature_base_string(
        request.method, oauth_signature.base_string_uri(request.base_url),
        oauth_signature.normalize_parameters(params))
    expected = oauth_signature.sign_hmac_sha1(base, state.consumer_secret, token_secret)
    if not hmac.compare_digest(expected, oauth["oauth_signature"]):
        return None
    if not state.use_nonce(oauth.get("oauth_token", ""), oauth["oauth_nonce"], timestamp):
        return None
    # Parameters may also travel in the query or the form, as X accepts them.
    for key in ("oauth_verifier", "oauth_callback"):
        if key not in oauth and request.values.get(key):
            oauth[key] = request.values[key]
    return oauth


def _with_query(url: str, **params: str) -> str:
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True) + list(params.items())
    return urlunsplit(parts._replace(query=urlencode(query)))


def _form_answer(**fields: str) -> Response:
    return Response(urlencode(fields), mimetype="text/html")


CONSENT_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Authorize app - X (simulated)</title></head>
<body><main>
<h1>Authorize {app} to access your account?</h1>
<p>This is the local X simulator. Sign in as a simulated X user; an account of that name is made if
there is none.</p>
{error}
<form method="post" action="/oauth/authorize">
<input type="hidden" name="oauth_token" value="{token}">
<p><label for="username">Username</label>
<input id="username" name="username" value="{username}" autocomplete="off" required></p>
<p><button type="submit" name="decision" value="allow">Authorize app</button>
<button type="submit" name="decision" value="deny" formnovalidate>Cancel</button></p>
</form>
</main></body></html>"""


def register_oauth(app: Flask, state: XState) -> OAuthFlows:
    """Add X's ``/oauth/...`` endpoints to the simulator ``app``."""
    flows = OAuthFlows()
    app.extensions["x_oauth"] = flows

    @app.post("/oauth/request_token")
    def request_token():
        oauth = _signed_oauth(state, lambda o: None if o.get("oauth_token") else "")
        if oauth is None:
            return could_not_authenticate()
        callback = oauth.get("oauth_callback", "")
        if urlsplit(callback).scheme not in ("http", "https") or not urlsplit(callback).hostname:
            response = jsonify({"errors": [{"code": 417, "message": "Desktop applications only support the "
                                            "oauth_callback value 'oob'"}]})
            response.status_code = 403
            return response
        item = flows.add(callback)
        return _form_answer(oauth_token=item.token, oauth_token_secret=item.secret,
                            oauth_callback_confirmed="true")

    def consent_page(token: str, username: str = "", error: str = "", status: int = 200) -> Response:
        body = CONSENT_PAGE.format(app="Crier", token=html.escape(token), username=html.escape(username),
                                   error=f'<p role="alert">{html.escape(error)}</p>' if error else "")
        return Response(body, status=status, mimetype="text/html")

    @app.get("/oauth/authorize")
    @app.get("/oauth/authenticate")
    def authorize():
        token = request.args.get("oauth_token", "")
        if flows.get(token) is None:
            return Response("<!doctype html><title>X</title><p>This page is no longer valid. It looks like "
                            "someone already used the token information you provided.</p>",
                            status=400, mimetype="text/html")
        return consent_page(token)

    @app.post("/oauth/authorize")
    def decide():
        token = request.form.get("oauth_token", "")
        item = flows.get(token)
        if item is None or item.verifier is not None:
            return Response("<!doctype html><title>X</title><p>This page is no longer valid.</p>",
                            status=400, mimetype="text/html")
        if request.form.get("decision") != "allow":
            with flows.lock:
                item.used = True
            return redirect(_with_query(item.callback, denied=item.token))
        username = request.form.get("username", "").strip().lstrip("@")
        if not _USERNAME.match(username):
            return consent_page(token, username, "A username is 1 to 15 letters, digits or underscores.", 422)
        account = _sign_in(username)
        with flows.lock:
            item.verifier = secrets.token_urlsafe(24)
            item.user_token = account.access_token
        return redirect(_with_query(item.callback, oauth_token=item.token, oauth_verifier=item.verifier))

    @app.post("/oauth/access_token")
    def access_token():
        def secret_of(oauth: dict[str, str]) -> str | None:
            item = flows.get(oauth.get("oauth_token", ""))
            return item.secret if item is not None else None

        oauth = _signed_oauth(state, secret_of)
        if oauth is None:
            return could_not_authenticate()
        with flows.lock:
            item = flows.tokens.get(oauth["oauth_token"])
            verifier = oauth.get("oauth_verifier", "")
            if (item is None or item.used or item.verifier is None or item.user_token is None
                    or not hmac.compare_digest(item.verifier, verifier)):
                return could_not_authenticate()
            item.used = True
            flows.authorized += 1
        with state.lock:
            account = state.accounts[item.user_token]
        return _form_answer(oauth_token=account.access_token, oauth_token_secret=account.access_token_secret,
                            user_id=account.user_id, screen_name=account.username)

    @app.post("/_sim/accounts/<username>/revoke")
    def _revoke(username: str):
        if not revoke(state, flows, username):
            return jsonify({"error": f"no account {username}"}), 404
        return jsonify({"ok": True})

    def _sign_in(username: str) -> XAccount:
        """The simulated user ``username`` (made if new), with the access token it gives this app."""
        with state.lock:
            for account in state.accounts.values():
                if account.username.lower() == username.lower():
                    return account
            former = flows.revoked.pop(username.lower(), None)
            if former is not None:
                account = dataclasses.replace(former, access_token=f"{former.user_id}-{secrets.token_urlsafe(24)}",
                                              access_token_secret=secrets.token_urlsafe(32))
                state.accounts[account.access_token] = account
                return account
        state.add_account(username)
        with state.lock:
            return next(a for a in state.accounts.values() if a.username == username)

    return flows


def revoke(state: XState, flows: OAuthFlows, username: str) -> bool:
    """The user ``username`` revokes the app: its access token stops working at once."""
    with state.lock:
        account = next((a for a in state.accounts.values() if a.username.lower() == username.lower()), None)
        if account is None:
            return False
        del state.accounts[account.access_token]
        flows.revoked[username.lower()] = account
    return True
