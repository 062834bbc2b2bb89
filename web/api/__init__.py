"""The JSON API, ``/api/v1``: thin views over the workflow services.

Every error answers ``{"error": {"code", "message"}}`` with a 4xx status that
says what is wrong; domain errors map to their status in one place.
"""
from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, jsonify, request
from sqlalchemy import select
from werkzeug.exceptions import HTTPException

from workflow.accounts import channel_accounts as accounts
from workflow.accounts import channel_accounts as people
from workflow.accounts.policy import Action
from workflow.core.errors import CrierError, ValidationError
from workflow.messages import checks as messages_checks
from workflow.messages import drafts, queries, review
from workflow.messages import views as messages_views
from workflow.messages.models import Message
from workflow.messages.states import MessageState
from workflow.scheduling.rules import check_publish_window

from ..auth import api_may
from ..context import db
from .openapi import openapi_document, request_fields

log = logging.getLogger("crier.api")
bp = Blueprint("api", __name__, url_prefix="/api/v1")


def error(code: str, message: str, status: int, field: str | None = None):
    body: dict[str, Any] = {"code": code, "message": message}
    if field:
        body["field"] = field
    response = jsonify({"error": body})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="crier"'
    return response


@bp.app_errorhandler(CrierError)
def _domain_error(exc: CrierError):
    if not _is_api():
        # Pages with their own handlers (the console) never get here; anything
        # else answers in plain words rather than JSON.
        return exc.message, exc.status, {"Content-Type": "text/plain; charset=utf-8"}
    return error(exc.code, exc.message, exc.status, exc.field)


def _is_api() -> bool:
    return request.path.startswith("/api/")


@bp.app_errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    if not _is_api():
        return exc
    code = {400: "bad_request", 404: "not_found", 405: "method_not_allowed",
            413: "too_large", 415: "unsupported_media_type"}.get(exc.code or 500, "error")
    message = {404: "no such resource", 405: f"{request.method} is not allowed here",
               413: "the request body is too large"}.get(exc.code or 500, exc.description or "bad request")
    return error(code, message, exc.code or 500)


@bp.app_errorhandler(Exception)
def _unexpected(exc: Exception):
    log.exception("unexpected error on %s %s", request.method, request.path)
    if not _is_api():
        raise exc
    return error("internal", "Crier hit an unexpected error; nothing was changed", 500)


def json_body() -> dict[str, Any]:
    """The request's JSON object, or a 400 that says why it is not one."""
    try:
        data = request.get_json(silent=True, force=True)
    except RecursionError:  # the JSON parser gives up on very deep nesting
        raise ValidationError("the request body is nested too deeply") from None
    if data is None:
        raw = request.get_data(cache=True)
        if not raw:
            raise ValidationError("send a JSON object in the request body")
        raise ValidationError("the request body is not valid JSON")
    if not isinstance(data, dict):
        raise ValidationError("the request body must be a JSON object")
    return data


def _bad_json_is_400(exc: ValidationError) -> ValidationError:
    exc.status = 400
    exc.code = "bad_request"
    return exc


def _body(schema: str) -> dict[str, Any]:
    """The JSON object of the request, holding only fields the request body ``schema`` names."""
    try:
        data = json_body()
    except ValidationError as exc:
        raise _bad_json_is_400(exc) from None
    allowed = request_fields(schema)
    unknown = sorted(str(key) for key in data if key not in allowed)
    if unknown:
        raise ValidationError(f"unknown field {unknown[0]!r}: this request takes {', '.join(sorted(allowed))}",
                              field=unknown[0])
    for key, value in data.items():
        _check_storable(value, str(key))
    if "publish_at" in data:
        # Asked for now, so it must lie between now and a year ahead.
        check_publish_window(data["publish_at"])
    return data


_INT64 = 2**63


