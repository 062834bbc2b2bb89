"""Console: connect channel accounts by signing in with X or Facebook, and keep them healthy.

Thin views over :mod:`workflow.accounts.connect` and :mod:`workflow.accounts.health`.
The sign-in's state is bound to this console session by a secret kept in the
session (only its hash is stored); a refusal shows the error page with its status.
"""
from __future__ import annotations

import secrets

from flask import flash, redirect, render_template, request, session, url_for
from flask_login import login_required

from workflow.accounts import channel_accounts as account_admin
from workflow.accounts import connect, health
from workflow.accounts.policy import Action

from ..auth import require_console
from ..context import db
from . import bp
from .admin import accounts_page
from .forms import attempt

#: The session key of the secret that binds a sign-in to this console session.
BINDING = "crier_connect_binding"


def _binding() -> str:
    if not session.get(BINDING):
        session[BINDING] = secrets.token_urlsafe(24)
    return str(session[BINDING])


def _choices() -> dict:
    form = request.form
    return {"area": form.get("area", ""), "exercise": form.get("exercise") == "yes",
            "account_id": form.get("account") or None}


@bp.post("/accounts/connect/x")
@login_required
def connect_x():
    actor = require_console(Action.ADMINISTER)
    url = connect.start_x(db(), actor, _binding(), url_for("console.connect_x_callback", _external=True),
                          **_choices())
    return redirect(url, code=303)


@bp.get("/accounts/connect/x/callback")
@login_required
def connect_x_callback():
    actor = require_console(Action.ADMINISTER)
    try:
        account = connect.finish_x(db(), actor, _binding(), request.args.to_dict())
    except connect.SignInCancelledError as exc:
        flash(exc.message)
        return redirect(url_for("console.channel_accounts"))
    flash(f"{account.name} is connected: X accepted its sign-in.")
    return redirect(url_for("console.channel_accounts"))


def _facebook_redirect_uri() -> str:
    return url_for("console.connect_facebook_callback", _external=True)


@bp.post("/accounts/connect/facebook")
@login_required
def connect_facebook():
    actor = require_console(Action.ADMINISTER)
    url = connect.start_facebook(db(), actor, _binding(), _facebook_redirect_uri(), **_choices())
    return redirect(url, code=303)


@bp.get("/accounts/connect/facebook/callback")
@login_required
def connect_facebook_callback():
    actor = require_console(Action.ADMINISTER)
    try:
        result = connect.finish_facebook(db(), actor, _binding(), _facebook_redirect_uri(), request.args.to_dict())
    except connect.SignInCancelledError as exc:
        flash(exc.message)
        return redirect(url_for("console.channel_accounts"))
    if isinstance(result, connect.AccountConnection):
        return redirect(url_for("console.pick_pages", connection_id=result.id))
    flash(f"{result.name} is reconnected: Facebook gave Crier a new Page token.")
    return redirect(url_for("console.channel_accounts"))


def _pick_page(connection_id: int, errors: dict[str, str] | None = None, status: int = 200):
    actor = require_console(Action.ADMINISTER)
    pages = connect.pages_to_pick(db(), actor, _binding(), connection_id)
    return render_template("console/pick_pages.html", title="Choose Facebook pages", pages=pages,
                           connection_id=connection_id, errors=errors or {}), status


@bp.get("/accounts/connect/facebook/<int:connection_id>")
@login_required
def pick_pages(connection_id: int):
    return _pick_page(connection_id)


@bp.post("/accounts/connect/facebook/<int:connection_id>")
@login_required
def choose_pages(connection_id: int):
    actor = require_console(Action.ADMINISTER)
    chosen = request.form.getlist("page")
    accounts, refused = attempt(lambda: connect.choose_pages(db(), actor, _binding(), connection_id, chosen),
                                propagate=(400, 403, 404, 409, 502))
    if refused:
        return _pick_page(connection_id, {refused.field or "page": refused.message}, refused.status)
    flash(f"Connected: {', '.join(a.name for a in accounts)}.")
    return redirect(url_for("console.channel_accounts"))


@bp.post("/accounts/<int:account_id>/settings")
@login_required
def account_settings(account_id: int):
    actor = require_console(Action.ADMINISTER)
    account, refused = attempt(lambda: account_admin.update_account(
        db(), actor, account_id, area=request.form.get("area", ""),
        exercise=request.form.get("exercise") == "yes"), propagate=(404,))
    if refused:
        return accounts_page({refused.field or "account": refused.message}, refused.status)
    flash(f"{account.name}: area and exercise flag saved.")
    return redirect(url_for("console.channel_accounts"))


@bp.post("/accounts/<int:account_id>/check")
@login_required
def check_account(account_id: int):
    actor = require_console(Action.ADMINISTER)
    account = health.check_account(db(), actor, account_id)
    if account.last_error_at and (account.last_success_at is None or account.last_error_at > account.last_success_at):
        flash(f"{account.name}: the platform refused the check: {account.last_error}", "error")
    else:
        flash(f"{account.name}: the platform accepted its credentials.")
    return redirect(url_for("console.channel_accounts"))
