"""Celery tasks: thin wrappers over :mod:`workflow.delivery`.

A task carries one delivery id. It never imports the Flask app: it finds the
runtime on the Celery app it runs under (``celery.crier``).
"""
from __future__ import annotations

import logging
import os
import socket

from celery import shared_task
from sqlalchemy.exc import DBAPIError, OperationalError

from workflow.delivery import leases
from workflow.delivery import send as delivery_send
from workflow.delivery.workers import DELIVER_TASK, PING_TASK, services_of

log = logging.getLogger("crier.tasks")

#: A retry or deferral this close is woken by a countdown task; later ones
#: are left to the sweeper, which dispatches them when they are due (long
#: countdowns would sit in the broker past Redis's visibility timeout).
SHORT_WAKE_SECONDS = 60.0

WORKER = f"{socket.gethostname()}:{os.getpid()}"


@shared_task(bind=True, name=DELIVER_TASK, ignore_result=True, acks_late=True, reject_on_worker_lost=True,
             autoretry_for=(OperationalError, DBAPIError), retry_backoff=1, retry_backoff_max=30,
             retry_jitter=True, max_retries=5)
def deliver(self, delivery_id: int) -> str:
    """Claim, send and record one delivery (see :func:`workflow.delivery.deliver`)."""
    services = services_of(self.app)
    owner = leases.lease_owner(f"{self.request.hostname or WORKER}:{os.getpid()}", self.request.id)
    outcome = delivery_send.deliver(services.runtime, int(delivery_id), owner=owner,
                               limiter=services.limiter, task_id=self.request.id)
    if outcome.wake_in is not None and outcome.wake_in <= SHORT_WAKE_SECONDS:
        try:
            services.dispatcher.send([(outcome.delivery_id, outcome.queue)], countdown=outcome.wake_in)
        except Exception:  # the sweeper wakes it when it is due
            log.warning("[task %s delivery %s] could not schedule the next look; the sweeper will",
                        self.request.id, delivery_id, exc_info=True)
    return outcome.status


@shared_task(name=PING_TASK, ignore_result=True)
def ping() -> None:
    """Does nothing: the broker round trip alone, for benchmarks and smoke checks."""
    return None