def _check_storable(value: Any, field: str) -> None:
    """Refuse values no database column can hold, wherever they sit in the body:
    text with NUL characters or lone surrogates, integers beyond 64 bits."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                raise ValidationError(f"{field} contains a NUL character", field=field)
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise ValidationError(f"{field} contains characters that are not valid Unicode",
                                      field=field) from None
        elif isinstance(item, int) and not isinstance(item, bool):
            if not -_INT64 <= item < _INT64:
                raise ValidationError(f"{field} holds a number too large to be an id or a version",
                                      field=field)
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_document())


@bp.get("/accounts")
@api_may(Action.READ)
def list_accounts(user):
    return jsonify({"accounts": [accounts.account_as_dict(a) for a in accounts.list_accounts(db())]})


@bp.post("/accounts")
@api_may(Action.ADMINISTER)
def add_account(user):
    data = _body("NewAccount")
    people.verify_credentials(db(), str(data.get("kind")), data.get("credentials", {}))
    account = accounts.add_account(db(), data.get("kind"), data.get("name"), data.get("credentials", {}),
                                   area=data.get("area"), actor=user)
    return jsonify(accounts.account_as_dict(account)), 201


@bp.get("/messages")
@api_may(Action.READ)
def list_messages(user):
    status = request.args.get("status")
    if status is not None and status not in {s.value for s in MessageState}:
        raise ValidationError(f"unknown status {status!r}", field="status")
    try:
        limit = min(max(int(request.args.get("limit", 50)), 1), 500)
    except ValueError:
        raise ValidationError("limit must be a number", field="limit") from None
    stmt = select(Message).order_by(Message.updated_at.desc(), Message.id.desc()).limit(limit)
    if status:
        stmt = stmt.where(Message.status == status)
    rows = db().execute(stmt).scalars().all()
    return jsonify({"messages": [{
        "id": m.id, "status": m.status, "version": m.current_version, "kind": m.kind,
        "author": m.author.username, "updated_at": m.updated_at.isoformat(),
        "body": m.latest.body if m.versions else "",
    } for m in rows]})


@bp.post("/messages")
@api_may(Action.DRAFT)
def create_message(user):
    session = db()
    message = drafts.create_draft(session, user, _body("NewMessage"))
    return jsonify({"id": message.id, "version": message.current_version, "status": message.status,
                    "slug": message.slug, "content_hash": message.latest.content_hash,
                    "checks": messages_checks.checks_for(session, message, message.latest)}), 201


@bp.get("/messages/<int:message_id>")
@api_may(Action.READ)
def get_message(user, message_id: int):
    session = db()
    return jsonify(messages_views.message_as_dict(session, queries.get_message(session, message_id),
                                            with_checks=True))


@bp.patch("/messages/<int:message_id>")
@api_may(Action.DRAFT)
def edit_message(user, message_id: int):
    session = db()
    data = _body("MessageEdit")
    expected = data.pop("version", None)
    if expected is not None and (isinstance(expected, bool) or not isinstance(expected, int)):
        raise ValidationError("version must be the integer number of the version you edited", field="version")
    if not data:
        raise ValidationError("nothing to change: send at least one field to edit, such as body", field="body")
    message = drafts.edit_message(session, user, message_id, data, expected_version=expected)
    return jsonify({"id": message.id, "version": message.current_version, "status": message.status,
                    "content_hash": message.latest.content_hash,
                    "checks": messages_checks.checks_for(session, message, message.latest)})


@bp.post("/messages/<int:message_id>/submit")
@api_may(Action.DRAFT)
def submit_message(user, message_id: int):
    message = review.submit(db(), user, message_id)
    return jsonify({"id": message.id, "version": message.current_version, "status": message.status})


@bp.post("/messages/<int:message_id>/approve")
@api_may(Action.VERIFY)
def approve_message(user, message_id: int):
    data = _body("Approval")
    if "version" not in data:
        raise ValidationError("name the version you verified: {\"version\": N}", field="version")
    content_hash = data.get("content_hash")
    if content_hash is not None and not isinstance(content_hash, str):
        raise ValidationError("content_hash must be a string", field="content_hash")
    session = db()
    message = review.approve(session, user, message_id, data["version"], content_hash)
    return jsonify(messages_views.message_as_dict(session, message))


@bp.post("/messages/<int:message_id>/reject")
@api_may(Action.VERIFY)
def reject_message(user, message_id: int):
    data = _body("Rejection")
    message = review.reject(db(), user, message_id, data.get("reason"), data.get("version"))
    return jsonify({"id": message.id, "version": message.current_version, "status": message.status,
                    "rejection_reason": message.rejection_reason})


from . import publishing, users  # noqa
