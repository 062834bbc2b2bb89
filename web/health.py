"""Health endpoints for the process supervisor and the load balancer, and ``/metrics`` for Prometheus."""
from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from sqlalchemy import text

from workflow.core.runtime import Runtime
from workflow.delivery.metrics import DeskCollector
from workflow.delivery.workers import broker_ready
from workflow.notices.metrics import NoticeCollector

from .context import db

#: Seconds the readiness check waits for the broker.
BROKER_TIMEOUT = 2.0

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """Liveness: the process answers."""
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz():
    """Readiness: the database and the broker answer (each within a short timeout)."""
    checks: dict[str, str] = {}
    try:
        db().execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # any failure means not ready
        checks["database"] = f"error: {type(exc).__name__}"
    problem = broker_ready(current_app.extensions["celery"], timeout=BROKER_TIMEOUT)
    checks["broker"] = "ok" if problem is None else f"error: {problem}"
    ready = all(v == "ok" for v in checks.values())
    return jsonify({"status": "ok" if ready else "unavailable", "checks": checks}), (200 if ready else 503)


def metrics_registry(runtime: Runtime) -> CollectorRegistry:
    """A registry of the desk's figures, read from the database at each scrape."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DeskCollector(runtime.sessions))
    registry.register(NoticeCollector(runtime.sessions))
    return registry


@bp.get("/metrics")
def metrics():
    """Prometheus: what every web and worker process did, as the database records it."""
    registry = current_app.extensions.get("crier.metrics")
    if registry is None:
        registry = current_app.extensions["crier.metrics"] = metrics_registry(current_app.extensions["crier"])
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)
