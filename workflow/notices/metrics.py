"""Notices as Prometheus figures, read from the database at each scrape (like
:mod:`workflow.delivery.metrics`): sent and failed by channel, and how many wait."""
from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from workflow.core.database import utcnow
from workflow.messages.models import Message
from workflow.messages.states import MessageState
from workflow.notices.models import Notice, NoticeChannel, NoticeState, VerificationWatch, WatchState


class NoticeCollector(Collector):
    """Collects the notice figures from ``sessions`` on every scrape."""

    def __init__(self, sessions: sessionmaker[Session]):
        self.sessions = sessions

    def collect(self) -> Iterator[Metric]:
        with self.sessions() as session:
            counts = {(str(channel), str(state)): n for channel, state, n in session.execute(
                select(Notice.channel, Notice.state, func.count()).group_by(Notice.channel, Notice.state))}
            overdue = session.execute(
                select(func.count(func.distinct(VerificationWatch.message_id)))
                .join(Message, Message.id == VerificationWatch.message_id)
                .where(VerificationWatch.state.in_([WatchState.WAITING, WatchState.ESCALATED]),
                       VerificationWatch.due_at <= utcnow(),
                       Message.status == MessageState.AWAITING_VERIFICATION)).scalar_one()
        sent = CounterMetricFamily("crier_notices_sent", "Notices sent, by channel (live: ready for the consoles)",
                                   labels=["channel"])
        failed = CounterMetricFamily("crier_notices_failed",
                                     "Notices that failed for good, or whose outcome is unknown, by channel",
                                     labels=["channel", "state"])
        waiting = GaugeMetricFamily("crier_notices_waiting", "Notices waiting to be sent or retried, by channel",
                                    labels=["channel"])
        for channel in NoticeChannel:
            c = channel.value
            sent.add_metric([c], counts.get((c, NoticeState.SENT.value), 0))
            for state in (NoticeState.FAILED, NoticeState.UNKNOWN):
                failed.add_metric([c, state.value], counts.get((c, state.value), 0))
            waiting.add_metric([c], sum(counts.get((c, s.value), 0)
                                        for s in (NoticeState.PENDING, NoticeState.SENDING, NoticeState.RETRYING)))
        yield sent
        yield failed
        yield waiting
        yield GaugeMetricFamily("crier_notices_kept", "E-mails kept in the console's outbox (no mail server set)",
                                counts.get((NoticeChannel.EMAIL.value, NoticeState.KEPT.value), 0))
        yield GaugeMetricFamily("crier_verification_overdue",
                                "Messages waiting for verification past their escalation time", overdue)
