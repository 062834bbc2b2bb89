"""Facebook Login as the Graph simulator serves it: the dialog, the token exchanges and ``/me/accounts``.

``GET /<version>/dialog/oauth`` (also ``/dialog/oauth``)
    ``client_id``, ``redirect_uri``, ``state``, ``scope``: a small consent page
    for a simulated Facebook user, who picks the Pages to give the app. Allowing
    sends the browser to ``redirect_uri?code=...&state=...``; cancelling to
    ``redirect_uri?error=access_denied&error_code=200&error_description=Permissions+error&error_reason=user_denied&state=...``
``GET /<version>/oauth/access_token`` (also unversioned, as Graph takes it)
    ``client_id``, ``redirect_uri``, ``client_secret``, ``code`` -> a short-lived
    user token ``{"access_token", "token_type": "bearer", "expires_in"}``; or
    ``grant_type=fb_exchange_token`` with ``fb_exchange_token`` -> a long-lived one
``GET /<version>/me/accounts``
    with a user token: the Pages it was given, each with its Page access token,
    ``{"data": [{"id", "name", "access_token", "category", "tasks"}], "paging": ...}``

Like Graph, a code works once, for ten minutes, and only with the
``redirect_uri`` of its dialog; a wrong app id or secret, a bad
``appsecret_proof`` or an unknown token gets Graph's error.
"""
from __future__ import annotations

import dataclasses
import hashlib
import hmac
import html
import secrets
import threading
import time
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import Flask, Response, jsonify, redirect, request

from .errors import GraphError, check_version
from .state import GraphState

CODE_LIFETIME = 600
SHORT_LIVED_SECONDS = 5_400
LONG_LIVED_SECONDS = 5_183_944
PAGE_TASKS = ["ANALYZE", "ADVERTISE", "MODERATE", "CREATE_CONTENT", "MANAGE"]


@dataclasses.dataclass
class Grant:
    """What one Facebook user gave the app: their Pages and the permissions asked for."""

    user_name: str
    page_ids: tuple[str, ...]
    scopes: frozenset[str]


@dataclasses.dataclass
class Code:
    grant: Grant
    redirect_uri: str
    created: float
    used: bool = False


class FacebookLogin:
    """The simulator's Facebook app and the grants, codes and user tokens it has handed out; thread-safe."""

    def __init__(self, app_id: str | None = None, app_secret: str | None = None):
        self.lock = threading.Lock()
        self.app_id = app_id or str(secrets.randbelow(9 * 10**14) + 10**14)
        self.app_secret = app_secret or secrets.token_hex(16)
        self.codes: dict[str, Code] = {}
        self.user_tokens: dict[str, tuple[Grant, bool]] = {}  # token -> (grant, long-lived)
        self.exchanges = 0  # codes exchanged, for tests

    def user_token(self, grant: Grant, *, long_lived: bool) -> str:
        token = "EAAuser" + secrets.token_urlsafe(24)
        with self.lock:
            self.user_tokens[token] = (grant, long_lived)
        return token


