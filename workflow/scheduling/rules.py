"""Publish times and recurrence, in Europe/London wall-clock time.

A recurring post says "09:00 every Monday" in local time: occurrences are
computed on the local clock and only then turned into UTC, so they stay at
09:00 across the clock changes.
"""
from __future__ import annotations

import datetime as dt
import re
import sys
import time
from typing import Any, Callable, TypeVar

from dateutil import rrule

from workflow.core import london
from workflow.core.errors import ValidationError
from workflow.core.london import LONDON

T = TypeVar("T")


# A rule that fires more often than this is a mistake, not a routine post.
MIN_INTERVAL = dt.timedelta(hours=1)

#: How far ahead a post may be scheduled.
MAX_AHEAD = dt.timedelta(days=366)

#: A time this little in the past is "now" (a clock a little behind, a slow form).
PAST_TOLERANCE = dt.timedelta(minutes=2)


def parse_publish_at(value: object) -> dt.datetime | None:
    """Parse an ISO 8601 time; a time without an offset is London local time.

    A local time the clocks skip is refused, and one they pass twice needs
    its offset.
    """
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise ValidationError(
                "publish_at must be an ISO 8601 date and time, e.g. 2026-11-24T09:00:00+00:00",
                field="publish_at") from None
    else:
        raise ValidationError("publish_at must be a string with an ISO 8601 date and time",
                              field="publish_at")
    if not (2000 <= parsed.year <= 9000):
        raise ValidationError("publish_at is out of range", field="publish_at")
    parsed = london.checked_wall_clock(parsed) if parsed.tzinfo is None else parsed
    return parsed.astimezone(dt.timezone.utc)


def check_publish_window(value: object, now: dt.datetime | None = None) -> dt.datetime | None:
    """Parse a publish time a person asks for now: it must lie between now and a year ahead.

    The API and the console call this on what they are sent; the services
    themselves take any time, so that a stored or replayed one keeps working.
    """
    moment = parse_publish_at(value)
    if moment is None:
        return None
    now = now or dt.datetime.now(dt.timezone.utc)
    if moment > now + MAX_AHEAD:
        raise ValidationError("publish_at may be at most a year ahead", field="publish_at")
    if moment < now - PAST_TOLERANCE:
        raise ValidationError("publish_at is in the past: choose a time from now on, or leave it out "
                              "to publish as soon as it is verified", field="publish_at")
    return moment


#: The RRULE parts a routine post needs. Others (BYSETPOS, BYYEARDAY, BYWEEKNO,
#: BYSECOND) can describe rules that never occur, and dateutil would then search
#: up to the year 9999 before saying so, holding a request for seconds.
ALLOWED_PARTS = frozenset({"FREQ", "INTERVAL", "COUNT", "UNTIL", "BYDAY", "BYMONTHDAY", "BYMONTH",
                           "BYHOUR", "BYMINUTE", "WKST"})


ALLOWED_FREQ = ("HOURLY", "DAILY", "WEEKLY", "MONTHLY", "YEARLY")

MAX_INTERVAL = 366

MAX_COUNT = 1000

#: How far ahead a series may be planned: UNTIL at most, and its first occurrence within.
HORIZON = dt.timedelta(days=5 * 365 + 1)

#: Wall-clock budget for any one computation on a rule (validation, planning, a preview).
COMPUTE_BUDGET_SECONDS = 0.25

WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")

_MONTH_DAYS = {1: 31, 2: 29, 3: 31, 4: 30, 5: 31, 6: 30, 7: 31, 8: 31, 9: 30, 10: 31, 11: 30, 12: 31}

_NTH_DAY = re.compile(r"^([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)$")


class RecurrenceError(ValidationError):
    """A repeat rule Crier refuses, or one that cannot be worked out within its budget."""

    def __init__(self, message: str):
        super().__init__(message, field="recurrence")


class _OutOfTime(Exception):
    pass


