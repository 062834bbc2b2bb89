"""The OpenAPI document: valid, served, and in step with the Flask routes."""
from __future__ import annotations

import re

import pytest
from schemathesis.specs.openapi.definitions import OPENAPI_31_VALIDATOR

from web.api.openapi import openapi_document

IGNORED_METHODS = {"HEAD", "OPTIONS"}


def flask_operations(app) -> set[tuple[str, str]]:
    ops = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule[len("/api/v1"):])
        ops.update((method, path) for method in rule.methods - IGNORED_METHODS)
    return ops


def documented_operations(document) -> set[tuple[str, str]]:
    return {(method.upper(), path) for path, item in document["paths"].items()
            for method in item if method != "parameters"}


def test_the_document_is_valid_openapi_3_1():
    document = openapi_document()
    assert document["openapi"].startswith("3.1")
    errors = [str(e) for e in OPENAPI_31_VALIDATOR.iter_errors(document)]
    assert errors == []


def test_the_validator_would_notice_a_broken_document():
    broken = openapi_document()
    broken["paths"]["/accounts"]["get"]["responses"] = "nothing"
    del broken["info"]
    assert list(OPENAPI_31_VALIDATOR.iter_errors(broken))


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_every_route_is_documented_and_every_documented_route_exists(app):
    routes = flask_operations(app)
    documented = documented_operations(openapi_document())
    assert ("POST", "/messages/{message_id}/approve") in routes
    assert routes - documented == set(), "routes missing from the OpenAPI document"
    assert documented - routes == set(), "documented operations with no route"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_document_is_served_without_a_token(app):
    response = app.test_client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.is_json
    assert response.get_json() == openapi_document(app.extensions["crier"].settings.max_body_chars)


def test_every_operation_declares_its_errors_and_security():
    document = openapi_document()
    for path, item in document["paths"].items():
        for method, op in item.items():
            if method == "parameters":
                continue
            responses = op["responses"]
            assert any(code.startswith("2") for code in responses), (method, path)
            if path == "/openapi.json":
                assert op["security"] == []
                continue
            assert "401" in responses, (method, path)
            if "requestBody" in op:
                assert {"400", "422"} <= set(responses), (method, path)
            if "{message_id}" in path:
                assert "404" in responses, (method, path)
    error = document["components"]["schemas"]["Error"]["properties"]["error"]
    assert error["required"] == ["code", "message"]
    assert "field" in error["properties"]
    assert document["components"]["securitySchemes"]["bearer"] == {
        **document["components"]["securitySchemes"]["bearer"], "type": "http", "scheme": "bearer"}


def test_the_body_limit_follows_the_configuration():
    document = openapi_document(max_body_chars=280)
    assert document["components"]["schemas"]["NewMessage"]["properties"]["body"]["maxLength"] == 280
