"""Helpers for the API tests: documented-shape checks and stored-state snapshots."""
from __future__ import annotations

from typing import Any

import pytest
import schemathesis

from tests.workflow.conftest import Snapshot
from web.api.openapi import openapi_document

SCHEMA = schemathesis.openapi.from_dict(openapi_document())
DOCUMENT = openapi_document()


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = DOCUMENT["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def undocumented_keys(value: Any, schema: dict[str, Any], where: str = "") -> list[str]:
    """Keys in ``value`` that the schema does not name (where it names its properties)."""
    schema = _resolve(schema)
    found: list[str] = []
    for alternative in schema.get("anyOf", []):
        if alternative.get("type") != "null" and value is not None:
            found += undocumented_keys(value, alternative, where)
    if isinstance(value, dict) and "properties" in schema:
        for key, item in value.items():
            if key not in schema["properties"]:
                found.append(f"{where}.{key}")
            else:
                found += undocumented_keys(item, schema["properties"][key], f"{where}.{key}")
    elif isinstance(value, dict) and isinstance(schema.get("additionalProperties"), dict):
        for key, item in value.items():
            found += undocumented_keys(item, schema["additionalProperties"], f"{where}.{key}")
    elif isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            found += undocumented_keys(item, schema["items"], f"{where}[{i}]")
    return found


def conforms(response, method: str, path: str) -> Any:
    """Assert the response's status is documented for the operation and its body has the
    documented shape, with no undocumented keys; return its JSON."""
    operation = SCHEMA[path][method.upper()]
    responses = DOCUMENT["paths"][path][method.lower()]["responses"]
    status = str(response.status_code)
    assert status in responses, f"{method} {path} answered {status}, which is not documented"
    operation.validate_response(response)
    documented = responses[status]
    if "$ref" in documented:
        documented = DOCUMENT["components"]["responses"][documented["$ref"].rsplit("/", 1)[1]]
    body = response.get_json()
    extra = undocumented_keys(body, documented["content"]["application/json"]["schema"])
    assert extra == [], f"{method} {path} returned undocumented keys {extra}"
    return body


def assert_error(response, status: int, code: str | None = None, field: str | None = None) -> dict:
    """Assert an error answer: the status, and {"error": {"code", "message"}} saying what is wrong."""
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True))
    body = response.get_json()
    assert set(body) == {"error"}
    assert {"code", "message"} <= set(body["error"]) <= {"code", "message", "field", "missing"}
    assert isinstance(body["error"]["message"], str) and body["error"]["message"].strip()
    if code is not None:
        assert body["error"]["code"] == code, body
    if field is not None:
        assert body["error"].get("field") == field, body
    return body["error"]


@pytest.fixture
def snapshot(runtime, session):
    """``snapshot(message_id)``: the message's stored state, read fresh from the database."""

    def take(message_id: int) -> Snapshot:
        session.rollback()
        return Snapshot(runtime, message_id)

    return take
