"""The instance folder and the configuration every Crier process reads.

The web app, the workers and the scheduler all start here: the ``CRIER_*``
environment over the embedded defaults (a SQLite file, a filesystem broker and
keys kept in the instance folder), so a worker needs no web app to know its
settings and every process agrees on them.
"""
from __future__ import annotations

import json
import os
import secrets
import sys
from pathlib import Path
from typing import Any, Mapping

from workflow.core.config import Settings

#: The project folder; the instance folder defaults to ``instance/`` inside it.
PROJECT_ROOT = Path(__file__).resolve().parents[2]
PREFIX = "CRIER_"


def instance_path(environ: Mapping[str, str] | None = None) -> Path:
    """Where the embedded database, the keys and the broker's messages live.

    ``CRIER_INSTANCE_PATH``; else ``instance/`` in a checkout, or ``var/crier-instance``
    under the Python prefix when Crier is installed as a package (never inside it).
    """
    environ = os.environ if environ is None else environ
    if environ.get("CRIER_INSTANCE_PATH"):
        return Path(environ["CRIER_INSTANCE_PATH"]).resolve()
    if (PROJECT_ROOT / "pyproject.toml").exists():
        return (PROJECT_ROOT / "instance").resolve()
    return (Path(sys.prefix) / "var" / "crier-instance").resolve()


def environment_settings(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The ``CRIER_*`` variables without their prefix; a value that reads as JSON is parsed."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for key in sorted(environ):
        if not key.startswith(PREFIX):
            continue
        value: Any = environ[key]
        try:
            value = json.loads(value)
        except ValueError:
            pass
        values[key[len(PREFIX):]] = value
    return values


def instance_secret(instance: Path, name: str = "secret_key") -> str:
    """A key of the embedded default (secret or audit key): made once and kept in the instance folder."""
    path = instance / name
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first
            return path.read_text().strip()
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def protect_files(instance: Path, database_url: str) -> None:
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
    for root, _folders, names in os.walk(instance / "broker"):
        Path(root).chmod(0o700)
        files += [Path(root) / name for name in names]
    for path in files:
        if path.exists():
            path.chmod(0o600)


def configuration(instance: Path, overrides: Mapping[str, Any] | None = None,
                  environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Crier's settings as upper-case names: embedded defaults, then ``CRIER_*``, then ``overrides``.

    Creates the instance folder (private to this user) and the keys it keeps.
    """
    config: dict[str, Any] = {
        "DATABASE_URL": f"sqlite:///{instance / 'crier.sqlite3'}",
        "BROKER_URL": "filesystem://",
        "PUBLIC_BASE_URL": "http://127.0.0.1:5000",
    }
    config.update(environment_settings(environ))
    config.update(overrides or {})
    protect_files(instance, str(config["DATABASE_URL"]))
    if not config.get("SECRET_KEY"):
        config["SECRET_KEY"] = instance_secret(instance)
    if not config.get("AUDIT_KEY"):
        config["AUDIT_KEY"] = instance_secret(instance, "audit_key")
    if not config.get("MEDIA_STORAGE"):
        config["MEDIA_STORAGE"] = str(instance / "media")
    if not config.get("AUDIT_CHECKPOINTS"):
        config["AUDIT_CHECKPOINTS"] = str(instance / "audit-checkpoints")
    return config


def load_settings(overrides: Mapping[str, Any] | None = None,
                  environ: Mapping[str, str] | None = None) -> tuple[Settings, Path]:
    """The validated settings of this process and its instance folder (:class:`SettingsError` if malformed)."""
    instance = instance_path(environ)
    return Settings.from_mapping(configuration(instance, overrides, environ)), instance
