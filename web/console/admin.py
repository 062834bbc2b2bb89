"""Admin pages: people (role, access, email) and channel accounts (enable, disable).

Thin views over :mod:`workflow.people`; every change there is audited and
takes effect at once. Refusals answer with the status the API would (403, 404,
409, 422) and say why.
"""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import login_required

from workflow.accounts import channel_accounts as accounts_channel_accounts
from workflow.accounts import users as accounts_users
from workflow.accounts.policy import Action
from workflow.core.errors import CrierError

from ..auth import require_console
from ..context import db
from . import bp


def _users_page(errors: dict[str, str] | None = None, status: int = 200):
    return render_template("console/users.html", title="People", people=accounts_users.list_users(db()),
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
    try:
        accounts_users.update_user(db(), actor, username, role=form.get("role") or None,
                           active={"yes": True, "no": False}.get(form.get("active", "")),
                           email=form.get("email", ""))
    except CrierError as exc:
        db().rollback()
        return _users_page({exc.field or "user": f"{username}: {exc.message}"}, exc.status)
    flash(f"{username} updated. A new role or disabled access ends their sessions and API tokens now.")
    return redirect(url_for("console.users"))


def _accounts_page(errors: dict[str, str] | None = None, status: int = 200):
    return render_template("console/accounts.html", title="Channel accounts",
                           channel_accounts=accounts_channel_accounts.list_accounts(db()), errors=errors or {}), status


@bp.get("/accounts")
@login_required
def channel_accounts():
    require_console(Action.ADMINISTER)
    return _accounts_page()


@bp.post("/accounts/<int:account_id>")
@login_required
def update_account(account_id: int):
    actor = require_console(Action.ADMINISTER)
    try:
        account = accounts_channel_accounts.set_account_enabled(db(), actor, account_id, request.form.get("enabled") == "yes")
    except CrierError as exc:
        db().rollback()
        return _accounts_page({"account": exc.message}, exc.status)
    flash(f"{account.name} is {'enabled' if account.status == 'active' else 'disabled'}.")
    return redirect(url_for("console.channel_accounts"))
