"""Admin API for people: list users and change their role, access or email. Thin views over
:mod:`workflow.people`; officers and supervisors get 403."""
from __future__ import annotations

from flask import jsonify

from workflow.accounts import users as people
from workflow.accounts.policy import Action

from ..auth import api_may
from ..context import db
from . import _body, bp


@bp.get("/users")
@api_may(Action.ADMINISTER)
def list_users(user):
    return jsonify({"users": [people.user_as_dict(u) for u in people.list_users(db())]})


@bp.patch("/users/<username>")
@api_may(Action.ADMINISTER)
def update_user(user, username: str):
    data = _body("UserEdit")
    changed = people.update_user(db(), user, username, role=data.get("role"), active=data.get("active"),
                                 email=data["email"] if "email" in data else ...)
    return jsonify(people.user_as_dict(changed))
