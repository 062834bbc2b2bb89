"""Crier's Celery app: configuration, the dispatcher that wakes workers, and
the broker health check.

The broker is only a wake-up call; the database is the truth. So there is no
result backend, a task carries a delivery id and nothing else, and a lost
message costs a few seconds until the sweeper notices, never a post.

A worker or the scheduler makes its app from the settings alone
(:func:`engine_from_environment`); the web app makes one beside its runtime to
dispatch wake-ups. Task modules use ``@shared_task`` and never import either.
"""
from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import Any, Mapping, Sequence

from celery import Celery, current_app
from celery.signals import celeryd_after_setup, worker_process_init
from kombu import Exchange, Queue
from sqlalchemy import select

from workflow.core.database import make_engine
from workflow.core.instance import load_settings
from workflow.core.runtime import Runtime, build_runtime
from workflow.delivery.leases import time_limits
from workflow.delivery.models import Delivery
from workflow.delivery.ratelimit import Limiter, make_limiter

log = logging.getLogger("crier.celery")

INCIDENT = "incident"

ROUTINE = "routine"

#: A worker listening to both queues takes incident updates first: on Redis
#: the queues are polled in sorted order (``queue_order_strategy``), and
#: "incident" sorts before "routine". The embedded broker polls them in turn,
#: so there an incident update waits behind at most one routine task per
#: worker thread, never behind the whole backlog.
QUEUES = (INCIDENT, ROUTINE)

DELIVER_TASK = "crier.deliver"

PING_TASK = "crier.ping"

NOTICE_TASK = "crier.notify"
INSIGHTS_TASK = "crier.insights.collect"

#: Redis: how long a taken but unacknowledged message waits before Redis hands it
#: out again. Well above the hard time limit plus a wait behind one task, so a
#: slow delivery is not redelivered while it runs (a redelivery would be harmless:
#: the claim is atomic).
REDIS_VISIBILITY_TIMEOUT = 900


def _filesystem_options(instance_path: Path) -> dict[str, Any]:
    base = instance_path / "broker"
    folders = {"queue": base / "queue", "processed": base / "processed", "control": base / "control"}
    for folder in folders.values():
        folder.mkdir(parents=True, exist_ok=True)
    return {
        "data_folder_in": str(folders["queue"]),
        "data_folder_out": str(folders["queue"]),
        "processed_folder": str(folders["processed"]),
        "control_folder": str(folders["control"]),
        "store_processed": False,
        "polling_interval": 0.2,
    }


def broker_options(broker_url: str, instance_path: Path | None) -> dict[str, Any]:
    """Transport options for ``broker_url``: Redis timeouts, or the embedded broker's folders."""
    if broker_url.startswith(("redis://", "rediss://")):
        return {
            "visibility_timeout": REDIS_VISIBILITY_TIMEOUT,
            "socket_timeout": 10,
            "socket_connect_timeout": 5,
            "socket_keepalive": True,
            "retry_on_timeout": True,
            "health_check_interval": 25,
            "queue_order_strategy": "sorted",
        }
    if broker_url.startswith("filesystem://"):
        if instance_path is None:
            raise ValueError("the filesystem broker needs an instance folder")
        return _filesystem_options(instance_path)
    return {}


@dataclasses.dataclass
class EngineServices:
    """What delivery tasks need, hung on the Celery app as ``celery.crier``."""

    runtime: Runtime
    broker_url: str
    instance_path: Path | None
    dispatcher: "CeleryDispatcher"
    _limiter: Limiter | None = None

    @property
    def limiter(self) -> Limiter:
        # Made on first use, so a web process that never sends opens nothing.
        if self._limiter is None:
            self._limiter = make_limiter(self.broker_url, self.instance_path)
        return self._limiter


def services_of(celery: Celery) -> EngineServices:
    """The delivery services attached to a Crier Celery app."""
    services = getattr(celery, "crier", None)
    if services is None:
        raise RuntimeError("this Celery app was not made by workflow.delivery.workers.create_celery")
    return services


def create_celery(runtime: Runtime, *, instance_path: str | Path | None = None,
                  name: str = "crier") -> Celery:
    """Create and configure Crier's Celery app and attach its dispatcher to ``runtime``.
    """
    settings = runtime.settings
    instance = Path(instance_path) if instance_path is not None else None

    soft, hard = time_limits(settings)
    celery = Celery(name)
    celery.conf.update(
        broker_url=settings.broker_url,
        broker_transport_options=broker_options(settings.broker_url, instance),
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,
        # A web request must not hang on a broker that is down: the rows are
        # committed already and the sweeper will wake the workers.
        task_publish_retry_policy={"max_retries": 2, "interval_start": 0, "interval_step": 0.2,
                                   "interval_max": 0.5},
        result_backend=None,
        task_ignore_result=True,
        task_store_errors_even_if_ignored=False,
        task_serializer="json",
        accept_content=["json"],
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_soft_time_limit=soft,
        task_time_limit=hard,
        task_queues=[Queue(q, Exchange("crier", type="direct"), routing_key=q) for q in QUEUES],
        task_default_queue=ROUTINE,
        task_default_exchange="crier",
        task_default_routing_key=ROUTINE,
        task_create_missing_queues=False,
        worker_send_task_events=False,
        include=["workflow.delivery.tasks", "workflow.notices.tasks", "workflow.insights.tasks"],
    )
    celery.set_default()
    dispatcher = CeleryDispatcher(celery, runtime)
    celery.crier = EngineServices(runtime, settings.broker_url, instance, dispatcher)
    runtime.set_dispatcher(dispatcher)
    return celery


