"""Publish times and recurrence, in Europe/London wall-clock time.

A recurring post says "09:00 every Monday" in local time: occurrences are
computed on the local clock and only then turned into UTC, so they stay at
09:00 across the clock changes.
"""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from dateutil import rrule

from .errors import ValidationError

LONDON = ZoneInfo("Europe/London")
# A rule that fires more often than this is a mistake, not a routine post.
MIN_INTERVAL = dt.timedelta(hours=1)


def parse_publish_at(value: object) -> dt.datetime | None:
    """Parse an ISO 8601 time; a time without an offset is London local time."""
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
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=LONDON)
    if not (2000 <= parsed.year <= 2200):
        raise ValidationError("publish_at is out of range", field="publish_at")
    return parsed.astimezone(dt.timezone.utc)


def _rule(recurrence: str, start: dt.datetime) -> rrule.rrule:
    local_start = start.astimezone(LONDON).replace(tzinfo=None)
    text = recurrence.strip()
    if text.upper().startswith("RRULE:"):
        text = text[6:]
    if "DTSTART" in text.upper() or "\n" in text:
        raise ValueError("DTSTART comes from publish_at")
    return rrule.rrulestr(text, dtstart=local_start)


#: The RRULE parts a routine post needs. Others (BYSETPOS, BYYEARDAY, BYWEEKNO,
#: BYSECOND) can describe rules that never occur, and dateutil would then search
#: up to the year 9999 before saying so, holding a request for seconds.
ALLOWED_PARTS = frozenset({"FREQ", "INTERVAL", "COUNT", "UNTIL", "BYDAY", "BYMONTHDAY", "BYMONTH",
                           "BYHOUR", "BYMINUTE", "WKST"})
ALLOWED_FREQ = frozenset({"HOURLY", "DAILY", "WEEKLY", "MONTHLY", "YEARLY"})
_MONTH_DAYS = {1: 31, 2: 29, 3: 31, 4: 30, 5: 31, 6: 30, 7: 31, 8: 31, 9: 30, 10: 31, 11: 30, 12: 31}


def _ints(value: str) -> list[int]:
    return [int(v) for v in value.split(",") if v.strip()]


def _check_parts(recurrence: str) -> None:
    """Refuse rule parts Crier does not support, and day-of-month rules no month can hold."""
    text = recurrence.strip()
    if text.upper().startswith("RRULE:"):
        text = text[6:]
    parts: dict[str, str] = {}
    for item in text.split(";"):
        key, sep, value = item.partition("=")
        key = key.strip().upper()
        if not sep or not key:
            raise ValidationError("recurrence is not a valid RRULE (e.g. FREQ=WEEKLY;BYDAY=MO)",
                                  field="recurrence")
        if key not in ALLOWED_PARTS:
            raise ValidationError(f"recurrence may use only {', '.join(sorted(ALLOWED_PARTS))}",
                                  field="recurrence")
        parts[key] = value.strip()
    if parts.get("FREQ", "").upper() not in ALLOWED_FREQ:
        raise ValidationError("recurrence FREQ must be HOURLY, DAILY, WEEKLY, MONTHLY or YEARLY",
                              field="recurrence")
    try:
        months = _ints(parts["BYMONTH"]) if "BYMONTH" in parts else list(_MONTH_DAYS)
        days = _ints(parts["BYMONTHDAY"]) if "BYMONTHDAY" in parts else []
    except ValueError:
        raise ValidationError("BYMONTH and BYMONTHDAY take whole numbers", field="recurrence") from None
    if any(m not in _MONTH_DAYS for m in months):
        raise ValidationError("BYMONTH takes months 1 to 12", field="recurrence")
    if days and not any(0 < abs(d) <= _MONTH_DAYS[m] for d in days for m in months):
        raise ValidationError("recurrence never occurs: no month named has that day", field="recurrence")


def validate_recurrence(recurrence: object, publish_at: dt.datetime | None) -> str | None:
    """Check an RRULE (e.g. ``FREQ=WEEKLY;BYDAY=MO``); it starts at publish_at."""
    if recurrence is None or recurrence == "":
        return None
    if not isinstance(recurrence, str) or len(recurrence) > 500:
        raise ValidationError("recurrence must be an RRULE string such as FREQ=WEEKLY;BYDAY=MO",
                              field="recurrence")
    if publish_at is None:
        raise ValidationError("a recurring post needs publish_at, its first occurrence",
                              field="recurrence")
    _check_parts(recurrence)
    try:
        rule = _rule(recurrence, publish_at)
        first = rule.after(rule._dtstart, inc=True)  # noqa: SLF001 - dateutil keeps it private
    except (ValueError, TypeError, OverflowError):
        raise ValidationError("recurrence is not a valid RRULE (e.g. FREQ=WEEKLY;BYDAY=MO)",
                              field="recurrence") from None
    if first is None:
        raise ValidationError("recurrence never occurs", field="recurrence")
    second = rule.after(first)
    if second is not None and second - first < MIN_INTERVAL:
        raise ValidationError("a recurring post may repeat at most once an hour", field="recurrence")
    return recurrence.strip()


def _to_utc(local_naive: dt.datetime) -> dt.datetime:
    return local_naive.replace(tzinfo=LONDON).astimezone(dt.timezone.utc)


def next_occurrence(publish_at: dt.datetime, recurrence: str | None,
                    after: dt.datetime, inclusive: bool = True) -> dt.datetime | None:
    """The first occurrence at or after ``after`` (UTC), or None when the series ended."""
    if not recurrence:
        if publish_at > after or (inclusive and publish_at == after):
            return publish_at
        return None
    rule = _rule(recurrence, publish_at)
    local_after = after.astimezone(LONDON).replace(tzinfo=None)
    found = rule.after(local_after, inc=inclusive)
    while found is not None:
        candidate = _to_utc(found)
        if candidate > after or (inclusive and candidate == after):
            return candidate
        found = rule.after(found)
    return None


def occurrences_between(publish_at: dt.datetime, recurrence: str, start: dt.datetime,
                        end: dt.datetime) -> list[dt.datetime]:
    """Every occurrence in [start, end), in UTC."""
    rule = _rule(recurrence, publish_at)
    local = rule.between(start.astimezone(LONDON).replace(tzinfo=None) - dt.timedelta(hours=2),
                         end.astimezone(LONDON).replace(tzinfo=None) + dt.timedelta(hours=2), inc=True)
    return [t for t in (_to_utc(x) for x in local) if start <= t < end]
