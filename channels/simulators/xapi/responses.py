"""X's answers: its problem shape for errors, faults, and posts' text as X gives it back."""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import html
import math
import time
from typing import Any

from flask import Response, jsonify
from twitter_text import extract_urls_with_indices

from ..server import Fault, drop_connection, hang
from .state import XPost


def problem(status: int, title: str, detail: str, *, type_: str = "about:blank",
             headers: dict[str, str] | None = None, **extra: Any) -> Response:
    body = {"title": title, "detail": detail, "type": type_, "status": status, **extra}
    response = jsonify(body)
    response.status_code = status
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def invalid_request(message: str, parameter: str, value: Any) -> Response:
    return problem(400, "Invalid Request", "One or more parameters to your request was invalid.",
                    type_="https://api.twitter.com/2/problems/invalid-request",
                    errors=[{"parameters": {parameter: [str(value)]}, "message": message}])


def unauthorized() -> Response:
    return problem(401, "Unauthorized", "Unauthorized")


def rate_limited(fault: Fault) -> Response:
    reset = math.ceil(time.time() + fault.reset)
    return problem(429, "Too Many Requests", "Too Many Requests",
                    headers={"x-rate-limit-limit": "100", "x-rate-limit-remaining": "0",
                             "x-rate-limit-reset": str(reset)})


def server_error(fault: Fault) -> Response:
    titles = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable",
              504: "Gateway Timeout"}
    title = titles.get(fault.status, "Server Error")
    return problem(fault.status, title, "X is over capacity or failing; try again later.")


def hang_and_drop(seconds: float) -> Response:
    """Hold the request, then close the connection with no answer, as a dead platform does."""
    hang(seconds)
    drop_connection()
    # Never reaches the caller once the socket is shut; served only without werkzeug.
    return problem(504, "Gateway Timeout", "The request timed out.")


def display_text(post: XPost) -> str:
    """The text as X gives it back: links shortened, ``& < >`` escaped."""
    text = post.text
    out, last = [], 0
    for entity in extract_urls_with_indices(text):
        start, end = entity["indices"]
        digest = hashlib.sha256(f"{post.id}:{entity['url']}".encode()).digest()
        token = base64.urlsafe_b64encode(digest).decode()[:10].replace("-", "x").replace("_", "y")
        out.append(text[last:start])
        out.append(f"https://t.co/{token}")
        last = end
    out.append(text[last:])
    return html.escape("".join(out), quote=False)


def parse_time(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
