"""The ``api`` blueprint, and reading a request body into its model (who may call a view is
``web.auth.api_may`` asking ``workflow.accounts.policy``)."""
from __future__ import annotations

from typing import Any, TypeVar

from flask import Blueprint, Response, jsonify, request
from pydantic import BaseModel
from pydantic import ValidationError as ShapeError

from workflow.core.errors import ValidationError
from workflow.scheduling.rules import check_publish_window

from .errors import refusal, unknown_field

bp = Blueprint("api", __name__, url_prefix="/api/v1")

Body = TypeVar("Body", bound=BaseModel)


def answer(body: BaseModel, status: int = 200) -> tuple[Response, int]:
    """The JSON answer of a response model; a field never set (a message's checks) is left out."""
    return jsonify(body.model_dump(mode="json", exclude_unset=True)), status


def json_object() -> dict[str, Any]:
    """The request's JSON object, or a 400 that says why it is not one."""
    try:
        data = request.get_json(silent=True, force=True)
    except RecursionError:  # the JSON parser gives up on very deep nesting
        raise _bad_request("the request body is nested too deeply") from None
    if data is None:
        raw = request.get_data(cache=True)
        raise _bad_request("the request body is not valid JSON" if raw else "send a JSON object in the request body")
    if not isinstance(data, dict):
        raise _bad_request("the request body must be a JSON object")
    return data


def _bad_request(message: str) -> ValidationError:
    exc = ValidationError(message)
    exc.status = 400
    exc.code = "bad_request"
    return exc


def read_body(model: type[Body]) -> Body:
    """The request body as ``model``. Refused in this order: an unknown field, a value no
    column can hold, a publish time out of range, then the first field of the wrong shape or
    type. What the text says is for the workflow services to judge."""
    data = json_object()
    try:
        parsed, problems = model.model_validate(data), []
    except ShapeError as exc:
        parsed, problems = None, exc.errors(include_url=False, include_input=False)
    unknown = unknown_field(problems, model)
    if unknown is not None:
        raise unknown
    for key, value in data.items():
        check_storable(value, str(key))
    if "publish_at" in data:
        # Asked for now, so it must lie between now and a year ahead.
        check_publish_window(data["publish_at"])
    if problems:
        raise refusal(problems, model)
    return parsed


_INT64 = 2**63


def check_storable(value: Any, field: str) -> None:
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
