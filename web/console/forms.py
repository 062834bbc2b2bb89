"""How a console form calls a workflow service (a refusal is shown on the page, never a crash), and
how a filtered list keeps its filters from page to page."""
from __future__ import annotations

from typing import Any, Callable, Container, TypeVar

from flask import request, url_for

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


def filtered_link(endpoint: str, page: int | None = None, **values: Any) -> str:
    """The address of ``endpoint`` with this request's filters (its query arguments): page
    ``page`` of the same list, or (no page) the same filters elsewhere, such as an export."""
    args = {name: value for name, value in request.args.items() if name != "page" and value != ""}
    if page is not None:
        args["page"] = str(page)
    return url_for(endpoint, **values, **args)
