"""Graph's errors and checks: the error shape, faults, the version, the token and permissions."""
from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import math
import re
import secrets
from typing import Any

from flask import Response, jsonify, request

from ..server import Fault, FaultPlan, hang
from .state import GraphPage, GraphState

#: The oldest Graph version the simulator accepts, as Meta keeps roughly two years of versions.
OLDEST_SUPPORTED_VERSION = (18, 0)
RATE_LIMIT_MESSAGES = {
    4: "(#4) Application request limit reached",
    17: "(#17) User request limit reached",
    32: "(#32) Page request limit reached",
    613: "(#613) Calls to this api have exceeded the rate limit.",
    80001: "(#80001) There have been too many calls to this Page account. "
    "Wait a bit and try again.",
}
TRANSIENT_CODES = frozenset({1, 2, 4, 17, 32, 341, 613}) | frozenset(range(80000, 80100))
FAULT_KINDS = frozenset({"429", "5xx", "error", "hang", "accept_then_hang"})
_VERSION = re.compile(r"^v(\d+)\.(\d+)$")


@dataclasses.dataclass
class GraphFault(Fault):
    """A fault with the Graph error it answers with."""

    code: int | None = None
    subcode: int | None = None
    message: str | None = None


class GraphFaultPlan(FaultPlan):
    """A fault plan whose faults may carry a Graph error code."""

    def add(self, **spec: Any) -> Fault:
        """Queue a fault; ``status`` defaults to what Graph sends for its ``code``."""
        explicit_status = "status" in spec
        fault = GraphFault(**spec)
        if fault.kind not in FAULT_KINDS:
            # A mistyped kind would otherwise pass silently and the test prove nothing.
            raise ValueError(f"unknown fault kind {fault.kind!r}; expected one of {sorted(FAULT_KINDS)}")
        if fault.kind == "429" and fault.code is None:
            fault.code = 4
        if fault.kind == "error" and fault.code is None:
            fault.code = 1
        if fault.kind in ("429", "error") and not explicit_status:
            fault.status = status_for_code(fault.code or 1)
        with self.lock:
            self.faults.append(fault)
        return fault


def status_for_code(code: int) -> int:
    if code in (1, 2):
        return 500
    if code == 10 or 200 <= code <= 299:
        return 403
    return 400


# Errors --------------------------------------------------------------

class GraphError(Exception):
    """Raised inside a handler to answer with a Graph error."""

    def __init__(
        self,
        code: int,
        message: str,
        *,
        type_: str = "OAuthException",
        subcode: int | None = None,
        status: int | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(message)
        self.code = code
        self.message = message
        self.type = type_
        self.subcode = subcode
        self.status = status or status_for_code(code)
        self.headers = headers or {}

    def response(self) -> Response:
        """This error as Graph sends it."""
        body: dict[str, Any] = {
            "message": self.message,
            "type": self.type,
            "code": self.code,
            "is_transient": self.code in TRANSIENT_CODES,
            "fbtrace_id": secrets.token_urlsafe(9),
        }
        if self.subcode is not None:
            body["error_subcode"] = self.subcode
        resp = jsonify({"error": body})
        resp.status_code = self.status
        for name, value in self.headers.items():
            resp.headers[name] = value
        return resp


def missing_object(post_id: str, verb: str) -> GraphError:
    return GraphError(
        100,
        f"Unsupported {verb} request. Object with ID '{post_id}' does not exist, cannot be "
        "loaded due to missing permissions, or does not support this operation.",
        type_="GraphMethodException",
        subcode=33,
    )


def _rate_limit_error(fault: GraphFault, page_id: str | None) -> GraphError:
    code = fault.code or 4
    minutes = max(0, math.ceil(fault.reset / 60))
    usage = {"type": "pages", "call_count": 100, "total_cputime": 100, "total_time": 100,
             "estimated_time_to_regain_access": minutes}
    headers = {
        "X-Business-Use-Case-Usage": json.dumps({page_id or "0": [usage]}),
        "X-App-Usage": json.dumps({"call_count": 100, "total_cputime": 40, "total_time": 40}),
    }
    return GraphError(
        code,
        fault.message or RATE_LIMIT_MESSAGES.get(code, f"(#{code}) Rate limit reached"),
        status=fault.status,
        headers=headers,
    )


# Checks ------------------------------------------------------------------

def apply_fault_before(fault: GraphFault, page_id: str | None) -> None:
    """Answer (or drop) the call as the fault says, unless it acts after the call is applied."""
    if fault.kind == "429":
        raise _rate_limit_error(fault, page_id)
    if fault.kind == "error":
        code = fault.code or 1
        raise GraphError(
            code,
            fault.message or f"(#{code}) Simulated Graph error",
            subcode=fault.subcode,
            status=fault.status,
        )
    if fault.kind == "5xx":
        raise FrontEndFailure(fault.status)
    if fault.kind == "hang":
        hang(fault.seconds)
        raise Dropped()


class Dropped(Exception):
    """The connection is to be closed without an answer."""


class FrontEndFailure(Exception):
    def __init__(self, status: int):
        super().__init__(status)
        self.status = status


def check_version(version: str) -> None:
    match = _VERSION.match(version)
    if match is None:
        raise GraphError(2500, f"Unknown path components: /{version}", type_="OAuthException")
    if (int(match[1]), int(match[2])) < OLDEST_SUPPORTED_VERSION:
        oldest = "v%d.%d" % OLDEST_SUPPORTED_VERSION
        raise GraphError(
            12,
            f"(#12) Graph API {version} is no longer available; call {oldest} or newer",
            type_="OAuthException",
        )


def _request_token() -> str | None:
    token = request.values.get("access_token")
    if token:
        return token
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() in ("oauth", "bearer") and value.strip():
        return value.strip()
    return None


def authorise(state: GraphState, page_id: str | None) -> GraphPage:
    """The Page the call's token belongs to, checked against the Page in the URL."""
    token = _request_token()
    if not token:
        raise GraphError(104, "An access token is required to request this resource.")
    page = state.page_for_token(token)
    if page is None:
        raise GraphError(190, "Invalid OAuth access token - Cannot parse access token")
    if page.app_secret:
        proof = request.values.get("appsecret_proof")
        if not proof:
            raise GraphError(
                100,
                "API calls from the server require an appsecret_proof argument",
                type_="GraphMethodException",
            )
        expected = hmac.new(page.app_secret.encode(), token.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(proof, expected):
            raise GraphError(
                100,
                "Invalid appsecret_proof provided in the API argument",
                type_="GraphMethodException",
            )
    if page_id is not None and page_id != page.page_id:
        raise GraphError(
            190,
            f"Error validating access token: the token does not belong to Page {page_id}",
        )
    return page


def require_permission(page: GraphPage, permission: str) -> None:
    if permission in page.permissions:
        return
    if permission == "pages_read_engagement":
        raise GraphError(10, "(#10) This endpoint requires the 'pages_read_engagement' permission")
    raise GraphError(
        200,
        "(#200) The Page has not granted the pages_manage_posts and pages_read_engagement "
        "permissions needed to publish",
    )
