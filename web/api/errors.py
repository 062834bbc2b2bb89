"""How the API answers errors: ``{"error": {"code", "message", "field"?}}`` with a 4xx status.

Domain errors carry their own code and status; HTTP errors and the unexpected
map here; a request body of the wrong shape (a pydantic error) becomes a 422
``invalid`` naming the field, like the services' own refusals.
"""
from __future__ import annotations

import logging
from typing import Any, get_args

from flask import Blueprint, jsonify, request
from pydantic import BaseModel
from werkzeug.exceptions import HTTPException

from workflow.core.errors import CrierError, ValidationError

from .schemas import Error

log = logging.getLogger("crier.api")

HTTP_CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 413: "too_large",
              415: "unsupported_media_type"}


def error(code: str, message: str, status: int, field: str | None = None, **details: Any):
    """An error answer; a 401 also says how to authenticate."""
    response = jsonify(Error.body(code, message, field, **details))
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="crier"'
    return response


def _is_api() -> bool:
    return request.path.startswith("/api/")


def _domain_error(exc: CrierError):
    if not _is_api():
        # Pages with their own handlers (the console) never get here; anything
        # else answers in plain words rather than JSON.
        return exc.message, exc.status, {"Content-Type": "text/plain; charset=utf-8"}
    return error(exc.code, exc.message, exc.status, exc.field, **exc.details())


def _http_error(exc: HTTPException):
    if not _is_api():
        return exc
    status = exc.code or 500
    message = {404: "no such resource", 405: f"{request.method} is not allowed here",
               413: "the request body is too large"}.get(status, exc.description or "bad request")
    return error(HTTP_CODES.get(status, "error"), message, status)


def _unexpected(exc: Exception):
    log.exception("unexpected error on %s %s", request.method, request.path)
    if not _is_api():
        raise exc
    return error("internal", "Crier hit an unexpected error; nothing was changed", 500)


def install(bp: Blueprint) -> None:
    """Answer every error of the application in the API's shape under ``/api/``."""
    bp.app_errorhandler(CrierError)(_domain_error)
    bp.app_errorhandler(HTTPException)(_http_error)
    bp.app_errorhandler(Exception)(_unexpected)


def unknown_field(problems: list[dict[str, Any]], model: type[BaseModel]) -> ValidationError | None:
    """The refusal of the first unknown field (by name), listing the fields the request takes."""
    unknown = sorted(tuple(map(str, p["loc"])) for p in problems if p["type"] == "extra_forbidden")
    if not unknown:
        return None
    first = unknown[0]
    if len(first) > 1:
        # Inside an object of the body, such as legal: name the whole path and what the object takes.
        inner = _inner_model(model, first[0])
        takes = f": {first[0]} takes {', '.join(inner.model_fields)}" if inner is not None else ""
        return ValidationError(f"unknown field {'.'.join(first)!r}{takes}", field=first[0])
    return ValidationError(f"unknown field {first[0]!r}: this request takes {', '.join(sorted(model.model_fields))}",
                           field=first[0])


def _inner_model(model: type[BaseModel], name: str) -> type[BaseModel] | None:
    field = model.model_fields.get(name)
    candidates = [field.annotation, *get_args(field.annotation)] if field is not None else []
    return next((c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None)


def refusal(problems: list[dict[str, Any]], model: type[BaseModel]) -> ValidationError:
    """The refusal of the first field of the wrong shape or type, in plain words."""
    first = problems[0]
    field = str(first["loc"][0])
    where = field + "".join(f"[{step}]" for step in first["loc"][1:] if isinstance(step, int))
    if first["type"] == "missing":
        return ValidationError(f"{'.'.join(map(str, first['loc']))} is required", field=field)
    alternatives = [p for p in problems if p["loc"][:1] == first["loc"][:1]]
    description = model.model_fields[field].description
    if len(alternatives) > 1 and len(first["loc"]) > 1 and description:
        # A field that takes one of several types (an incident id, slug or object).
        return ValidationError(f"{field} must be {description}", field=field)
    return ValidationError(f"{where} {_plain(first['msg'])}", field=field)


def _plain(message: str) -> str:
    """pydantic's "Input should be a valid integer" as "must be a valid integer"."""
    if message.startswith("Input should be "):
        return "must be " + message[len("Input should be "):]
    return message[:1].lower() + message[1:]
