"""The OpenAPI 3.1 document of ``/api/v1``.

It describes what the views really accept and answer; the API tests check it
against the Flask routes and fuzz every operation against it.
"""
from __future__ import annotations

from typing import Any

from workflow.accounts.models import ChannelKind
from workflow.delivery.models import DeliveryPurpose, DeliveryState
from workflow.messages.states import MessageState

DEFAULT_MAX_BODY = 5000
MESSAGE_STATES = [s.value for s in MessageState]
DELIVERY_STATES = [s.value for s in DeliveryState]
PURPOSES = [p.value for p in DeliveryPurpose]
KINDS = [k.value for k in ChannelKind]
SHA256 = {"type": "string", "pattern": "^[0-9a-f]{64}$"}
TIMESTAMP = {"type": "string", "format": "date-time"}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    out = dict(schema)
    kind = out.get("type")
    if isinstance(kind, str):
        out["type"] = [kind, "null"]
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
        return out
    return {"anyOf": [schema, {"type": "null"}]}


def _obj(required: list[str] | None = None, **properties: Any) -> dict[str, Any]:
    return {"type": "object", "required": required if required is not None else list(properties),
            "properties": properties}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_ERROR_TEXT = {
    "400": "The body is missing, is not JSON, or is not a JSON object",
    "401": "No API token, or a token that is not valid",
    "403": "Your role may not do this, or the two-person rule forbids it",
    "404": "No such message or resource",
    "409": "Conflict: a stale version, a changed text, or a message in the wrong state",
    "413": "The request body is larger than the server accepts",
    "422": "The input is not valid; `field` names the offending field",
}


def _errors(*codes: int) -> dict[str, Any]:
    return {str(c): {"$ref": f"#/components/responses/E{c}"} for c in codes}


def _operation(summary: str, ok: dict[str, Any], *error_codes: int, status: int = 200,
               body: dict[str, Any] | None = None, body_required: bool = True,
               parameters: list[dict[str, Any]] | None = None, public: bool = False,
               description: str | None = None, roles: str | None = None) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": summary, "responses": {str(status): ok, **_errors(*error_codes)}}
    text = " ".join(t for t in (description, f"Roles: {roles}." if roles else None) if t)
    if text:
        op["description"] = text
    if parameters:
        op["parameters"] = parameters
    if body is not None:
        op["requestBody"] = {"required": body_required,
                             "content": {"application/json": {"schema": body}}}
    if public:
        op["security"] = []
    return op


MESSAGE_ID = {"name": "message_id", "in": "path", "required": True,
              "description": "The message's id", "schema": {"type": "integer", "minimum": 1}}


