"""The one transaction boundary of Crier's services.

A service that changes anything is :func:`transactional`: it runs in one unit
of work that commits when the service returns and rolls back when it raises,
so a refused request never leaves half a change behind. Work that must happen
only once the change is durable (waking the workers) is registered with
:func:`after_commit` and dropped if the transaction rolls back.

Units nest: a service called inside another's unit (or inside ``with
transaction(session)``) joins it, and only the outermost one commits. Services
never call ``commit()`` or ``rollback()`` themselves; only the delivery engine,
which must not hold a transaction open while a platform answers, opens several
units in turn, each with ``with transaction(session)``.
"""
from __future__ import annotations

import contextlib
import functools
import logging
from typing import Any, Callable, Iterator, TypeVar

from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])
_DEPTH = "crier.unit_of_work_depth"
_AFTER_COMMIT = "crier.after_commit"


@contextlib.contextmanager
def transaction(session: Session) -> Iterator[Session]:
    """One unit of work on ``session``: commit on success, roll back on any error."""
    depth = session.info.get(_DEPTH, 0)
    session.info[_DEPTH] = depth + 1
    try:
        yield session
        if depth == 0:
            session.commit()
    except BaseException:
        if depth == 0:
            session.rollback()
        raise
    finally:
        session.info[_DEPTH] = depth


def transactional(service: F) -> F:
    """Run ``service(session, ...)`` as one unit of work (see :func:`transaction`)."""

    @functools.wraps(service)
    def run(session: Session, *args: Any, **kwargs: Any) -> Any:
        with transaction(session):
            return service(session, *args, **kwargs)

    return run  # type: ignore[return-value]


def after_commit(session: Session, fn: Callable[[], None]) -> None:
    """Run ``fn`` once the session's current transaction has committed (never if it rolls back)."""
    session.info.setdefault(_AFTER_COMMIT, []).append(fn)


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    callbacks = session.info.pop(_AFTER_COMMIT, [])
    for fn in callbacks:
        try:
            fn()
        except Exception:  # the sweeper recovers anything a wake-up missed
            log.exception("after-commit callback failed")


@event.listens_for(Session, "after_rollback")
def _drop_after_commit(session: Session) -> None:
    session.info.pop(_AFTER_COMMIT, None)
