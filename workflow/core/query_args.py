"""Reading filters from query arguments (the API's and the console's): whole numbers within
bounds, and London days or ISO date-times as the bounds of a range.

A bad value is a ValidationError naming its argument, so a form can point at the field.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from workflow.core.errors import ValidationError
from workflow.core.london import checked_wall_clock


def whole_number(value: Any, name: str, low: int = 1, high: int = 2**62) -> int | None:
    """``value`` as an int between ``low`` and ``high``; None when it is empty."""
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValidationError(f"{name} must be a whole number", field=name) from None
    if not low <= number <= high:
        raise ValidationError(f"{name} must be between {low} and {high}", field=name)
    return number


def day_bound(value: Any, name: str, end: bool) -> dt.datetime | None:
    """A date (London) or an ISO date-time, in UTC; a date alone means the whole day, so as the
    ``end`` of a range it is the next midnight. None when it is empty."""
    if value in (None, ""):
        return None
    text = str(value)
    try:
        if len(text) == 10:
            day = dt.date.fromisoformat(text)
            moment = checked_wall_clock(dt.datetime.combine(day + dt.timedelta(days=1) if end else day, dt.time()))
            return moment.astimezone(dt.timezone.utc)
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (ValueError, OverflowError):
        raise ValidationError(f"{name} must be a date (2026-12-04) or an ISO 8601 date-time", field=name) from None
    if moment.tzinfo is None:
        moment = checked_wall_clock(moment)
    return moment.astimezone(dt.timezone.utc)