def _schemas(max_body: int) -> dict[str, Any]:
    text = {"type": "string", "minLength": 1, "maxLength": max_body}
    problem = _obj(level={"type": "string", "enum": ["error", "warning"]},
                   code={"type": "string"}, message={"type": "string"})
    return {
        "Error": _obj(error=_obj(
            ["code", "message"],
            code={"type": "string", "description": "A stable machine-readable code, e.g. invalid, "
                  "not_found, stale_version, two_person_rule"},
            message={"type": "string", "description": "What is wrong, in plain words"},
            field={"type": "string", "description": "The request field at fault, if one is"},
        )),
        "Problem": problem,
        "Checks": {
            "type": "object",
            "description": "Problems per target account id, plus `all` for warnings about the wording. "
                           "An `error` blocks submission; a `warning` is for the supervisor to weigh.",
            "additionalProperties": {"type": "array", "items": _ref("Problem")},
        },
        "Account": _obj(
            id={"type": "integer"},
            kind={"type": "string", "enum": KINDS},
            name={"type": "string"},
            area=_nullable({"type": "string"}),
            status={"type": "string", "enum": ["active", "reconnect", "disabled"]},
            status_reason=_nullable({"type": "string"}),
            settings={"type": "object", "description": "Non-secret settings (handle, page id); "
                      "credentials are never returned"},
        ),
        "NewAccount": {
            "type": "object",
            "required": ["kind", "name"],
            "properties": {
                "kind": {"type": "string", "enum": KINDS},
                "name": {"type": "string", "minLength": 1, "maxLength": 120},
                "area": _nullable({"type": "string", "maxLength": 120}),
                "credentials": {
                    "type": "object",
                    "description": "x: consumer_key, consumer_secret, access_token, access_token_secret; "
                                   "facebook: page_id, page_access_token; website: none. "
                                   "Stored encrypted and never shown back.",
                },
            },
        },
        "NewMessage": {
            "type": "object",
            "required": ["body", "accounts"],
            "properties": {
                "body": {**text, "description": "The canonical text every channel carries"},
                "accounts": {"type": "array", "minItems": 1, "maxItems": 1000,
                             "items": {"type": "integer"}, "description": "Target channel account ids"},
                "variants": _ref("Variants"),
                "incident": {
                    "description": "An incident id or slug, or {title, area} to open a new incident",
                    "anyOf": [
                        {"type": "integer", "minimum": 1},
                        {"type": "string", "minLength": 1, "maxLength": 120},
                        {"type": "object", "required": ["title"], "properties": {
                            "title": {"type": "string", "minLength": 1, "maxLength": 200},
                            "area": _nullable({"type": "string", "maxLength": 120})}},
                        {"type": "null"},
                    ],
                },
                "kind": _nullable({"type": "string", "enum": ["incident", "routine"]}),
                "publish_at": _ref("PublishAt"),
                "recurrence": _ref("Recurrence"),
                "change_note": _nullable({"type": "string", "minLength": 1, "maxLength": 1000}),
            },
        },
        "MessageEdit": {
            "type": "object",
            "description": "Fields left out keep their values from the latest version.",
            "properties": {
                "version": {"type": "integer", "description": "The version you edited; "
                            "409 if it is no longer the latest"},
                "body": text,
                "accounts": {"type": "array", "minItems": 1, "maxItems": 1000, "items": {"type": "integer"}},
                "variants": _ref("Variants"),
                "publish_at": _ref("PublishAt"),
                "recurrence": _ref("Recurrence"),
                "change_note": _nullable({"type": "string", "minLength": 1, "maxLength": 1000}),
            },
        },
        "Variants": _nullable({
            "type": "object", "description": "Per-account wording: {account id: text}; "
            "the account must be a target",
            "propertyNames": {"pattern": "^[0-9]+$"},
            "additionalProperties": text,
        }),
        "PublishAt": _nullable({
            "type": "string", "format": "date-time",
            "description": "ISO 8601; a time without an offset is Europe/London local time",
        }),
        "Recurrence": _nullable({
            "type": "string", "maxLength": 500,
            "description": "An RRULE such as FREQ=WEEKLY;BYDAY=MO, starting at publish_at; "
                           "routine posts only, at most hourly",
        }),
        "User": _obj(
            username={"type": "string"}, display_name={"type": "string"},
            role={"type": "string", "enum": ["officer", "supervisor", "admin"]},
            active={"type": "boolean"}, email=_nullable({"type": "string"}),
            two_factor={"type": "boolean"}, created_at=_nullable(TIMESTAMP),
        ),
        "UserEdit": {
            "type": "object",
            "description": "Fields left out stay as they are.",
            "properties": {
                "role": {"type": "string", "enum": ["officer", "supervisor", "admin"]},
                "active": {"type": "boolean"},
                "email": _nullable({"type": "string", "maxLength": 254}),
            },
        },
        "Approval": {
            "type": "object",
            "required": ["version"],
            "properties": {
                "version": {"type": "integer", "minimum": 1, "description": "The version you verified"},
                "content_hash": {**SHA256, "description": "The content_hash of the version you verified"},
            },
        },
        "Rejection": {
            "type": "object",
            "required": ["reason"],
            "properties": {
                "reason": {"type": "string", "minLength": 1, "maxLength": 2000},
                "version": {"type": "integer", "minimum": 1},
            },
        },
        "Created": _obj(id={"type": "integer"}, version={"type": "integer"},
                        status={"type": "string", "enum": MESSAGE_STATES}, slug={"type": "string"},
                        content_hash=SHA256, checks=_ref("Checks")),
        "Edited": _obj(id={"type": "integer"}, version={"type": "integer"},
                       status={"type": "string", "enum": MESSAGE_STATES}, content_hash=SHA256,
                       checks=_ref("Checks")),
        "StatusOnly": _obj(id={"type": "integer"}, version={"type": "integer"},
                           status={"type": "string", "enum": MESSAGE_STATES}),
        "Rejected": _obj(id={"type": "integer"}, version={"type": "integer"},
                         status={"type": "string", "enum": MESSAGE_STATES},
                         rejection_reason={"type": "string"}),
        "MessageSummary": _obj(
            id={"type": "integer"}, status={"type": "string", "enum": MESSAGE_STATES},
            version={"type": "integer"}, kind={"type": "string", "enum": ["incident", "routine"]},
            author={"type": "string"}, updated_at=TIMESTAMP, body={"type": "string"},
        ),
        "Version": _obj(
            number={"type": "integer"},
            editor=_nullable({"type": "string"}),
            created_at=TIMESTAMP,
            body={"type": "string"},
            variants={"type": "object", "additionalProperties": {"type": "string"}},
            accounts={"type": "array", "items": {"type": "integer"}},
            publish_at=_nullable(TIMESTAMP),
            recurrence=_nullable({"type": "string"}),
            change_note=_nullable({"type": "string"}),
            link=_nullable({"type": "string", "description": "The website link the posts carry"}),
            posts={"type": "object", "description": "Each target account's exact posts (thread parts in "
                   "order), rendered once when the version was made and covered by content_hash",
                   "additionalProperties": {"type": "array", "items": {"type": "string"}}},
            content_hash=SHA256,
        ),
        "Decision": _obj(
            version={"type": "integer"},
            decision={"type": "string", "enum": ["approved", "rejected"]},
            reviewer={"type": "string"},
            reason=_nullable({"type": "string"}),
            at=TIMESTAMP,
            voided={"type": "boolean", "description": "A later edit voided this approval"},
        ),
        "Delivery": _obj(
            id={"type": "integer"},
            account={"type": "integer"},
            account_name=_nullable({"type": "string"}),
            kind=_nullable({"type": "string", "enum": KINDS}),
            version=_nullable({"type": "integer"}),
            purpose={"type": "string", "enum": PURPOSES},
            state={"type": "string", "enum": DELIVERY_STATES},
            due_at=_nullable(TIMESTAMP),
            remote_id=_nullable({"type": "string"}),
            url=_nullable({"type": "string"}),
            attempts={"type": "integer", "minimum": 0},
            last_error=_nullable({"type": "string"}),
        ),
        "Withdrawal": {
            "type": "object",
            "required": ["reason"],
            "properties": {"reason": {"type": "string", "minLength": 1, "maxLength": 2000}},
        },
        "Correction": {
            "type": "object",
            "required": ["body", "change_note"],
            "properties": {
                "body": {**text, "description": "The corrected text"},
                "change_note": {"type": "string", "minLength": 1, "maxLength": 1000,
                                "description": "What changed, shown with the corrected post"},
                "variants": _ref("Variants"),
            },
        },
        "Corrected": _obj(id={"type": "integer"}, version={"type": "integer"},
                          status={"type": "string", "enum": MESSAGE_STATES}, content_hash=SHA256,
                          change_note=_nullable({"type": "string"}), checks=_ref("Checks")),
        "HeldDecision": {
            "type": "object",
            "description": "Either publish_now: true, or a new publish_at in the future.",
            "properties": {
                "publish_now": {"type": "boolean"},
                "publish_at": _ref("PublishAt"),
            },
        },
        "NewPause": {
            "type": "object",
            "required": ["reason"],
            "properties": {
                "reason": {"type": "string", "minLength": 1, "maxLength": 2000},
                "accounts": _nullable({"type": "array", "items": {"type": "integer"},
                                       "description": "Only these accounts (default: all)"}),
                "areas": _nullable({"type": "array", "items": {"type": "string", "minLength": 1,
                                                               "maxLength": 120},
                                    "description": "Only accounts serving these areas (default: all)"}),
            },
        },
        "Pause": _obj(
            id={"type": "integer"},
            reason={"type": "string"},
            accounts={"type": "array", "items": {"type": "integer"}},
            areas={"type": "array", "items": {"type": "string"}},
            created_by=_nullable({"type": "string"}),
            created_at=_nullable(TIMESTAMP),
            lifted_by=_nullable({"type": "string"}),
            lifted_at=_nullable(TIMESTAMP),
            active={"type": "boolean"},
        ),
        "Message": {
            "type": "object",
            "required": ["id", "slug", "kind", "incident", "status", "version", "author",
                         "rejection_reason", "link", "versions", "decisions", "deliveries"],
            "properties": {
                "id": {"type": "integer"},
                "slug": {"type": "string"},
                "kind": {"type": "string", "enum": ["incident", "routine"]},
                "incident": _nullable({"type": "string", "description": "The incident's slug"}),
                "status": {"type": "string", "enum": MESSAGE_STATES},
                "version": {"type": "integer", "description": "The latest version's number"},
                "author": {"type": "string"},
                "rejection_reason": _nullable({"type": "string"}),
                "link": {"type": "string", "description": "The message's page on the force website"},
                "versions": {"type": "array", "items": _ref("Version")},
                "decisions": {"type": "array", "items": _ref("Decision")},
                "deliveries": {"type": "array", "items": _ref("Delivery")},
                "checks": _ref("Checks"),
            },
        },
    }


