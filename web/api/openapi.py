"""The OpenAPI 3.1 document of ``/api/v1``, assembled from the pydantic models and the route table.

The API tests check it against the Flask routes and fuzz every operation against it.
"""
from __future__ import annotations

import copy
import dataclasses
import functools
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from . import schemas as s
from .schemas.types import POST_TEXT_MARK

DEFAULT_MAX_BODY = 5000
REF = "#/components/schemas/{model}"

ERROR_TEXT = {
    400: "The body is missing, is not JSON, or is not a JSON object",
    401: "No API token, or a token that is not valid",
    403: "Your role may not do this, or the two-person rule forbids it",
    404: "No such message or resource",
    409: "Conflict: a stale version, a changed text, or a message in the wrong state",
    413: "The request body is larger than the server accepts",
    422: "The input is not valid; `field` names the offending field",
}

ANYONE, WRITERS, VERIFIERS, ADMIN = "any signed-in user", "officer, supervisor, admin", "supervisor, admin", "admin"
OWN = f"{WRITERS} (officers only their own messages)"
WITH_BODY = (400, 401, 403, 404, 409, 413, 422)

MESSAGE_ID = {"name": "message_id", "in": "path", "required": True,
              "description": "The message's id", "schema": {"type": "integer", "minimum": 1}}
INCIDENT_ID = {"name": "incident_id", "in": "path", "required": True,
               "description": "The incident's id", "schema": {"type": "integer", "minimum": 1}}
INCIDENT_QUERY = ({"name": "status", "in": "query", "required": False, "description": "Only open or closed ones",
                   "schema": {"type": "string", "enum": ["open", "closed"]}},)
TEMPLATE_ID = {"name": "template_id", "in": "path", "required": True,
               "description": "The template's id", "schema": {"type": "integer", "minimum": 1}}
RETIRED_QUERY = ({"name": "retired", "in": "query", "required": False, "description": "Include retired templates",
                  "schema": {"type": "boolean"}},)
APPEAL_QUERY = (
    {"name": "live", "in": "query", "required": False, "schema": {"type": "boolean"},
     "description": "Only appeals whose posts are still up (live or closing)"},
    {"name": "overdue", "in": "query", "required": False, "schema": {"type": "boolean"},
     "description": "Only appeals live for CRIER_APPEAL_REMIND_AFTER seconds or more"},
)
ACCOUNT_ID = {"name": "account_id", "in": "path", "required": True,
              "description": "The channel account's id", "schema": {"type": "integer", "minimum": 1}}
USERNAME = {"name": "username", "in": "path", "required": True, "schema": {"type": "string", "maxLength": 80}}
LIST_QUERY = [
    {"name": "q", "in": "query", "required": False, "schema": {"type": "string", "maxLength": 200},
     "description": "Words in any version's text (PostgreSQL: full-text search with English stemming; "
                    "web-search syntax: \"a phrase\", -not, or)"},
    {"name": "status", "in": "query", "required": False, "schema": {"$ref": REF.format(model="MessageState")}},
    {"name": "account", "in": "query", "required": False, "description": "Only messages targeting this account",
     "schema": {"type": "integer", "minimum": 1}},
    {"name": "area", "in": "query", "required": False, "schema": {"type": "string"},
     "description": "Only messages targeting an account of this area, or in an incident of this area"},
    {"name": "incident", "in": "query", "required": False, "description": "Only messages of this incident",
     "schema": {"type": "integer", "minimum": 1}},
    {"name": "author", "in": "query", "required": False, "description": "Only messages this username wrote",
     "schema": {"type": "string"}},
    {"name": "from", "in": "query", "required": False, "schema": {"type": "string"},
     "description": "Created on or after this date (London) or ISO 8601 date-time"},
    {"name": "to", "in": "query", "required": False, "schema": {"type": "string"},
     "description": "Created on or before this date (London; the whole day) or before this date-time"},
    {"name": "limit", "in": "query", "required": False, "description": "Messages a page (clamped to 1-500; "
     "default 50)", "schema": {"type": "integer"}},
    {"name": "page", "in": "query", "required": False, "description": "Which page, from 1",
     "schema": {"type": "integer", "minimum": 1}},
]
NOTICE_QUERY = (
    {"name": "channel", "in": "query", "required": False, "schema": {"type": "string",
                                                                      "enum": ["live", "email", "webhook"]}},
    {"name": "state", "in": "query", "required": False, "schema": {
        "type": "string", "enum": ["pending", "sending", "retrying", "sent", "failed", "unknown", "kept"]}},
    {"name": "page", "in": "query", "required": False, "description": "Which page of 50, from 1",
     "schema": {"type": "integer", "minimum": 1, "maximum": 10000}},
)
LIFT_QUERY = [
    {"name": "id", "in": "query", "required": False, "description": "The pause to lift (default: every active pause)",
     "schema": {"type": "integer", "minimum": 1}},
    {"name": "reason", "in": "query", "required": False, "schema": {"type": "string", "maxLength": 2000}},
]


