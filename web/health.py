"""Health endpoints for the process supervisor and the load balancer."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from workflow.delivery.workers import broker_ready

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
