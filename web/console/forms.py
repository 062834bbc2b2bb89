"""How a console form calls a workflow service: a refusal is shown on the page, never a crash."""
from __future__ import annotations

from typing import Callable, Container, TypeVar

from workflow.core.errors import CrierError

from ..context import db

T = TypeVar("T")


def attempt(call: Callable[[], T], *, propagate: Container[int] = (404,)) -> tuple[T | None, CrierError | None]:
    """Run ``call``; return its result, or the domain error that refused it to show on the page.

    The request's session is rolled back first, so the page drawn next reads
    the rows as they are. A refusal whose status is in ``propagate`` (a message
    that does not exist, say) goes on to the error pages instead.
    """
    try:
        return call(), None
    except CrierError as exc:
        db().rollback()
        if exc.status in propagate:
            raise
        return None, exc
