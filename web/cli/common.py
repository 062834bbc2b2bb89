"""What every ``crier`` command shares: the runtime, one session per command, reading secrets."""
from __future__ import annotations

import contextlib
import json
import sys
from typing import Any, Iterator

import click
from flask import current_app
from sqlalchemy.orm import Session

from workflow.core.errors import CrierError
from workflow.core.runtime import Runtime


def runtime() -> Runtime:
    """The runtime of the app the command runs in."""
    return current_app.extensions["crier"]


def fail(message: str, code: int = 1) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


@contextlib.contextmanager
def service() -> Iterator[Session]:
    """A session for one command; a domain error ends the command with its message."""
    with runtime().session() as session:
        try:
            yield session
        except CrierError as exc:
            fail(exc.message)


def read_secret(prompt: str) -> str:
    """A password from the terminal (asked twice), or the first line of standard input."""
    if sys.stdin.isatty():
        return click.prompt(prompt, hide_input=True, confirmation_prompt=True)
    return sys.stdin.readline().rstrip("\r\n")


def read_credentials() -> Any:
    """Channel credentials as JSON from standard input (asked for, hidden, on a terminal)."""
    raw = sys.stdin.read() if not sys.stdin.isatty() else click.prompt("Credentials JSON", hide_input=True)
    try:
        return json.loads(raw or "{}")
    except ValueError:
        fail("credentials must be a JSON object on standard input")
