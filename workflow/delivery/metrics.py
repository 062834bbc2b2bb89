"""What the desk did, as Prometheus figures read from the database at each scrape.

The database is the one record every web and worker process writes to, so the
figures count what all of them did, survive restarts and agree with the audit
trail; no process keeps a counter of its own.
"""
from __future__ import annotations

import datetime as dt
from typing import Iterator, Sequence

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from workflow.accounts.models import ChannelAccount, ChannelKind
from workflow.audit.models import AuditEvent
from workflow.core.database import utcnow
from workflow.delivery import stats
from workflow.delivery.models import Delivery, DeliveryState
from workflow.messages.models import Message, MessageKind, Verdict
from workflow.messages.states import MessageState
from workflow.scheduling.models import Pause

#: How far back the averages of verification and publication times look (the histograms count every one).
WINDOW = dt.timedelta(days=30)

#: Upper bounds of the histograms' buckets, in seconds: a supervisor's wait is minutes to hours,
#: a post's way to its platform seconds to minutes.
VERIFY_BUCKETS = (30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0, 7200.0, 14400.0, 43200.0, 86400.0)
LIVE_BUCKETS = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0)


class DeskCollector(Collector):
    """Collects Crier's figures from ``sessions`` on every scrape."""

    def __init__(self, sessions: sessionmaker[Session]):
        self.sessions = sessions

    def collect(self) -> Iterator[Metric]:
        with self.sessions() as session:
            yield from self._messages(session)
            yield from self._deliveries(session)
            yield from self._verification(session)
            yield from self._publication(session)
            yield from self._outcomes(session)
            pauses = session.execute(select(func.count()).select_from(Pause).where(Pause.lifted_at.is_(None)))
            yield GaugeMetricFamily("crier_pauses_active", "Pauses of routine posts in force", pauses.scalar_one())
            events = session.execute(select(func.count()).select_from(AuditEvent)).scalar_one()
            yield CounterMetricFamily("crier_audit_events", "Events in the audit trail", events)

    def _messages(self, session: Session) -> Iterator[Metric]:
        by_status = dict(session.execute(select(Message.status, func.count()).group_by(Message.status)).all())
        gauge = GaugeMetricFamily("crier_messages", "Messages by status", labels=["status"])
        for status in MessageState:
            gauge.add_metric([status.value], by_status.get(status, 0))
        yield gauge

    def _deliveries(self, session: Session) -> Iterator[Metric]:
        rows = session.execute(
            select(ChannelAccount.kind, Delivery.state, func.count(), func.coalesce(func.sum(Delivery.attempts), 0))
            .join(ChannelAccount, ChannelAccount.id == Delivery.account_id)
            .group_by(ChannelAccount.kind, Delivery.state)).all()
        gauge = GaugeMetricFamily("crier_deliveries", "Deliveries by channel and state", labels=["channel", "state"])
        attempts = CounterMetricFamily("crier_delivery_attempts", "Platform calls made for deliveries",
                                       labels=["channel"])
        calls: dict[str, int] = {}
        for kind, state, count, tried in rows:
            gauge.add_metric([str(kind), str(state)], count)
            calls[str(kind)] = calls.get(str(kind), 0) + int(tried)
        for kind, tried in sorted(calls.items()):
            attempts.add_metric([kind], tried)
        yield gauge
        yield attempts
        sent = CounterMetricFamily("crier_posts_sent", "Posts published, corrected or withdrawn on a channel",
                                   labels=["channel", "purpose"])
        for kind, purpose, count in session.execute(
                select(ChannelAccount.kind, Delivery.purpose, func.count())
                .join(ChannelAccount, ChannelAccount.id == Delivery.account_id)
                .where(Delivery.state == DeliveryState.SENT).group_by(ChannelAccount.kind, Delivery.purpose)):
            sent.add_metric([str(kind), str(purpose)], count)
        yield sent

    def _verification(self, session: Session) -> Iterator[Metric]:
        now = utcnow()
        waiting = session.execute(select(func.count(), func.min(Message.updated_at)).where(
            Message.status == MessageState.AWAITING_VERIFICATION)).one()
        yield GaugeMetricFamily("crier_verification_waiting", "Messages waiting for a supervisor", waiting[0])
        yield GaugeMetricFamily("crier_verification_oldest_wait_seconds",
                                "How long the oldest message waiting for a supervisor has waited",
                                stats.seconds_between(now, waiting[1]) if waiting[1] else 0.0)
        waits = stats.verification_waits(session)
        yield histogram("crier_time_to_verify_seconds",
                        "Time from a message's submission (or correction) to the approval of its version",
                        VERIFY_BUCKETS, {(): [w.seconds for w in waits if w.verdict == Verdict.APPROVED]})
        summary = GaugeMetricFamily("crier_verification_seconds_average",
                                    f"Average time from submission to decision over the last {WINDOW.days} days",
                                    labels=["decision"])
        recent = [w for w in waits if w.decided_at >= now - WINDOW]
        for verdict in Verdict:
            times = [w.seconds for w in recent if w.verdict == verdict]
            summary.add_metric([verdict.value], sum(times) / len(times) if times else 0.0)
        yield summary

    def _publication(self, session: Session) -> Iterator[Metric]:
        now = utcnow()
        lives = stats.live_times(session)
        by_kind: dict[str, list[float]] = {kind.value: [] for kind in ChannelKind}
        for live in lives:
            by_kind.setdefault(live.channel, []).append(live.seconds)
        yield histogram("crier_approval_to_live_seconds",
                        "Time from a version's approval to its post confirmed live by the platform "
                        "(posts and corrections due at approval)", LIVE_BUCKETS,
                        {(kind,): times for kind, times in sorted(by_kind.items())}, labels=["channel"])
        gauge = GaugeMetricFamily("crier_publish_seconds_average",
                                  f"Average time from approval to the post being live, over the last {WINDOW.days} "
                                  "days (posts due at approval)", labels=["channel"])
        recent: dict[str, list[float]] = {}
        for live in lives:
            if live.sent_at >= now - WINDOW:
                recent.setdefault(live.channel, []).append(live.seconds)
        for kind, times in sorted(recent.items()):
            gauge.add_metric([kind], sum(times) / len(times))
        yield gauge

    def _outcomes(self, session: Session) -> Iterator[Metric]:
        counts = stats.outcome_counts(session)
        outcomes = CounterMetricFamily("crier_delivery_outcomes",
                                       "Outcomes the delivery engine recorded, one per platform call "
                                       "(or decision not to call)", labels=["channel", "outcome"])
        channels = sorted({kind.value for kind in ChannelKind} | {kind for kind, _ in counts})
        for kind in channels:
            for outcome in stats.OUTCOMES:
                outcomes.add_metric([kind, outcome], counts.get((kind, outcome), 0))
        yield outcomes
        now = utcnow()
        depths = {(d.queue, d.channel): d for d in stats.queue_depths(session, now)}
        depth = GaugeMetricFamily("crier_queue_depth", "Deliveries waiting for a worker: due and pending, "
                                  "retrying, or of unknown outcome", labels=["queue", "channel"])
        oldest = GaugeMetricFamily("crier_queue_oldest_due_seconds",
                                   "How long the longest-waiting delivery of a queue has been due",
                                   labels=["queue"])
        queues = sorted({kind.value for kind in MessageKind} | {q for q, _ in depths})
        for queue in queues:
            for kind in sorted({kind.value for kind in ChannelKind} | {c for q, c in depths if q == queue}):
                found = depths.get((queue, kind))
                depth.add_metric([queue, kind], found.waiting if found else 0)
            due = [d.oldest_due for (q, _), d in depths.items() if q == queue and d.oldest_due is not None]
            oldest.add_metric([queue], stats.seconds_between(now, min(due)) if due else 0.0)
        yield depth
        yield oldest


def histogram(name: str, documentation: str, bounds: Sequence[float],
              observations: dict[tuple[str, ...], list[float]], labels: Sequence[str] = ()) -> Metric:
    """A Prometheus histogram of ``observations`` (per label values): cumulative buckets, sum and count."""
    family = HistogramMetricFamily(name, documentation, labels=list(labels))
    for values, seen in observations.items():
        buckets = [(floatToGoString(bound), sum(1 for s in seen if s <= bound)) for bound in bounds]
        buckets.append(("+Inf", len(seen)))
        family.add_metric(list(values), buckets, sum_value=float(sum(seen)))
    return family
