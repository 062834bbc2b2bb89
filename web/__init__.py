"""Crier's Flask app: the console, the JSON API, the public website pages and the CLI."""
from __future__ import annotations

import logging
from typing import Any, Mapping

from flask import Flask
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from workflow.core.config import Settings
from workflow.core.instance import configuration, instance_path
from workflow.core.runtime import build_runtime
from workflow.delivery.workers import create_celery

from . import api, console, headers, health, public
from .auth import ConsoleSessionInterface, login_manager
from .context import close_session

csrf = CSRFProtect()


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: configuration from ``CRIER_*`` variables, then ``test_config``."""
    instance = instance_path()
    app = Flask(__name__, instance_path=str(instance), instance_relative_config=True)
    app.config.from_mapping(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # Sessions are never "remembered" beyond the browser's life, and the
        # idle timeout and lifetime are checked on every request (web.auth).
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=None,
        MAX_CONTENT_LENGTH=1024 * 1024,
        JSON_SORT_KEYS=False,
    )
    # The same settings the workers and the scheduler read (workflow.core.instance).
    app.config.update(configuration(instance, test_config))

    settings = Settings.from_mapping(app.config)
    runtime = build_runtime(settings)
    app.extensions["crier"] = runtime
    # Celery lives beside the runtime; its dispatcher wakes the workers after each commit.
    app.extensions["celery"] = create_celery(runtime, instance_path=instance)
    app.teardown_appcontext(close_session)

    if settings.proxy_hops:
        # The client's own address (sign-in throttling) and scheme (Secure cookies).
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.proxy_hops, x_proto=settings.proxy_hops,
                                x_host=0)
    app.session_interface = ConsoleSessionInterface()
    login_manager.init_app(app)
    csrf.init_app(app)
    headers.init_app(app)
    logging.getLogger("crier").setLevel(app.config.get("LOG_LEVEL", "INFO"))

    app.register_blueprint(api.bp)
    csrf.exempt(api.bp)  # Bearer tokens, never cookies: no CSRF to forge
    app.register_blueprint(health.bp)
    app.register_blueprint(public.bp)
    app.register_blueprint(console.bp)
    return app