CONSENT_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Log in with Facebook (simulated)</title></head>
<body><main>
<h1>Crier is requesting access to your Pages</h1>
<p>This is the local Graph API simulator. Choose the Pages Crier may publish to.
It asks for: {scopes}.</p>
<form method="post">
{hidden}
<p><label for="user_name">Your name</label>
<input id="user_name" name="user_name" value="Comms officer" required></p>
<fieldset><legend>Pages</legend>
{pages}
<p><label for="new_page">Also create a Page named</label> <input id="new_page" name="new_page"></p>
</fieldset>
<p><button type="submit" name="decision" value="allow">Continue</button>
<button type="submit" name="decision" value="deny" formnovalidate>Cancel</button></p>
</form>
</main></body></html>"""


def _with_query(url: str, **params: str) -> str:
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True) + list(params.items())
    return urlunsplit(parts._replace(query=urlencode(query)))


def _dialog_error(message: str) -> Response:
    return Response(f"<!doctype html><title>Error</title><h1>Error</h1><p>{html.escape(message)}</p>",
                    status=400, mimetype="text/html")


def register_login(app: Flask, state: GraphState, login: FacebookLogin | None = None) -> FacebookLogin:
    """Add Facebook Login's endpoints to the Graph simulator ``app``."""
    login = login or FacebookLogin()
    app.extensions["crier_graph_login"] = login

    def dialog_problem() -> str | None:
        if request.values.get("client_id") != login.app_id:
            return "Invalid App ID: The provided app ID does not look like a valid app ID."
        uri = urlsplit(request.values.get("redirect_uri", ""))
        if uri.scheme not in ("http", "https") or not uri.hostname:
            return "URL Blocked: This redirect failed because the redirect URI is not valid."
        if request.values.get("response_type", "code") != "code":
            return "The simulator answers only response_type=code."
        return None

    @app.route("/dialog/oauth", methods=["GET", "POST"])
    @app.route("/<version>/dialog/oauth", methods=["GET", "POST"])
    def dialog(version: str | None = None):
        problem = dialog_problem()
        if problem:
            return _dialog_error(problem)
        redirect_uri, client_state = request.values["redirect_uri"], request.values.get("state", "")
        if request.method == "GET":
            with state.lock:
                pages = list(state.pages.values())
            boxes = "\n".join(
                f'<p><input type="checkbox" id="page-{p.page_id}" name="page" value="{p.page_id}" checked> '
                f'<label for="page-{p.page_id}">{html.escape(p.name)}</label></p>' for p in pages)
            hidden = "\n".join(f'<input type="hidden" name="{k}" value="{html.escape(v)}">'
                               for k, v in request.args.items())
            scopes = html.escape(request.args.get("scope", "") or "public_profile")
            return Response(CONSENT_PAGE.format(scopes=scopes, hidden=hidden, pages=boxes or "<p>No Pages yet.</p>"),
                            mimetype="text/html")
        if request.form.get("decision") != "allow":
            return redirect(_with_query(redirect_uri, error="access_denied", error_code="200",
                                        error_description="Permissions error", error_reason="user_denied",
                                        state=client_state))
        page_ids = [p for p in request.form.getlist("page") if p in state.pages]
        new_page = request.form.get("new_page", "").strip()[:100]
        if new_page:
            page_ids.append(state.add_page(new_page).page_id)
        scopes = frozenset(s.strip() for s in request.form.get("scope", "").split(",") if s.strip())
        grant = Grant(request.form.get("user_name", "Comms officer")[:100], tuple(page_ids), scopes)
        code = "AQ" + secrets.token_urlsafe(48)
        with login.lock:
            login.codes[code] = Code(grant, redirect_uri, time.time())
        return redirect(_with_query(redirect_uri, code=code, state=client_state))

    def check_app() -> None:
        if request.args.get("client_id") != login.app_id:
            raise GraphError(101, "Error validating application. Invalid application ID.")
        if not hmac.compare_digest(request.args.get("client_secret", ""), login.app_secret):
            raise GraphError(1, "Error validating client secret.", status=400)

    @app.get("/oauth/access_token")
    @app.get("/<version>/oauth/access_token")
    def access_token(version: str | None = None):
        if version is not None:
            check_version(version)
        check_app()
        if request.args.get("grant_type") == "fb_exchange_token":
            with login.lock:
                held = login.user_tokens.get(request.args.get("fb_exchange_token", ""))
            if held is None:
                raise GraphError(190, "Invalid OAuth access token - Cannot parse access token")
            token = login.user_token(held[0], long_lived=True)
            return jsonify({"access_token": token, "token_type": "bearer", "expires_in": LONG_LIVED_SECONDS})
        code = request.args.get("code", "")
        with login.lock:
            found = login.codes.get(code)
            if found is None or time.time() - found.created > CODE_LIFETIME:
                raise GraphError(100, "Invalid verification code format.")
            if found.used:
                raise GraphError(100, "This authorization code has been used.", subcode=36009)
            if request.args.get("redirect_uri") != found.redirect_uri:
                raise GraphError(100, "Error validating verification code. Please make sure your redirect_uri "
                                      "is identical to the one you used in the OAuth dialog request",
                                 subcode=36008)
            found.used = True
            login.exchanges += 1
        token = login.user_token(found.grant, long_lived=False)
        return jsonify({"access_token": token, "token_type": "bearer", "expires_in": SHORT_LIVED_SECONDS})

    @app.get("/me/accounts")
    @app.get("/<version>/me/accounts")
    def me_accounts(version: str | None = None):
        if version is not None:
            check_version(version)
        scheme, _, value = request.headers.get("Authorization", "").partition(" ")
        token = request.args.get("access_token") or (value.strip() if scheme.lower() in ("oauth", "bearer")
                                                       else "")
        if not token:
            raise GraphError(104, "An access token is required to request this resource.")
        with login.lock:
            held = login.user_tokens.get(token)
        if held is None:
            raise GraphError(190, "Invalid OAuth access token - Cannot parse access token")
        proof = request.args.get("appsecret_proof")
        if proof is not None:
            expected = hmac.new(login.app_secret.encode(), token.encode(), hashlib.sha256).hexdigest()
            if not hmac.compare_digest(proof, expected):
                raise GraphError(100, "Invalid appsecret_proof provided in the API argument",
                                 type_="GraphMethodException")
        grant = held[0]
        if "pages_show_list" not in grant.scopes:
            raise GraphError(200, "(#200) Requires pages_show_list permission to manage the object")
        with state.lock:
            pages = [state.pages[p] for p in grant.page_ids if p in state.pages]
        data = [{"id": p.page_id, "name": p.name, "access_token": p.access_token,
                 "category": "Government organisation", "tasks": PAGE_TASKS} for p in pages]
        body: dict = {"data": data}
        if data:
            body["paging"] = {"cursors": {"before": "QVFIU" + data[0]["id"], "after": "QVFIU" + data[-1]["id"]}}
        return jsonify(body)

    return login