def bounded(fn: Callable[[], T], budget: float = COMPUTE_BUDGET_SECONDS) -> T:
    """Run ``fn`` (a computation on a repeat rule) and stop it once ``budget`` seconds have passed.

    dateutil searches for an occurrence period by period, up to the year 9999
    when a rule never matches: a rule that slipped past validation (written
    before it, or straight into the database) must not hold a request, the
    scheduler or the database lock while it does. The search is pure Python,
    so a trace function can end it from inside; the caller's tracer (a
    debugger, coverage) is put back afterwards.
    """
    deadline = time.monotonic() + budget
    previous = sys.gettrace()

    def trace(frame: Any, event: str, arg: Any) -> None:
        # Called on each Python call (and generator resumption); no line tracing, so it costs little.
        if time.monotonic() > deadline:
            raise _OutOfTime

    sys.settrace(trace)
    try:
        return fn()
    except _OutOfTime:
        raise RecurrenceError("the repeat rule takes too long to work out (it may never occur in the "
                              "next 5 years): simplify it, e.g. FREQ=WEEKLY;BYDAY=MO") from None
    finally:
        sys.settrace(previous)


def _ints(name: str, value: str, low: int, high: int, *, zero: bool = True, unit: str = "") -> list[int]:
    try:
        numbers = [int(v) for v in value.split(",")]
    except ValueError:
        raise RecurrenceError(f"{name} takes whole numbers, e.g. {name}={max(low, 1)}") from None
    for n in numbers:
        if not (low <= n <= high) or (n == 0 and not zero):
            raise RecurrenceError(f"{name} takes {unit + ' ' if unit else ''}{low} to {high}"
                                  + ("" if zero else ", not 0"))
    return numbers


def _parse_until(value: str, now: dt.datetime) -> dt.datetime:
    text = value.strip().upper()
    formats = ("%Y%m%dT%H%M%SZ", "%Y%m%dT%H%M%S", "%Y%m%d")
    for fmt in formats:
        try:
            parsed = dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
        aware = parsed.replace(tzinfo=dt.timezone.utc if text.endswith("Z") else LONDON)
        if aware.astimezone(dt.timezone.utc) > now + HORIZON:
            raise RecurrenceError("UNTIL may be at most 5 years ahead")
        return aware
    raise RecurrenceError("UNTIL must be a date or time such as 20271231 or 20271231T090000Z")


def _strip_prefix(recurrence: str) -> str:
    text = recurrence.strip()
    return text[6:] if text.upper().startswith("RRULE:") else text