def _responses() -> dict[str, Any]:
    return {f"E{code}": _json(_ref("Error"), text) for code, text in _ERROR_TEXT.items()}


def _paths() -> dict[str, Any]:
    any_role = "any signed-in user"
    writers = "officer, supervisor, admin"
    verifiers = "supervisor, admin"
    return {
        "/openapi.json": {"get": _operation(
            "This document", {"description": "The OpenAPI document",
                              "content": {"application/json": {"schema": {"type": "object"}}}},
            public=True)},
        "/accounts": {
            "get": _operation(
                "List channel accounts (never their credentials)",
                _json(_obj(accounts={"type": "array", "items": _ref("Account")}), "Every channel account"),
                401, roles=any_role),
            "post": _operation(
                "Add a channel account; its credentials are stored encrypted",
                _json(_ref("Account"), "The new account (without credentials)"),
                400, 401, 403, 409, 413, 422, status=201, body=_ref("NewAccount"), roles="admin"),
        },
        "/messages": {
            "get": _operation(
                "List messages, most recently changed first",
                _json(_obj(messages={"type": "array", "items": _ref("MessageSummary")}), "The messages"),
                401, 422, roles=any_role,
                parameters=[
                    {"name": "status", "in": "query", "required": False,
                     "schema": {"type": "string", "enum": MESSAGE_STATES}},
                    {"name": "limit", "in": "query", "required": False,
                     "description": "How many (clamped to 1-500; default 50)",
                     "schema": {"type": "integer"}},
                ]),
            "post": _operation(
                "Save a new draft (version 1)",
                _json(_ref("Created"), "The draft was saved"),
                400, 401, 403, 413, 422, status=201, body=_ref("NewMessage"), roles=writers),
        },
        "/messages/{message_id}": {
            "parameters": [MESSAGE_ID],
            "get": _operation(
                "A message with its versions, decisions, deliveries and checks",
                _json(_ref("Message"), "The message"), 401, 404, roles=any_role),
            "patch": _operation(
                "Edit: makes a new version; after submission or approval it voids approvals, "
                "cancels unsent deliveries and needs verifying again",
                _json(_ref("Edited"), "The new version"),
                400, 401, 403, 404, 409, 413, 422, body=_ref("MessageEdit"),
                roles=f"{writers} (officers only their own messages)"),
        },
        "/messages/{message_id}/submit": {
            "parameters": [MESSAGE_ID],
            "post": _operation(
                "Send a draft for verification",
                _json(_ref("StatusOnly"), "Awaiting verification"),
                401, 403, 404, 409, 422, roles=f"{writers} (officers only their own messages)",
                description="No request body is needed; blocking check errors answer 422."),
        },
        "/messages/{message_id}/approve": {
            "parameters": [MESSAGE_ID],
            "post": _operation(
                "Verify a version: creates its deliveries in the same transaction",
                _json(_ref("Message"), "Approved (or scheduled, or held when late)"),
                400, 401, 403, 404, 409, 413, 422, body=_ref("Approval"), roles=verifiers,
                description="Nobody may verify a message they wrote or edited. A version that is "
                            "not the latest, or a content_hash that does not match it, answers 409."),
        },
        "/messages/{message_id}/reject": {
            "parameters": [MESSAGE_ID],
            "post": _operation(
                "Reject with a reason: the message goes back to its author as a draft",
                _json(_ref("Rejected"), "Rejected"),
                400, 401, 403, 404, 409, 413, 422, body=_ref("Rejection"), roles=verifiers),
        },
        "/messages/{message_id}/withdraw": {
            "parameters": [MESSAGE_ID],
            "post": _operation(
                "Withdraw: cancel everything unsent and take every live post down",
                _json(_ref("Message"), "Withdrawn"),
                400, 401, 403, 404, 409, 413, 422, body=_ref("Withdrawal"),
                roles=f"{writers} (officers only their own messages)"),
        },
        "/messages/{message_id}/correct": {
            "parameters": [MESSAGE_ID],
            "post": _operation(
                "Correct a live message: a new version with a change note, verified again",
                _json(_ref("Corrected"), "The correction, awaiting verification"),
                400, 401, 403, 404, 409, 413, 422, body=_ref("Correction"),
                roles=f"{writers} (officers only their own messages)"),
        },
        "/messages/{message_id}/schedule": {
            "parameters": [MESSAGE_ID],
            "post": _operation(
                "Decide on a held message: publish now, or at a new time",
                _json(_ref("Message"), "Released"),
                400, 401, 403, 404, 409, 413, 422, body=_ref("HeldDecision"), roles=verifiers),
        },
        "/users": {
            "get": _operation(
                "List the people who use Crier (never a password or a second-factor secret)",
                _json(_obj(users={"type": "array", "items": _ref("User")}), "Every user"),
                401, 403, roles="admin"),
        },
        "/users/{username}": {
            "patch": _operation(
                "Change a user's role, access or email, effective at once: disabling or a new role "
                "ends their console sessions and revokes their API tokens",
                _json(_ref("User"), "The user"),
                400, 401, 403, 404, 409, 413, 422, body=_ref("UserEdit"), roles="admin",
                parameters=[{"name": "username", "in": "path", "required": True,
                             "schema": {"type": "string", "maxLength": 80}}]),
        },
        "/pause": {
            "get": _operation(
                "The active pauses of routine posts",
                _json(_obj(pauses={"type": "array", "items": _ref("Pause")}), "Active pauses"),
                401, roles=any_role),
            "post": _operation(
                "Pause routine posts (all, or some accounts or areas); unsent ones are held",
                _json(_ref("Pause"), "The pause"),
                400, 401, 403, 413, 422, status=201, body=_ref("NewPause"), roles=verifiers),
            "delete": _operation(
                "Lift one pause (id) or all of them; held posts go out again",
                _json(_obj(lifted={"type": "array", "items": _ref("Pause")}), "The lifted pauses"),
                401, 403, 404, 409, 422, roles=verifiers,
                parameters=[
                    {"name": "id", "in": "query", "required": False,
                     "description": "The pause to lift (default: every active pause)",
                     "schema": {"type": "integer", "minimum": 1}},
                    {"name": "reason", "in": "query", "required": False,
                     "schema": {"type": "string", "maxLength": 2000}},
                ]),
        },
    }


