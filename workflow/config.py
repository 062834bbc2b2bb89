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
    # How long a worker's claim on a delivery lasts before another may take it.
    # The worker renews it every third of that while a send is in flight, so
    # it can be short: a dead worker's claims are taken over within seconds.
    lease_seconds: int = 12
    # How often the sweeper looks for due deliveries, in seconds.
    sweep_interval: float = 2.0
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
    #: Comma-separated hosts a CMS webhook may reach although local or plain http (demo, tests).
    webhook_allowed_hosts: str = ""
    max_body_chars: int = 5000
    # Console sessions end after this many seconds without a request, and this
    # many seconds after sign-in whatever happens.
    session_idle_timeout: int = 3600
    session_lifetime: int = 43200
    # Supervisors and admins must use a second factor (TOTP) in the console.
    require_2fa: bool = True
    # Failed sign-ins allowed per client address, in the `limits` notation
    # ("20/minute;200/hour"); past it every sign-in from there gets the same 429.
    login_rate_limit: str = "20/minute;200/hour"
    # Failures per username (known or not) before each further attempt is slowed,
    # and the longest that slowdown can be, in seconds: never a lock-out.
    login_slow_after: int = 5
    login_max_delay: float = 3.0
    # Reverse proxies in front of the console that set X-Forwarded-For/-Proto.
    proxy_hops: int = 0
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
        settings = cls(**values)
        settings.check_signin_settings()
        return settings

    def check_signin_settings(self) -> None:
        """Refuse sign-in and session settings that cannot work, naming the setting."""
        from limits import parse_many

        try:
            if self.login_rate_limit.strip():  # empty: no limit per address
                parse_many(self.login_rate_limit)
        except ValueError:
            raise ValueError("CRIER_LOGIN_RATE_LIMIT is written like 20/minute;200/hour, "
                             f"not {self.login_rate_limit!r}") from None
        for name in ("session_idle_timeout", "session_lifetime", "login_slow_after"):
            if getattr(self, name) < 1:
                raise ValueError(f"CRIER_{name.upper()} must be at least 1")
        if not 0 <= self.login_max_delay <= 30:
            raise ValueError("CRIER_LOGIN_MAX_DELAY is a few seconds: between 0 and 30")
        if self.proxy_hops < 0:
            raise ValueError("CRIER_PROXY_HOPS cannot be negative")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **defaults: Any) -> "Settings":
        """Build settings from ``CRIER_*`` environment variables over ``defaults``."""
        environ = os.environ if environ is None else environ
        mapping = {k.upper(): v for k, v in defaults.items()}
        for key, value in environ.items():
            if key.startswith("CRIER_"):
                mapping[key[len("CRIER_"):]] = value
        return cls.from_mapping(mapping)
