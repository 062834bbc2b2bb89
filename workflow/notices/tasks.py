"""The Celery task that sends one notice: a thin wrapper over :mod:`workflow.notices.send`.

Notices travel on the routine queue: a worker takes incident deliveries first,
so a notice never delays an incident post.
"""
from __future__ import annotations

import logging
import os
import socket

from celery import shared_task
from sqlalchemy.exc import DBAPIError, OperationalError

from workflow.delivery.workers import NOTICE_TASK, services_of
from workflow.notices.send import send_notice

log = logging.getLogger("crier.notices")

#: A retry this close is woken by a countdown task; a later one by the scheduler's pass.
SHORT_WAKE_SECONDS = 60.0

WORKER = f"{socket.gethostname()}:{os.getpid()}"


@shared_task(bind=True, name=NOTICE_TASK, ignore_result=True, acks_late=True, reject_on_worker_lost=True,
             autoretry_for=(OperationalError, DBAPIError), retry_backoff=1, retry_backoff_max=30,
             retry_jitter=True, max_retries=5)
def notify(self, notice_id: int) -> str:
    """Send one notice (e-mail or team webhook)."""
    services = services_of(self.app)
    owner = f"{self.request.hostname or WORKER}:{os.getpid()}/{self.request.id or 'direct'}"[:200]
    sent = send_notice(services.runtime, int(notice_id), owner)
    if sent.wake_in is not None and sent.wake_in <= SHORT_WAKE_SECONDS:
        try:
            services.dispatcher.send_notices([sent.notice_id], countdown=sent.wake_in)
        except Exception:  # the scheduler's pass wakes it when it is due
            log.warning("[task %s notice %s] could not schedule the retry; the scheduler will",
                        self.request.id, notice_id, exc_info=True)
    return sent.status
