"""Crier's settings, read in one place with typed coercion.

Every setting has an environment name with the ``CRIER_`` prefix (the web app
reads them through Flask's ``from_prefixed_env``); workers, the scheduler and the
CLI all build the same :class:`Settings` from the same mapping.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from typing import Any, Mapping

DEFAULT_X_API_URL = "https://api.twitter.com"
DEFAULT_GRAPH_URL = "https://graph.facebook.com"
DEFAULT_GRAPH_VERSION = "v21.0"


def _as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value if str(v).strip()]
    return [part.strip() for part in str(value).split(",") if part.strip()]


@dataclass(frozen=True)
class Settings:
    """Typed view of Crier's configuration."""

    database_url: str
    broker_url: str
    secret_key: str
    public_base_url: str = "http://127.0.0.1:5000"
    x_api_url: str = DEFAULT_X_API_URL
    facebook_graph_url: str = DEFAULT_GRAPH_URL
    facebook_graph_version: str = DEFAULT_GRAPH_VERSION
    # Fernet keys for channel credentials, newest first; older keys still decrypt.
    credential_keys: list[str] = field(default_factory=list)
    # Outbound HTTP timeouts for the channel adapters, in seconds.
    connect_timeout: float = 5.0
    read_timeout: float = 15.0
    # How long a worker's claim on a delivery lasts unless its heartbeat renews
    # it; a dead worker's deliveries are taken over about this much (plus one
    # sweep) later.
    lease_seconds: int = 10
    # How often a worker renews the leases of the deliveries it is sending.
    heartbeat_seconds: float = 3.0
    # How often the sweeper looks for due deliveries, in seconds.
    sweep_interval: float = 5.0
    # Transient failures: exponential backoff from retry_base_seconds up to
    # retry_max_seconds, giving up after retry_max_attempts attempts or once a
    # delivery is retry_window_seconds past its due time.
    retry_max_attempts: int = 8
    retry_base_seconds: float = 2.0
    retry_max_seconds: float = 300.0
    retry_window_seconds: int = 3600
    # Posting limits per account as "posts/seconds" (empty: no limit), and the
    # optional app-wide limit shared by all accounts of a platform.
    rate_limit_x: str = "100/900"
    rate_limit_facebook: str = "60/3600"
    rate_limit_x_app: str = ""
    rate_limit_facebook_app: str = ""
    # An approval this long after the scheduled time waits for a decision.
    late_grace_seconds: int = 300
    max_body_chars: int = 5000
    login_max_failures: int = 5
    login_lock_seconds: int = 300
    demo: bool = False

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any]) -> "Settings":
        """Build settings from a mapping of upper-case names (Flask config style)."""
        values: dict[str, Any] = {}
        for f in fields(cls):
            key = f.name.upper()
            if key not in mapping or mapping[key] is None:
                continue
            raw = mapping[key]
            if f.type in ("bool", bool):
                values[f.name] = _as_bool(raw)
            elif f.type in ("int", int):
                values[f.name] = int(raw)
            elif f.type in ("float", float):
                values[f.name] = float(raw)
            elif f.name == "credential_keys":
                values[f.name] = _as_list(raw)
            else:
                values[f.name] = str(raw)
        return cls(**values)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **defaults: Any) -> "Settings":
        """Build settings from ``CRIER_*`` environment variables over ``defaults``."""
        environ = os.environ if environ is None else environ
        mapping = {k.upper(): v for k, v in defaults.items()}
        for key, value in environ.items():
            if key.startswith("CRIER_"):
                mapping[key[len("CRIER_"):]] = value
        return cls.from_mapping(mapping)
