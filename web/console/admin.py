"""Admin pages: people (role, access, email) and channel accounts (enable, disable; see connect.py).

Thin views over :mod:`workflow.people`; every change there is audited and
takes effect at once. Refusals answer with the status the API would (403, 404,
409, 422) and say why.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, make_response, redirect, render_template, request, url_for
from flask_login import login_required

from workflow.accounts import channel_accounts as account_admin
from workflow.accounts import users as people
from workflow.accounts.policy import Action

from ..auth import require_console
from ..context import db, runtime
from ..headers import html_policy_with_forms_to
from . import bp
from .forms import attempt


def _users_page(errors: dict[str, str] | None = None, status: int = 200):
    return render_template("console/users.html", title="People", people=people.list_users(db()),
                           errors=errors or {}), status


@bp.get("/users")
@login_required
def users():
    require_console(Action.ADMINISTER)
    return _users_page()


@bp.post("/users/<username>")
@login_required
def update_user(username: str):
    actor = require_console(Action.ADMINISTER)
    form = request.form
    _, refused = attempt(lambda: people.update_user(
        db(), actor, username, role=form.get("role") or None,
        active={"yes": True, "no": False}.get(form.get("active", "")), email=form.get("email", "")), propagate=())
    if refused:
        return _users_page({refused.field or "user": f"{username}: {refused.message}"}, refused.status)
    flash(f"{username} updated. A new role or disabled access ends their sessions and API tokens now.")
    return redirect(url_for("console.users"))


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def accounts_page(errors: dict[str, str] | None = None, status: int = 200):
    """The accounts page: every account with its health, and the forms to connect more."""
    settings = runtime().settings
    x_app, facebook_app = bool(settings.x_consumer_key), bool(settings.facebook_app_id)
    response = make_response(render_template(
        "console/accounts.html", title="Channel accounts", channel_accounts=account_admin.list_accounts(db()),
        errors=errors or {}, x_app=x_app, facebook_app=facebook_app), status)
    # Its sign-in forms lead to X's and Facebook's own pages.
    response.headers["Content-Security-Policy"] = html_policy_with_forms_to(
        ([_origin(settings.x_oauth_base)] if x_app else [])
        + ([_origin(settings.facebook_login_base)] if facebook_app else []))
    return response


@bp.get("/accounts")
@login_required
def channel_accounts():
    require_console(Action.ADMINISTER)
    return accounts_page()


@bp.post("/accounts/<int:account_id>")
@login_required
def update_account(account_id: int):
    actor = require_console(Action.ADMINISTER)
    account, refused = attempt(lambda: account_admin.set_account_enabled(
        db(), actor, account_id, request.form.get("enabled") == "yes"), propagate=())
    if refused:
        return accounts_page({"account": refused.message}, refused.status)
    flash(f"{account.name} is {'enabled' if account.status == 'active' else 'disabled'}.")
    return redirect(url_for("console.channel_accounts"))
