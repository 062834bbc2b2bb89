"""Admin API for people: list users and change their role, access or email. Thin views over
:mod:`workflow.accounts.users`; officers and supervisors get 403."""
from __future__ import annotations

from workflow.accounts import users as people
from workflow.accounts.policy import Action

from ..auth import api_may
from ..context import db
from .base import answer, bp, read_body
from .schemas import User, UserEdit, UserList


@bp.get("/users")
@api_may(Action.ADMINISTER)
def list_users(user):
    return answer(UserList(users=[User.of(u) for u in people.list_users(db())]))


@bp.patch("/users/<username>")
@api_may(Action.ADMINISTER)
def update_user(user, username: str):
    data = read_body(UserEdit)
    email = data.email if "email" in data.model_fields_set else ...
    changed = people.update_user(db(), user, username, role=data.role, active=data.active, email=email)
    return answer(User.of(changed))
