"""Schemathesis throws generated requests, valid and malformed, at every
operation of the OpenAPI document, as an officer, a supervisor and an admin:
no 5xx ever, every status code documented, every response in its documented
shape and media type.

Examples are derandomised so that a run is repeatable; set CRIER_FUZZ_RANDOM=1
to explore new ones, and CRIER_FUZZ_EXAMPLES to change how many.
"""
from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import make_account
from web.api.openapi import openapi_document
from workflow.accounts import tokens as accounts
from workflow.messages import drafts, review
from workflow.messages.models import Message

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
EXAMPLES = int(os.environ.get("CRIER_FUZZ_EXAMPLES", "30"))
RANDOM = bool(os.environ.get("CRIER_FUZZ_RANDOM"))
SCHEMA = schemathesis.openapi.from_dict(openapi_document())
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]


def seed(session, officer, supervisor, supervisor2) -> dict[str, list[int]]:
    """Messages in several states, so that generated ids often find one."""
    targets = [make_account(session, "website", "Force website").id,
               make_account(session, "website", "North website", area="North").id,
               make_account(session, "x", "Force X").id,
               make_account(session, "facebook", "North Facebook", area="North").id]
    ids = []
    for i, author in enumerate([officer, officer, officer, supervisor, officer, officer]):
        m = drafts.create_draft(session, author, {"body": f"Road closed number {i}.",
                                                    "accounts": targets[: 1 + i % len(targets)]})
        ids.append(m.id)
    review.submit(session, officer, ids[1])
    review.submit(session, officer, ids[2])
    review.approve(session, supervisor, ids[2], 1)
    review.submit(session, supervisor, ids[3])
    review.submit(session, officer, ids[4])
    review.reject(session, supervisor2, ids[4], "Too vague")
    return {"messages": ids, "accounts": targets}


def aim(case, session, known: dict[str, list[int]]) -> None:
    """Point generated ids at rows that exist, so that fuzzing reaches past the 404s."""
    message_id = (case.path_parameters or {}).get("message_id")
    if isinstance(message_id, int) and message_id % 4 != 0:
        message_id = known["messages"][message_id % len(known["messages"])]
        case.path_parameters["message_id"] = message_id
    if not isinstance(case.body, dict):
        return
    targets = case.body.get("accounts")
    if isinstance(targets, list) and all(isinstance(t, int) and not isinstance(t, bool) for t in targets):
        case.body["accounts"] = [known["accounts"][t % len(known["accounts"])] for t in targets]
    version = case.body.get("version")
    if message_id in known["messages"] and isinstance(version, int) and not isinstance(version, bool) \
            and version % 2 == 0:
        try:
            current = session.get(Message, message_id, populate_existing=True)
            case.body["version"] = current.current_version
        finally:
            session.rollback()  # SQLite: never hold the write lock while the app runs


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
def test_no_request_breaks_the_api(app, session, officer, supervisor, supervisor2, admin, mode):
    known = seed(session, officer, supervisor, supervisor2)
    tokens = {name: accounts.create_token(session, user, "fuzz")
              for name, user in (("officer", officer), ("supervisor", supervisor), ("admin", admin))}
    session.rollback()
    runs = [(op, role) for op in OPERATIONS for role in ("officer", "supervisor")]
    runs += [(op, "admin") for op in OPERATIONS if op.label == "POST /accounts"]

    for operation, role in runs:
        headers = {"Authorization": f"Bearer {tokens[role]}"}

        @settings(max_examples=EXAMPLES, deadline=None, derandomize=not RANDOM, database=None,
                  suppress_health_check=list(HealthCheck), print_blob=True)
        @given(case=operation.as_strategy(generation_mode=mode))
        def run(case):
            if mode.is_positive:
                aim(case, session, known)
            response = case.call(app=app, headers=headers)
            case.validate_response(response, checks=CHECKS, headers=headers)

        try:
            run()
        except Unsatisfiable:
            # Nothing to break: an operation without parameters or body has no invalid form.
            assert not mode.is_positive and not operation.body and not list(operation.iter_parameters())
        except Exception as exc:
            exc.add_note(f"while fuzzing {operation.label} as {role} ({mode} data)")
            raise
