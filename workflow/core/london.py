"""London time, the one clock the desk and the public read.

Crier stores every time in UTC; people see and type times on the Europe/London
wall clock (GMT in winter, BST in summer). Every conversion is here.
"""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from workflow.core.errors import ValidationError

LONDON = ZoneInfo("Europe/London")
UTC = dt.timezone.utc


def local(value: dt.datetime) -> dt.datetime:
    """``value`` (aware) on the London wall clock."""
    return value.astimezone(LONDON)


def wall_clock(value: dt.datetime) -> dt.datetime:
    """``value`` (aware) as a naive London wall-clock time, as recurrence rules count."""
    return value.astimezone(LONDON).replace(tzinfo=None)


def from_wall_clock(naive: dt.datetime) -> dt.datetime:
    """A naive London wall-clock time in UTC (the first of two when the clocks go back)."""
    return naive.replace(tzinfo=LONDON).astimezone(UTC)


def checked_wall_clock(naive: dt.datetime) -> dt.datetime:
    """A wall-clock time someone typed, refused when the clocks skip it or pass it twice."""
    first, second = naive.replace(tzinfo=LONDON, fold=0), naive.replace(tzinfo=LONDON, fold=1)
    if first.utcoffset() == second.utcoffset():
        return first
    shown = naive.strftime("%d %b %Y %H:%M")
    if first.astimezone(UTC).astimezone(LONDON).replace(tzinfo=None) != naive:
        raise ValidationError(f"{shown} does not exist in London: the clocks go forward then. "
                              "Choose another time", field="publish_at")
    raise ValidationError(f"{shown} happens twice in London as the clocks go back: add the offset, "
                          "+01:00 for the first or +00:00 for the second", field="publish_at")


def label(value: dt.datetime | None, fmt: str = "%d %b %Y %H:%M") -> str:
    """For the desk: "04 Dec 2026 17:05 GMT" (with the zone, so BST is never mistaken)."""
    if value is None:
        return ""
    moment = local(value)
    return f"{moment.strftime(fmt)} {moment.tzname()}"


def long_label(value: dt.datetime | None) -> str:
    """For the public: "24 November 2026, 17:05" (UK time)."""
    if value is None:
        return ""
    moment = local(value)
    return f"{moment.day} {moment:%B %Y, %H:%M}"


def input_value(value: dt.datetime | None) -> str:
    """The value of a datetime-local input, in London time."""
    if value is None:
        return ""
    return local(value).strftime("%Y-%m-%dT%H:%M")