def check_rule(recurrence: str, now: dt.datetime | None = None) -> dict[str, str]:
    """Check every part of an RRULE against what Crier supports; return the parts.

    FREQ is HOURLY to YEARLY, INTERVAL 1-366, COUNT at most 1,000, UNTIL at
    most 5 years ahead, and each BY part within its range, so that the rule
    can be worked out quickly. Raises :class:`RecurrenceError` naming the part.
    """
    now = now or dt.datetime.now(dt.timezone.utc)
    text = _strip_prefix(recurrence)
    if "\n" in text or "DTSTART" in text.upper():
        raise RecurrenceError("the repeat rule starts at publish_at: leave DTSTART out")
    parts: dict[str, str] = {}
    for item in text.split(";"):
        key, sep, value = item.partition("=")
        key = key.strip().upper()
        if not sep or not key or not value.strip():
            raise RecurrenceError("recurrence is not a valid RRULE (e.g. FREQ=WEEKLY;BYDAY=MO)")
        if key not in ALLOWED_PARTS:
            raise RecurrenceError(f"recurrence may use only {', '.join(sorted(ALLOWED_PARTS))}, not {key}")
        if key in parts:
            raise RecurrenceError(f"{key} is given twice")
        parts[key] = value.strip().upper()
    freq = parts.get("FREQ")
    if freq not in ALLOWED_FREQ:
        raise RecurrenceError("FREQ must be HOURLY, DAILY, WEEKLY, MONTHLY or YEARLY")
    if "INTERVAL" in parts:
        _ints("INTERVAL", parts["INTERVAL"], 1, MAX_INTERVAL, unit="a whole number from")
        if "," in parts["INTERVAL"]:
            raise RecurrenceError("INTERVAL takes one number")
    if "COUNT" in parts:
        _ints("COUNT", parts["COUNT"], 1, MAX_COUNT, unit="a number of occurrences from")
        if "," in parts["COUNT"]:
            raise RecurrenceError("COUNT takes one number")
    if "COUNT" in parts and "UNTIL" in parts:
        raise RecurrenceError("give COUNT or UNTIL, not both")
    if "UNTIL" in parts:
        _parse_until(parts["UNTIL"], now)
    months = _ints("BYMONTH", parts["BYMONTH"], 1, 12, unit="months") if "BYMONTH" in parts else list(_MONTH_DAYS)
    days = _ints("BYMONTHDAY", parts["BYMONTHDAY"], -31, 31, zero=False) if "BYMONTHDAY" in parts else []
    if "BYHOUR" in parts:
        _ints("BYHOUR", parts["BYHOUR"], 0, 23)
    if "BYMINUTE" in parts:
        _ints("BYMINUTE", parts["BYMINUTE"], 0, 59)
    if days and not any(abs(d) <= _MONTH_DAYS[m] for d in days for m in months):
        raise RecurrenceError("recurrence never occurs: no month named has that day")
    if "WKST" in parts and parts["WKST"] not in WEEKDAYS:
        raise RecurrenceError("WKST must be a day such as MO")
    if "BYDAY" in parts:
        # "The 2nd Monday" means something only within a month or a year.
        limit = 53 if freq == "YEARLY" and "BYMONTH" not in parts else 5
        for day in parts["BYDAY"].split(","):
            found = _NTH_DAY.match(day.strip())
            if not found:
                raise RecurrenceError("BYDAY takes days such as MO,WE or, monthly, 2MO or -1FR")
            if found.group(1) is not None:
                nth = int(found.group(1))
                if freq not in ("MONTHLY", "YEARLY"):
                    raise RecurrenceError("a numbered BYDAY such as 2MO needs FREQ=MONTHLY or YEARLY")
                if nth == 0 or abs(nth) > limit:
                    raise RecurrenceError(f"a numbered BYDAY must be between -{limit} and {limit}, not 0")
    return parts


#: Periods of fixed length on the local clock, for starting the search near where it is needed.
_FIXED_PERIODS = {"HOURLY": dt.timedelta(hours=1), "DAILY": dt.timedelta(days=1), "WEEKLY": dt.timedelta(weeks=1)}


def _rule(recurrence: str, start: dt.datetime, near: dt.datetime | None = None) -> rrule.rrule:
    """The dateutil rule of a checked RRULE, on the London wall clock from ``start``.

    dateutil searches from the rule's start every time; for an hourly series
    that has run for years that is tens of thousands of steps. With ``near``,
    an hourly, daily or weekly rule without COUNT starts a whole number of its
    periods later instead, just before ``near``: same time of day, same
    weekday, same place in its INTERVAL, so the same occurrences from there on.
    """
    parts = check_rule(recurrence)
    local_start = london.wall_clock(start)
    period = _FIXED_PERIODS.get(parts["FREQ"])
    if near is not None and period is not None and "COUNT" not in parts:
        step = period * int(parts.get("INTERVAL", "1"))
        skip = (london.wall_clock(near) - local_start) // step - 1
        if skip > 0:
            local_start += step * skip
    try:
        return rrule.rrulestr(_strip_prefix(recurrence), dtstart=local_start)
    except (ValueError, TypeError, OverflowError, IndexError):
        raise RecurrenceError("recurrence is not a valid RRULE (e.g. FREQ=WEEKLY;BYDAY=MO)") from None


