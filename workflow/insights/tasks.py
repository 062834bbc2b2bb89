"""The Celery task of an insights pass: thin, on the routine queue (see :mod:`workflow.insights.passes`)."""

from __future__ import annotations

from celery import shared_task

from workflow.delivery.workers import INSIGHTS_TASK, services_of
from workflow.insights import passes

#: A pass stops itself after PASS_SECONDS; these limits only catch a stuck one.
SOFT_LIMIT = passes.PASS_SECONDS + 120
HARD_LIMIT = SOFT_LIMIT + 60


@shared_task(
    bind=True, name=INSIGHTS_TASK, ignore_result=True, soft_time_limit=SOFT_LIMIT, time_limit=HARD_LIMIT
)
def collect(self) -> str:
    """One insights pass within the shared rate-limit windows."""
    services = services_of(self.app)
    return passes.collect(services.runtime, services.limiter).summary()
