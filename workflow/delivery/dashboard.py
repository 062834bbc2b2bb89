"""The figures of the console's dashboard over the last 7, 14 or 30 London days: time to verify
and time to live per day (median and 90th percentile), failures by channel, messages per incident.

Every figure comes from :mod:`workflow.delivery.stats`, the functions ``/metrics`` reads too.
A wait is counted on the London day it ended: the day of the decision, the day the post went live.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

from sqlalchemy.orm import Session

from workflow.accounts.models import ChannelKind
from workflow.core.database import utcnow
from workflow.core.errors import ValidationError
from workflow.core.london import from_wall_clock, local
from workflow.delivery import stats
from workflow.messages.models import Verdict

#: The periods a dashboard covers, in days; the first is the default.
PERIODS = (7, 14, 30)

#: How many incidents the messages-per-incident figure names.
INCIDENTS_SHOWN = 15


@dataclass(frozen=True)
class DayFigures:
    """One London day's waits: how many, their median and 90th percentile in seconds (None: none)."""

    day: dt.date
    count: int
    median: float | None
    p90: float | None


@dataclass(frozen=True)
class ChannelFigures:
    channel: str
    count: int
    median: float | None
    p90: float | None


@dataclass(frozen=True)
class ChannelOutcomes:
    channel: str
    failed: int
    sent: int

    @property
    def failure_share(self) -> float | None:
        """Failures as a share of the calls that ended, sent or failed; None when there were none."""
        ended = self.failed + self.sent
        return self.failed / ended if ended else None


@dataclass(frozen=True)
class Dashboard:
    days: int
    first_day: dt.date
    last_day: dt.date
    verify: list[DayFigures]
    live: list[DayFigures]
    live_by_channel: list[ChannelFigures]
    outcomes: list[ChannelOutcomes]
    incidents: list[stats.IncidentCount]


def parse_period(value: Any) -> int:
    """The period asked for (``days``): one of PERIODS; empty means the first."""
    if value in (None, ""):
        return PERIODS[0]
    try:
        days = int(str(value))
    except ValueError:
        days = 0
    if days not in PERIODS:
        raise ValidationError("days must be one of " + ", ".join(str(p) for p in PERIODS), field="days")
    return days


def _by_day(days: Sequence[dt.date], items: Iterable[tuple[dt.datetime, float]]) -> list[DayFigures]:
    grouped: dict[dt.date, list[float]] = {day: [] for day in days}
    for moment, seconds in items:
        grouped.setdefault(local(moment).date(), []).append(seconds)
    return [DayFigures(day, len(grouped[day]), stats.median(grouped[day]), stats.percentile_90(grouped[day]))
            for day in days]


def dashboard(session: Session, days: int, now: dt.datetime | None = None) -> Dashboard:
    """The dashboard's figures for the ``days`` London days up to and including today."""
    if days not in PERIODS:
        raise ValidationError("days must be one of " + ", ".join(str(p) for p in PERIODS), field="days")
    now = now or utcnow()
    last_day = local(now).date()
    first_day = last_day - dt.timedelta(days=days - 1)
    since = from_wall_clock(dt.datetime.combine(first_day, dt.time()))
    until = from_wall_clock(dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time()))
    calendar = [first_day + dt.timedelta(days=n) for n in range(days)]

    waits = stats.verification_waits(session, since, until, verdict=Verdict.APPROVED)
    lives = stats.live_times(session, since, until)
    by_channel: dict[str, list[float]] = {kind.value: [] for kind in ChannelKind}
    for live in lives:
        by_channel.setdefault(live.channel, []).append(live.seconds)
    counts = stats.outcome_counts(session, since, until)
    channels = list(dict.fromkeys([kind.value for kind in ChannelKind] + sorted(k for k, _ in counts)))
    return Dashboard(
        days=days, first_day=first_day, last_day=last_day,
        verify=_by_day(calendar, ((w.decided_at, w.seconds) for w in waits)),
        live=_by_day(calendar, ((t.sent_at, t.seconds) for t in lives)),
        live_by_channel=[ChannelFigures(kind, len(times), stats.median(times), stats.percentile_90(times))
                         for kind, times in by_channel.items()],
        outcomes=[ChannelOutcomes(kind, counts.get((kind, "failed"), 0), counts.get((kind, "sent"), 0))
                  for kind in channels],
        incidents=stats.messages_per_incident(session, since, until, limit=INCIDENTS_SHOWN),
    )