def validate_recurrence(recurrence: object, publish_at: dt.datetime | None,
                        now: dt.datetime | None = None) -> str | None:
    """Check an RRULE (e.g. ``FREQ=WEEKLY;BYDAY=MO``); it starts at publish_at.

    Besides its parts (:func:`check_rule`), the rule must occur within the
    next 5 years and at most once an hour. Every computation is bounded in
    time, so any answer comes well within a second.
    """
    if recurrence is None or recurrence == "":
        return None
    if not isinstance(recurrence, str) or len(recurrence) > 500:
        raise RecurrenceError("recurrence must be an RRULE string such as FREQ=WEEKLY;BYDAY=MO")
    if publish_at is None:
        raise RecurrenceError("a recurring post needs publish_at, its first occurrence")
    now = now or dt.datetime.now(dt.timezone.utc)
    check_rule(recurrence, now)
    rule = _rule(recurrence, publish_at, near=max(now, publish_at))
    horizon = london.wall_clock(max(now, publish_at) + HORIZON)
    local_now = london.wall_clock(max(now, publish_at))

    def first_two() -> tuple[dt.datetime | None, dt.datetime | None]:
        first = rule.after(local_now, inc=True)
        return first, (rule.after(first) if first is not None else None)

    try:
        first, second = bounded(first_two)
    except (ValueError, TypeError, OverflowError, IndexError):
        raise RecurrenceError("recurrence is not a valid RRULE (e.g. FREQ=WEEKLY;BYDAY=MO)") from None
    if first is None or first > horizon:
        raise RecurrenceError("recurrence never occurs in the next 5 years")
    if second is not None and second - first < MIN_INTERVAL:
        raise RecurrenceError("a recurring post may repeat at most once an hour")
    return recurrence.strip()


def next_occurrence(publish_at: dt.datetime, recurrence: str | None,
                    after: dt.datetime, inclusive: bool = True) -> dt.datetime | None:
    """The first occurrence at or after ``after`` (UTC), or None when the series ended.

    Raises :class:`RecurrenceError` for a rule Crier refuses or cannot work out in time.
    """
    if not recurrence:
        if publish_at > after or (inclusive and publish_at == after):
            return publish_at
        return None
    rule = _rule(recurrence, publish_at, near=after)
    local_after = london.wall_clock(after)

    def search() -> dt.datetime | None:
        found = rule.after(local_after, inc=inclusive)
        while found is not None:
            candidate = london.from_wall_clock(found)
            if candidate > after or (inclusive and candidate == after):
                return candidate
            found = rule.after(found)
        return None

    return bounded(search)


def latest_occurrence(publish_at: dt.datetime, recurrence: str, since: dt.datetime,
                      until: dt.datetime) -> dt.datetime | None:
    """The last occurrence at or before ``until`` (UTC), searching from ``since``; None if there is none."""
    rule = _rule(recurrence, publish_at, near=since)
    # Two hours' margin either side: the local clock may stand an hour off UTC.
    local = london.wall_clock(until) + dt.timedelta(hours=2)

    def search() -> dt.datetime | None:
        found = rule.before(local, inc=True)
        while found is not None and london.from_wall_clock(found) > until:
            found = rule.before(found)
        return london.from_wall_clock(found) if found is not None else None

    return bounded(search)


def occurrences_between(publish_at: dt.datetime, recurrence: str, start: dt.datetime,
                        end: dt.datetime, limit: int = 100) -> list[dt.datetime]:
    """The first ``limit`` occurrences in [start, end), in UTC."""
    rule = _rule(recurrence, publish_at, near=start - dt.timedelta(hours=2))
    local_start = london.wall_clock(start) - dt.timedelta(hours=2)
    local_end = london.wall_clock(end) + dt.timedelta(hours=2)

    def search() -> list[dt.datetime]:
        out: list[dt.datetime] = []
        for local in rule.xafter(local_start, inc=True):
            if local > local_end or len(out) >= limit:
                break
            moment = london.from_wall_clock(local)
            if start <= moment < end:
                out.append(moment)
        return out

    return bounded(search)