@worker_process_init.connect
def _fresh_connections(**_: Any) -> None:
    # A forked pool process must not share the parent's database sockets.
    services = getattr(current_app, "crier", None)
    if services is not None:
        services.runtime.engine.dispose(close=False)


def worker_threads(worker: Any) -> int:
    """How many tasks one process of ``worker`` runs at once: its concurrency for a
    threaded (or green) pool, one for prefork and solo."""
    pool = worker.pool_cls
    threaded = getattr(pool, "__module__", "").endswith(".thread") or getattr(pool, "is_green", False)
    return max(1, int(worker.concurrency or 1)) if threaded else 1


@celeryd_after_setup.connect
def _pool_per_thread(sender: Any = None, instance: Any = None, **_: Any) -> None:
    # Runs before the worker takes its first task. The engine was made before
    # the concurrency was known, with the default pool; a threaded worker gets
    # one connection per thread instead (see workflow.db.make_engine).
    services = getattr(getattr(instance, "app", None), "crier", None)
    if services is None:
        return
    threads = worker_threads(instance)
    runtime = services.runtime
    if threads <= 1 or runtime.engine.dialect.name == "sqlite":
        return
    old = runtime.engine
    runtime.engine = make_engine(runtime.settings.database_url, threads=threads)
    runtime.sessions.configure(bind=runtime.engine)
    old.dispose()
    log.info("database pool sized for %d worker threads", threads)


class CeleryDispatcher:
    """Wakes the workers: one task per delivery id, on the delivery's queue.

    Implements :class:`workflow.runtime.Dispatcher`; called after commit.
    """

    def __init__(self, celery: Celery, runtime: Runtime):
        self.celery = celery
        self.runtime = runtime

    def dispatch(self, delivery_ids: Sequence[int]) -> None:
        """Send one task per delivery, routed by the delivery's queue."""
        ids = [int(i) for i in delivery_ids]
        if not ids:
            return
        with self.runtime.session() as session:
            rows = session.execute(select(Delivery.id, Delivery.queue).where(Delivery.id.in_(ids))).all()
        self.send([(row.id, row.queue) for row in rows])

    def send(self, routed: Sequence[tuple[int, str]], *, countdown: float | None = None) -> int:
        """Send tasks for ``(delivery_id, queue)`` pairs over one connection; returns how many."""
        if not routed:
            return 0
        # Incident updates first, so they are at the head of the wake-ups.
        ordered = sorted(routed, key=lambda pair: (pair[1] != INCIDENT, pair[0]))
        with self.celery.producer_or_acquire() as producer:
            for delivery_id, queue in ordered:
                self.celery.send_task(DELIVER_TASK, args=(delivery_id,),
                                      queue=queue if queue in QUEUES else ROUTINE,
                                      countdown=countdown, producer=producer)
        return len(ordered)

    def send_notices(self, notice_ids: Sequence[int], *, countdown: float | None = None) -> int:
        """One task per notice, on the routine queue (incident posts go first)."""
        ids = [int(i) for i in notice_ids]
        if ids:
            with self.celery.producer_or_acquire() as producer:
                for notice_id in ids:
                    self.celery.send_task(NOTICE_TASK, args=(notice_id,), queue=ROUTINE, countdown=countdown,
                                          producer=producer)
        return len(ids)


    def send_insights(self) -> None:
        """Send one insights pass to the routine queue: it never stands before an incident post."""
        self.celery.send_task(INSIGHTS_TASK, queue=ROUTINE)


def broker_ready(celery: Celery, timeout: float = 2.0) -> str | None:
    """None if the broker answers within ``timeout`` seconds, else what went wrong."""
    try:
        quick = {"socket_timeout": timeout, "socket_connect_timeout": timeout}
        with celery.connection_for_write(connect_timeout=timeout, transport_options=quick) as conn:
            conn.ensure_connection(max_retries=0, timeout=timeout)
            # Opening a channel makes transports that connect lazily (Redis) talk to the server.
            conn.default_channel
    except Exception as exc:  # any failure means not ready
        return type(exc).__name__
    return None


def engine_from_environment(overrides: Mapping[str, Any] | None = None) -> Celery:
    """The Celery app of a worker or scheduler process, from the settings alone (no web app)."""
    settings, instance = load_settings(overrides)
    return create_celery(build_runtime(settings), instance_path=instance)
