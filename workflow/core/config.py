"""Crier's settings, read in one place with typed coercion.

Every setting has an environment name with the ``CRIER_`` prefix (the web app
reads them through Flask's ``from_prefixed_env``); workers, the scheduler and the
CLI all build the same :class:`Settings` from the same mapping.
"""
from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field, fields
from typing import Any, Mapping
from urllib.parse import urlsplit

import phonenumbers
from limits import parse_many

DEFAULT_X_API_URL = "https://api.twitter.com"

DEFAULT_GRAPH_URL = "https://graph.facebook.com"

DEFAULT_GRAPH_VERSION = "v21.0"

DEFAULT_FACEBOOK_LOGIN_URL = "https://www.facebook.com"


class SettingsError(ValueError):
    """A ``CRIER_*`` setting that cannot work; the message names it. Every process refuses to start."""


_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off", ""}


def _as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text not in _TRUE | _FALSE:
        raise ValueError("expected true or false")
    return text in _TRUE


def parse_rate_limit(spec: str | None) -> tuple[int, float] | None:
    """Parse ``"100/900"`` (posts per seconds); empty means no limit."""
    if spec is None or not str(spec).strip():
        return None
    try:
        count_text, window_text = str(spec).split("/", 1)
        count, window = int(count_text), float(window_text)
    except ValueError:
        raise ValueError(f"a rate limit is written posts/seconds, e.g. 100/900, not {spec!r}") from None
    if count < 1 or not window > 0:
        raise ValueError(f"a rate limit needs at least one post and a positive window, not {spec!r}")
    return count, window


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
    # The X app that accounts authorise ("Sign in with X"), and where its OAuth
    # 1.0a endpoints are (empty: CRIER_X_API_URL, as on X itself).
    x_consumer_key: str = ""
    x_consumer_secret: str = ""
    x_oauth_url: str = ""
    # The Facebook app that pages are connected through (Facebook Login), and
    # where its login dialog is (empty: www.facebook.com, or the Graph URL when
    # that is not Facebook's own, as with the simulator).
    facebook_app_id: str = ""
    facebook_app_secret: str = ""
    facebook_login_url: str = ""
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
    # Seals each audit event (HMAC); kept outside the database. Default: made once
    # in the instance folder. Signed checkpoints of the chain go to this folder.
    audit_key: str = ""
    audit_checkpoints: str = ""
    # Reverse proxies in front of the console that set X-Forwarded-For/-Proto.
    proxy_hops: int = 0
    demo: bool = False
    # Seconds between audience collections of an account (the scheduler's insights passes).
    insights_interval: int = 21600
    # The force's own phone numbers and e-mail domains (comma-separated): posts may
    # carry them without a personal-data finding (101, 999 and Crimestoppers always may).
    force_phone_numbers: list[str] = field(default_factory=list)
    force_email_domains: list[str] = field(default_factory=lambda: ["police.uk"])
    # The console reminds the desk of a missing-person appeal still live after this many seconds.
    appeal_remind_after: int = 86400
    # Notices (workflow.notices): where the console lives (links in notices), the
    # mail server (smtp://host:port or smtps://user:pass@host:465; empty: mails stay
    # in the console's outbox), the sender, STARTTLS on a plain smtp:// server, and
    # the team webhook that takes {"text": ...} (Slack and Teams incoming webhooks).
    console_url: str = "http://127.0.0.1:5000"
    smtp_url: str = ""
    smtp_starttls: bool = False
    mail_from: str = "crier@localhost"
    notify_webhook_url: str = ""
    # Seconds a submitted message may wait for verification before every
    # supervisor is told again; incident messages use their own setting if set (> 0).
    verify_escalate_after: int = 600
    verify_escalate_after_incident: int = 0

    @property
    def x_oauth_base(self) -> str:
        """Where X's ``/oauth/...`` endpoints are."""
        return (self.x_oauth_url or self.x_api_url).rstrip("/")

    @property
    def facebook_login_base(self) -> str:
        """Where Facebook's login dialog (``/<version>/dialog/oauth``) is."""
        if self.facebook_login_url:
            return self.facebook_login_url.rstrip("/")
        if self.facebook_graph_url.rstrip("/") == DEFAULT_GRAPH_URL:
            return DEFAULT_FACEBOOK_LOGIN_URL
        return self.facebook_graph_url.rstrip("/")
    # Images: where their bytes live (a folder, default media/ in the instance folder, or
    # s3://bucket[/prefix]), an S3-compatible endpoint, the largest upload, and how many
    # days a withdrawn message's (or an unused upload's) images stay before removal.
    media_storage: str = ""
    media_s3_endpoint_url: str = ""
    media_max_bytes: int = 5 * 1024 * 1024
    media_retention_days: int = 30
    # Where X's media endpoints live, only if not at CRIER_X_API_URL.
    x_upload_url: str = ""

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any]) -> "Settings":
        """Build settings from a mapping of upper-case names (Flask config style).

        Raises :class:`SettingsError` naming the first setting that is malformed.
        """
        values: dict[str, Any] = {}
        for f in fields(cls):
            key = f.name.upper()
            if key not in mapping or mapping[key] is None:
                continue
            raw = mapping[key]
            try:
                if f.type in ("bool", bool):
                    values[f.name] = _as_bool(raw)
                elif f.type in ("int", int):
                    if isinstance(raw, bool) or (isinstance(raw, float) and not raw.is_integer()):
                        raise ValueError("expected a whole number")
                    values[f.name] = int(raw)
                elif f.type in ("float", float):
                    if isinstance(raw, bool):
                        raise ValueError("expected a number")
                    values[f.name] = float(raw)
                elif f.name in ("credential_keys", "force_phone_numbers", "force_email_domains"):
                    values[f.name] = _as_list(raw)
                else:
                    values[f.name] = str(raw)
            except (TypeError, ValueError) as exc:
                kinds = {"int": "a whole number", "float": "a number", "bool": "true or false"}
                reason = str(exc) if str(exc).startswith("expected") else f"expected {kinds.get(str(f.type), 'text')}"
                raise SettingsError(f"CRIER_{key} is malformed: {reason}, not {raw!r}") from None
        settings = cls(**values)
        settings.check()
        return settings

    def check(self) -> None:
        """Refuse settings that cannot work, naming the first one (:class:`SettingsError`)."""
        for name in ("public_base_url", "x_api_url", "facebook_graph_url", "x_oauth_url", "facebook_login_url"):
            if name in ("x_oauth_url", "facebook_login_url") and not getattr(self, name):
                continue
            parts = urlsplit(getattr(self, name))
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise SettingsError(f"CRIER_{name.upper()} must be an http(s) address such as "
                                    f"https://example.org, not {getattr(self, name)!r}")
        if not re.fullmatch(r"v\d+\.\d+", self.facebook_graph_version):
            raise SettingsError("CRIER_FACEBOOK_GRAPH_VERSION is a Graph API version such as v21.0, "
                                f"not {self.facebook_graph_version!r}")
        for name in ("rate_limit_x", "rate_limit_facebook", "rate_limit_x_app", "rate_limit_facebook_app"):
            try:
                parse_rate_limit(getattr(self, name))
            except ValueError as exc:
                raise SettingsError(f"CRIER_{name.upper()} is malformed: {exc}") from None
        self._check_keys()
        self._check_contacts()
        self._check_notices()
        for key, secret in (("x_consumer_key", "x_consumer_secret"), ("facebook_app_id", "facebook_app_secret")):
            if bool(getattr(self, key)) != bool(getattr(self, secret)):
                raise SettingsError(f"CRIER_{key.upper()} and CRIER_{secret.upper()} go together: set both or "
                                    "neither")
        if self.facebook_app_id and not self.facebook_app_id.isdigit():
            raise SettingsError("CRIER_FACEBOOK_APP_ID is the Facebook app's number, e.g. 1234567890")
        positive = ("connect_timeout", "read_timeout", "lease_seconds", "heartbeat_seconds", "sweep_interval", "retry_max_attempts",
                    "retry_base_seconds", "retry_max_seconds", "retry_window_seconds", "max_body_chars",
                    "session_idle_timeout", "session_lifetime", "login_slow_after", "appeal_remind_after",
                    "insights_interval")
        for name in positive:
            if not getattr(self, name) > 0:
                raise SettingsError(f"CRIER_{name.upper()} must be more than 0, not {getattr(self, name)!r}")
        if self.lease_seconds < 3:
            raise SettingsError("CRIER_LEASE_SECONDS must be at least 3: the worker renews it every third")
        if self.late_grace_seconds < 0:
            raise SettingsError("CRIER_LATE_GRACE_SECONDS cannot be negative")
        if self.retry_base_seconds > self.retry_max_seconds:
            raise SettingsError("CRIER_RETRY_BASE_SECONDS cannot be more than CRIER_RETRY_MAX_SECONDS")
        try:
            if self.login_rate_limit.strip():  # empty: no limit per address
                parse_many(self.login_rate_limit)
        except ValueError:
            raise SettingsError("CRIER_LOGIN_RATE_LIMIT is written like 20/minute;200/hour, "
                                f"not {self.login_rate_limit!r}") from None
        if not 0 <= self.login_max_delay <= 30:
            raise SettingsError("CRIER_LOGIN_MAX_DELAY is a few seconds: between 0 and 30")
        if self.proxy_hops < 0:
            raise SettingsError("CRIER_PROXY_HOPS cannot be negative")
        self._check_media()
        if self.audit_key and len(self.audit_key) < 32:
            # Never echo a key: it is a secret even when too short.
            raise SettingsError("CRIER_AUDIT_KEY must be at least 32 characters (e.g. from crier keys generate)")

    def _check_media(self) -> None:
        if not 1024 <= self.media_max_bytes <= 50 * 1024 * 1024:
            raise SettingsError("CRIER_MEDIA_MAX_BYTES must be between 1024 and 52428800 (50 MB), "
                                f"not {self.media_max_bytes!r}")
        if self.media_retention_days < 0:
            raise SettingsError("CRIER_MEDIA_RETENTION_DAYS cannot be negative")
        storage = self.media_storage
        if storage and (("://" in storage and not storage.startswith("s3://"))
                        or (storage.startswith("s3://") and not re.fullmatch(
                            r"s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/.*)?", storage))):
            raise SettingsError("CRIER_MEDIA_STORAGE is a folder or s3://bucket[/prefix], "
                                f"not {storage!r}")
        for name in ("media_s3_endpoint_url", "x_upload_url"):
            value = getattr(self, name)
            parts = urlsplit(value)
            if value and (parts.scheme not in ("http", "https") or not parts.hostname):
                raise SettingsError(f"CRIER_{name.upper()} must be an http(s) address, not {value!r}")

    def _check_contacts(self) -> None:
        for number in self.force_phone_numbers:
            try:
                valid = phonenumbers.is_possible_number(phonenumbers.parse(number, "GB"))
            except phonenumbers.NumberParseException:
                valid = False
            if not valid:
                raise SettingsError(f"CRIER_FORCE_PHONE_NUMBERS: {number!r} is not a UK phone number")
        for domain in self.force_email_domains:
            if not re.fullmatch(r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}", domain.lower()):
                raise SettingsError(f"CRIER_FORCE_EMAIL_DOMAINS: {domain!r} is not a domain such as police.uk")

    def _check_notices(self) -> None:
        parts = urlsplit(self.console_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SettingsError(f"CRIER_CONSOLE_URL must be an http(s) address such as https://crier.example, "
                                f"not {self.console_url!r}")
        if self.smtp_url:
            try:
                smtp = urlsplit(self.smtp_url)
                smtp.port  # noqa: B018 - a malformed port raises here
            except ValueError:
                smtp = None
            if smtp is None or smtp.scheme not in ("smtp", "smtps") or not smtp.hostname:
                # Never echo it: the address may carry a password.
                raise SettingsError("CRIER_SMTP_URL must look like smtp://host:port or smtps://user:pass@host:465")
        if self.notify_webhook_url:
            hook = urlsplit(self.notify_webhook_url)
            if hook.scheme not in ("http", "https") or not hook.hostname:
                raise SettingsError("CRIER_NOTIFY_WEBHOOK_URL must be an http(s) address")
        if not re.fullmatch(r"[^@\s<>]+@[^@\s<>]+", self.mail_from):
            raise SettingsError(f"CRIER_MAIL_FROM must be an e-mail address, not {self.mail_from!r}")
        if self.verify_escalate_after < 1:
            raise SettingsError("CRIER_VERIFY_ESCALATE_AFTER must be at least 1 second")
        if self.verify_escalate_after_incident < 0:
            raise SettingsError("CRIER_VERIFY_ESCALATE_AFTER_INCIDENT cannot be negative (0: as CRIER_VERIFY_ESCALATE_AFTER)")

    def _check_keys(self) -> None:
        for number, key in enumerate(self.credential_keys, 1):
            try:
                valid = len(base64.urlsafe_b64decode(key.encode("ascii"))) == 32
            except (binascii.Error, ValueError, UnicodeEncodeError):
                valid = False
            if not valid:
                # Never echo a key: it is a secret even when malformed.
                raise SettingsError(f"CRIER_CREDENTIAL_KEYS: key {number} is not a Fernet key "
                                    "(crier keys generate makes one)")