def _max_body() -> int:
    try:
        from flask import current_app, has_app_context

        if has_app_context():
            return int(current_app.extensions["crier"].settings.max_body_chars)
    except (KeyError, AttributeError, ImportError):
        pass
    return DEFAULT_MAX_BODY


#: Request bodies the API takes; a field none of them names is refused (web.api._body).
REQUEST_SCHEMAS = ("NewAccount", "NewMessage", "MessageEdit", "Approval", "Rejection", "Withdrawal",
                   "Correction", "HeldDecision", "NewPause", "UserEdit")


def request_fields(schema: str) -> frozenset[str]:
    """The fields the request body ``schema`` may carry."""
    return frozenset(_schemas(DEFAULT_MAX_BODY)[schema]["properties"])


def openapi_document(max_body_chars: int | None = None) -> dict[str, Any]:
    """The OpenAPI 3.1 document of ``/api/v1``."""
    schemas = _schemas(max_body_chars or _max_body())
    for name in REQUEST_SCHEMAS:
        schemas[name] = {**schemas[name], "additionalProperties": False}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Crier API",
            "version": "1",
            "description": "Draft once, verify, publish everywhere. Every error answers "
                           "{\"error\": {\"code\", \"message\", \"field\"?}} with a 4xx status.",
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "paths": _paths(),
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "An API token from `crier token create NAME`"}},
            "schemas": schemas,
            "responses": _responses(),
        },
    }
