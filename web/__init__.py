"""Crier's Flask app: the console, the JSON API, the public website pages and the CLI."""
from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path
from typing import Any, Mapping

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from workflow.core.config import Settings
from workflow.core.runtime import build_runtime
from workflow.delivery.workers import create_celery

from . import headers
from .auth import ConsoleSessionInterface, login_manager
from .context import close_session

csrf = CSRFProtect()


def _instance_secret(instance: Path, name: str = "secret_key") -> str:
    """A key of the embedded default (secret or audit key): made once and kept in the instance folder."""
    path = instance / name
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def _protect_files(instance: Path, database_url: str) -> None:
    """Keep the instance folder to Crier's own user: 0700 for folders, 0600 for files.

    The folder holds the embedded database, the secret and audit keys and the
    broker's messages. The umask covers every file this process creates from
    now on (the SQLite journal, broker messages); files made before it are
    tightened here.
    """
    os.umask(0o077)
    instance.mkdir(parents=True, exist_ok=True)
    instance.chmod(0o700)
    files = [instance / name for name in ("secret_key", "audit_key")]
    if database_url.startswith("sqlite:///") and ":memory:" not in database_url:
        database = Path(database_url[len("sqlite:///"):])
        files += [database, database.with_name(database.name + "-wal"), database.with_name(database.name + "-shm")]
    for root, folders, names in os.walk(instance / "broker"):
        Path(root).chmod(0o700)
        files += [Path(root) / name for name in names]
    for path in files:
        if path.exists():
            path.chmod(0o600)


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: configuration from ``CRIER_*`` variables, then ``test_config``."""
    app = Flask(__name__, instance_path=os.environ.get("CRIER_INSTANCE_PATH") or None,
                instance_relative_config=True)
    instance = Path(app.instance_path)
    app.config.from_mapping(
        DATABASE_URL=f"sqlite:///{instance / 'crier.sqlite3'}",
        BROKER_URL="filesystem://",
        PUBLIC_BASE_URL="http://127.0.0.1:5000",
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
    app.config.from_prefixed_env("CRIER")
    if test_config:
        app.config.from_mapping(test_config)
    _protect_files(instance, str(app.config["DATABASE_URL"]))
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(instance)
    if not app.config.get("AUDIT_KEY"):
        app.config["AUDIT_KEY"] = _instance_secret(instance, "audit_key")
    if not app.config.get("AUDIT_CHECKPOINTS"):
        app.config["AUDIT_CHECKPOINTS"] = str(instance / "audit-checkpoints")

    settings = Settings.from_mapping(app.config)
    runtime = build_runtime(settings)
    app.extensions["crier"] = runtime
    # Celery lives beside the runtime; its dispatcher wakes the workers after each commit.
    app.extensions["celery"] = create_celery(runtime, instance_path=instance, task_context=app.app_context)
    app.teardown_appcontext(close_session)

    if settings.proxy_hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # The client's own address (sign-in throttling) and scheme (Secure cookies).
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.proxy_hops, x_proto=settings.proxy_hops,
                                x_host=0)
    app.session_interface = ConsoleSessionInterface()
    login_manager.init_app(app)
    csrf.init_app(app)
    headers.init_app(app)
    logging.getLogger("crier").setLevel(app.config.get("LOG_LEVEL", "INFO"))

    from . import api, console, health, public

    app.register_blueprint(api.bp)
    csrf.exempt(api.bp)  # Bearer tokens, never cookies: no CSRF to forge
    app.register_blueprint(health.bp)
    app.register_blueprint(public.bp)
    app.register_blueprint(console.bp)
    return app
