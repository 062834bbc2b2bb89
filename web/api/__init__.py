"""The JSON API, ``/api/v1``: thin views over the workflow services, one module per resource.

Request and response bodies are the pydantic models of :mod:`web.api.schemas`;
:mod:`web.api.openapi` assembles the OpenAPI document from them and the route
table; :mod:`web.api.errors` answers every error as ``{"error": {"code", "message"}}``.
"""
from __future__ import annotations

from flask import current_app, jsonify

from . import (  # noqa: F401  (they register their routes)
    accounts,
    incidents,
    insights,
    media,
    messages,
    notices,
    pauses,
    publishing,
    review,
    templates,
    users,
)
from .base import bp
from .errors import install
from .openapi import openapi_document

install(bp)


@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_document(current_app.extensions["crier"].settings.max_body_chars))


__all__ = ["bp"]
