"""What the desk did, as Prometheus figures read from the database at each scrape.

The database is the one record every web and worker process writes to, so the
figures count what all of them did, survive restarts and agree with the audit
trail; no process keeps a counter of its own.
"""
from __future__ import annotations

import datetime as dt
from typing import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from workflow.accounts.models import ChannelAccount
from workflow.audit.models import AuditEvent
from workflow.core.database import utcnow
from workflow.delivery.models import Delivery, DeliveryPurpose, DeliveryState
from workflow.messages.models import Decision, Message, Verdict
from workflow.messages.states import MessageState
from workflow.scheduling.models import Pause

#: How far back the verification and publication times look.
WINDOW = dt.timedelta(days=30)


def _seconds(later: dt.datetime, earlier: dt.datetime) -> float:
    return max(0.0, (later - earlier).total_seconds())


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
                                _seconds(now, waiting[1]) if waiting[1] else 0.0)
        submitted = (select(func.max(AuditEvent.created_at)).where(
            AuditEvent.message_id == Decision.message_id, AuditEvent.action == "message.submitted",
            AuditEvent.created_at <= Decision.created_at).correlate(Decision).scalar_subquery())
        pairs = session.execute(select(Decision.decision, Decision.created_at, submitted).where(
            Decision.created_at >= now - WINDOW)).all()
        summary = GaugeMetricFamily("crier_verification_seconds_average",
                                    f"Average time from submission to decision over the last {WINDOW.days} days",
                                    labels=["decision"])
        for verdict in Verdict:
            waits = [_seconds(at, sent) for decision, at, sent in pairs if decision == verdict and sent]
            summary.add_metric([verdict.value], sum(waits) / len(waits) if waits else 0.0)
        yield summary

    def _publication(self, session: Session) -> Iterator[Metric]:
        now = utcnow()
        rows = session.execute(select(ChannelAccount.kind, Decision.created_at, Delivery.sent_at)
                               .join(ChannelAccount, ChannelAccount.id == Delivery.account_id)
                               .join(Decision, (Decision.version_id == Delivery.version_id)
                                     & (Decision.decision == Verdict.APPROVED))
                               .where(Delivery.state == DeliveryState.SENT,
                                      Delivery.purpose == DeliveryPurpose.PUBLISH,
                                      Delivery.sent_at >= now - WINDOW, Delivery.due_at <= Decision.created_at)).all()
        gauge = GaugeMetricFamily("crier_publish_seconds_average",
                                  f"Average time from approval to the post being live, over the last {WINDOW.days} "
                                  "days (posts due at approval)", labels=["channel"])
        by_kind: dict[str, list[float]] = {}
        for kind, approved, sent in rows:
            by_kind.setdefault(str(kind), []).append(_seconds(sent, approved))
        for kind, times in sorted(by_kind.items()):
            gauge.add_metric([kind], sum(times) / len(times))
        yield gauge
