"""The pydantic models are the one place each body's shape is written: the document is built
from them, every request body refuses unknown fields, and the answers are built from them."""
from __future__ import annotations

import pytest

from tests.api.conftest import assert_error
from web.api import schemas
from web.api.openapi import ROUTES, openapi_document


@pytest.mark.parametrize("model", schemas.REQUEST_MODELS, ids=lambda m: m.__name__)
def test_every_request_body_forbids_unknown_fields(model):
    assert model.model_config.get("extra") == "forbid"
    assert openapi_document()["components"]["schemas"][model.__name__]["additionalProperties"] is False


def test_every_request_model_is_taken_by_a_route_and_every_body_is_a_request_model():
    bodies = {route.body for route in ROUTES if route.body is not None}
    assert bodies == set(schemas.REQUEST_MODELS)


def test_every_component_comes_from_a_model():
    document = openapi_document()
    names = {m.__name__ for m in (*schemas.REQUEST_MODELS, *schemas.RESPONSE_MODELS)}
    assert names <= set(document["components"]["schemas"])
    for route in ROUTES:
        if route.answer is not None:
            answer = document["paths"][route.path][route.method]["responses"][str(route.status)]
            assert answer["content"]["application/json"]["schema"] == {
                "$ref": f"#/components/schemas/{route.answer.__name__}"}


def test_a_field_of_the_wrong_type_is_422_naming_it_in_plain_words(api, officer, website_account):
    client = api(officer)
    for payload, field, says in [
        ({"body": 42, "accounts": [website_account.id]}, "body", "body must be a valid string"),
        ({"body": "Road closed.", "accounts": ["1"]}, "accounts", "accounts[0] must be a valid integer"),
        ({"accounts": [website_account.id]}, "body", "body is required"),
        ({"body": "Road closed.", "accounts": [website_account.id], "incident": True}, "incident",
         "incident must be an incident id or slug"),
    ]:
        error = assert_error(client.post("/messages", json=payload), 422, "invalid", field)
        assert says in error["message"], error


def test_an_unknown_field_is_named_before_anything_else(api, officer):
    error = assert_error(api(officer).post("/messages", json={"body": 42, "zzz": 1, "aaa": "x\x00"}),
                         422, "invalid", "aaa")
    assert "unknown field 'aaa'" in error["message"] and "accounts" in error["message"]