@dataclasses.dataclass(frozen=True)
class Route:
    """One operation: what it takes, what it answers, and the errors it may answer."""

    method: str
    path: str
    summary: str
    answer: type[BaseModel] | None
    answer_text: str
    errors: tuple[int, ...]
    roles: str | None = None
    body: type[BaseModel] | None = None
    status: int = 200
    parameters: tuple[dict[str, Any], ...] = ()
    description: str | None = None
    body_required: bool = True
    #: A multipart upload (one ``file``) instead of a JSON body.
    upload: bool = False


ROUTES = (
    Route("get", "/openapi.json", "This document", None, "The OpenAPI document", ()),
    Route("post", "/media", "Upload an image: decoded, oriented, re-encoded and stripped of all metadata",
          s.MediaUploaded, "The stored image", (400, 401, 403, 413, 422), WRITERS, status=201, upload=True,
          description="Multipart field `file`: a JPEG, PNG, still GIF or WebP up to CRIER_MEDIA_MAX_BYTES "
                      "(default 5 MB). Attach it to a message as images: [{media: id, alt: text}]."),
    Route("get", "/accounts", "List channel accounts (never their credentials)", s.AccountList,
          "Every channel account", (401,), ANYONE),
    Route("post", "/accounts", "Add a channel account; its credentials are stored encrypted", s.Account,
          "The new account (without credentials)", (400, 401, 403, 409, 413, 422), ADMIN, s.NewAccount, 201),
    Route("get", "/messages", "Find messages: words and filters, most recently changed first, a page at a time", s.MessageList, "The messages",
          (401, 422), ANYONE, parameters=tuple(LIST_QUERY)),
    Route("post", "/messages", "Save a new draft (version 1)", s.Created, "The draft was saved",
          (400, 401, 403, 413, 422), WRITERS, s.NewMessage, 201),
    Route("get", "/messages/{message_id}", "A message with its versions, decisions, deliveries and checks",
          s.Message, "The message", (401, 404), ANYONE),
    Route("patch", "/messages/{message_id}", "Edit: makes a new version; after submission or approval it voids "
          "approvals, cancels unsent deliveries and needs verifying again", s.Edited, "The new version",
          WITH_BODY, OWN, s.MessageEdit,
          description="legal alone changes the message's own legal context without a new version: the checks "
                      "run again, and an approval not yet publishing whose findings changed is voided."),
    Route("post", "/messages/{message_id}/submit", "Send a draft for verification", s.StatusOnly,
          "Awaiting verification", (401, 403, 404, 409, 422), OWN,
          description="No request body is needed; blocking check errors answer 422."),
    Route("post", "/messages/{message_id}/approve", "Verify a version: creates its deliveries in the same "
          "transaction", s.Message, "Approved (or scheduled, or held when late)", WITH_BODY, VERIFIERS, s.Approval,
          description="Nobody may verify a message they wrote or edited. A version that is not the latest, "
                      "or a content_hash that does not match it, answers 409. Every legal and privacy finding "
                      "must be acknowledged (409 unacknowledged_checks); a serious one needs a note; one that "
                      "names someone arrested (legal.arrested_named) needs authority {officer, reason} "
                      "(422 authority_required)."),
    Route("post", "/messages/{message_id}/reject", "Reject with a reason: the message goes back to its author "
          "as a draft", s.Rejected, "Rejected", WITH_BODY, VERIFIERS, s.Rejection),
    Route("post", "/messages/{message_id}/withdraw", "Withdraw: cancel everything unsent and take every live "
          "post down", s.Message, "Withdrawn", WITH_BODY, OWN, s.Withdrawal),
    Route("post", "/messages/{message_id}/correct", "Correct a live message: a new version with a change note, "
          "verified again", s.Corrected, "The correction, awaiting verification", WITH_BODY, OWN, s.Correction),
    Route("post", "/messages/{message_id}/schedule", "Decide on a held message: publish now, or at a new time",
          s.Message, "Released", WITH_BODY, VERIFIERS, s.HeldDecision),
    Route("post", "/messages/{message_id}/found", "The person an appeal asked about is found: draft the found "
          "update and submit it; once it is verified and out, every message of the appeal is withdrawn",
          s.Created, "The found update, awaiting verification", WITH_BODY, WRITERS, s.FoundReport, 201,
          description="The body may be left out (the same as {}). Refused (409) for a message that is not an appeal (not_an_appeal), an appeal already "
                      "closed, or one whose found update exists. A rejected found update withdraws nothing.",
          body_required=False),
    Route("get", "/appeals", "Appeals, newest first, with how long each has been live", s.AppealList,
          "The appeals", (401, 422), ANYONE, parameters=APPEAL_QUERY),
    Route("get", "/templates", "The template library, by name", s.TemplateList, "The templates", (401, 422),
          ANYONE, parameters=RETIRED_QUERY),
    Route("post", "/templates", "Add a template", s.Template, "The new template", (400, 401, 403, 409, 413, 422),
          f"{VERIFIERS} (manage_templates)", s.NewTemplate, 201),
    Route("get", "/templates/{template_id}", "One template", s.Template, "The template", (401, 404), ANYONE,
          parameters=(TEMPLATE_ID,)),
    Route("patch", "/templates/{template_id}", "Edit a template, retire it or bring it back", s.Template,
          "The template", WITH_BODY, f"{VERIFIERS} (manage_templates)", s.TemplateEdit,
          parameters=(TEMPLATE_ID,)),
    Route("delete", "/templates/{template_id}", "Retire a template: out of the picker, kept on record",
          s.Template, "The retired template", (401, 403, 404), f"{VERIFIERS} (manage_templates)",
          parameters=(TEMPLATE_ID,)),
    Route("post", "/templates/{template_id}/fill", "Fill a template's placeholders: the text of a draft to check "
          "and submit like any other", s.Filled, "The text and the placeholders still missing", WITH_BODY,
          WRITERS, s.TemplateFill, parameters=(TEMPLATE_ID,)),
    Route("get", "/users", "List the people who use Crier (never a password or a second-factor secret)",
          s.UserList, "Every user", (401, 403), ADMIN),
    Route("patch", "/users/{username}", "Change a user's role, access or email, effective at once: disabling "
          "or a new role ends their console sessions and revokes their API tokens", s.User, "The user",
          WITH_BODY, ADMIN, s.UserEdit, parameters=(USERNAME,)),
    Route("post", "/incidents", "Open an incident: its messages take the fast queue and are never paused",
          s.Incident, "The incident", (400, 401, 403, 413, 422), WRITERS, s.NewIncident, 201),
    Route("get", "/incidents", "Incidents, open ones first, newest first", s.IncidentList, "The incidents",
          (401, 422), ANYONE, parameters=INCIDENT_QUERY),
    Route("get", "/incidents/{incident_id}", "An incident with every message in it", s.IncidentDetail,
          "The incident", (401, 404), ANYONE, parameters=(INCIDENT_ID,)),
    Route("patch", "/incidents/{incident_id}", "Rename an incident, close it or open it again, or change its "
          "legal context (its messages are checked again; a changed approval not yet publishing is voided)",
          s.IncidentDetail, "The incident", WITH_BODY, WRITERS, s.IncidentEdit, parameters=(INCIDENT_ID,)),
    Route("get", "/me/notifications", "Your notice channels (e-mail, live) and duty", s.NoticeSettings,
          "Your notice settings", (401,), ANYONE),
    Route("patch", "/me/notifications", "Turn your e-mail or live notices on or off", s.NoticeSettings,
          "Your notice settings", (400, 401, 413, 422), ANYONE, s.NoticeChannelsEdit),
    Route("get", "/me/duty", "Whether you are on duty", s.Duty, "Your duty", (401,), ANYONE),
    Route("put", "/me/duty", "Go on or off duty: supervisors on duty are told first when a message waits "
          "for verification", s.Duty, "Your duty", (400, 401, 403, 413, 422), VERIFIERS, s.DutyEdit),
    Route("get", "/notices", "The outbox: every notice, newest first, with its channel, state and attempts",
          s.NoticeList, "The notices", (401, 403, 422), VERIFIERS, parameters=NOTICE_QUERY),
    Route("get", "/insights/accounts", "Each X and Facebook account's followers and local share, from its "
          "latest collection", s.AccountReachList, "Every audience account", (401,), ANYONE),
    Route("get", "/insights/accounts/{account_id}", "One account's followers, local share and followers per "
          "place, with its history", s.AccountInsight, "The account's insight", (401, 404), ANYONE,
          parameters=(ACCOUNT_ID,)),
    Route("get", "/messages/{message_id}/engagement", "What each X or Facebook account that carried the message "
          "drew: reactions, shares, replies, impressions and website visits", s.EngagementList,
          "Per account", (401, 404), ANYONE),
    Route("get", "/pause", "The active pauses of routine posts", s.PauseList, "Active pauses", (401,), ANYONE),
    Route("post", "/pause", "Pause routine posts (all, or some accounts or areas); unsent ones are held",
          s.Pause, "The pause", (400, 401, 403, 413, 422), VERIFIERS, s.NewPause, 201),
    Route("delete", "/pause", "Lift one pause (id) or all of them; held posts go out again", s.LiftedPauses,
          "The lifted pauses", (401, 403, 404, 409, 422), VERIFIERS, parameters=tuple(LIFT_QUERY)),
)


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": REF.format(model=model.__name__)}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _operation(route: Route) -> dict[str, Any]:
    answer = _ref(route.answer) if route.answer else {"type": "object"}
    responses = {str(route.status): _json(answer, route.answer_text)}
    responses.update({str(c): {"$ref": f"#/components/responses/E{c}"} for c in route.errors})
    op: dict[str, Any] = {"summary": route.summary, "responses": responses}
    text = " ".join(t for t in (route.description, f"Roles: {route.roles}." if route.roles else None) if t)
    if text:
        op["description"] = text
    if route.parameters:
        op["parameters"] = list(route.parameters)
    if route.upload:
        op["requestBody"] = {"required": True, "content": {"multipart/form-data": {"schema": {
            "type": "object", "required": ["file"],
            "properties": {"file": {"type": "string", "format": "binary",
                                    "description": "A JPEG, PNG, still GIF or WebP image"}}}}}}
    if route.body is not None:
        op["requestBody"] = {"required": route.body_required, "content": {"application/json": {"schema": _ref(route.body)}}}
    if route.roles is None:
        op["security"] = []
    return op


