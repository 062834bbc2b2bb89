"""Per-request access to Crier's runtime and a database session."""
from __future__ import annotations

from flask import current_app, g
from sqlalchemy.orm import Session

from workflow.core.runtime import Runtime


def runtime() -> Runtime:
    """The runtime of the current app (engine, sessions, vault, dispatcher)."""
    return current_app.extensions["crier"]


def db() -> Session:
    """The request's database session, opened on first use and closed at teardown."""
    if "crier_session" not in g:
        g.crier_session = runtime().session()
    return g.crier_session


def close_session(_exc: BaseException | None = None) -> None:
    session = g.pop("crier_session", None)
    if session is not None:
        session.close()