def _paths() -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for route in ROUTES:
        item = paths.setdefault(route.path, {"parameters": [MESSAGE_ID]} if "{message_id}" in route.path else {})
        item[route.method] = _operation(route)
    return paths


@functools.cache
def _model_schemas() -> dict[str, Any]:
    models = [(m, "validation") for m in s.REQUEST_MODELS] + [(m, "serialization") for m in s.RESPONSE_MODELS]
    _, top = models_json_schema(models, ref_template=REF)
    return top["$defs"]


def _limit_post_text(node: Any, max_body: int) -> None:
    """Give every post text the configured maxLength, in place."""
    if isinstance(node, dict):
        if node.pop(POST_TEXT_MARK, False):
            node["maxLength"] = max_body
        for value in node.values():
            _limit_post_text(value, max_body)
    elif isinstance(node, list):
        for value in node:
            _limit_post_text(value, max_body)


def openapi_document(max_body_chars: int | None = None) -> dict[str, Any]:
    """The OpenAPI 3.1 document of ``/api/v1``; post texts at most ``max_body_chars`` long."""
    schemas = copy.deepcopy(_model_schemas())
    _limit_post_text(schemas, max_body_chars or DEFAULT_MAX_BODY)
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
            "responses": {f"E{code}": _json({"$ref": REF.format(model="Error")}, text)
                          for code, text in ERROR_TEXT.items()},
        },
    }
