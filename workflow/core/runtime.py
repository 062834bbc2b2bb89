"""What a running Crier process holds: the engine, the session factory and the
services sessions need (settings, credentials vault, delivery dispatcher).

Sessions carry these in ``session.info`` so that services need only a session.
"""
from __future__ import annotations

import dataclasses
import hashlib
import hmac
from typing import Protocol, Sequence

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from channels.base import ChannelConfig
from workflow.core.config import Settings
from workflow.core.database import make_engine, make_session_factory
from workflow.core.security import CredentialVault, derive_fernet_key
from workflow.core.unit_of_work import after_commit


class Dispatcher(Protocol):
    """Wakes the workers for deliveries that are ready (after commit)."""

    def dispatch(self, delivery_ids: Sequence[int]) -> None: ...


class NullDispatcher:
    """No wake-up: the sweeper finds the deliveries on its next pass."""

    def dispatch(self, delivery_ids: Sequence[int]) -> None:
        return None


@dataclasses.dataclass
class Runtime:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    vault: CredentialVault
    dispatcher: Dispatcher

    def session(self) -> Session:
        return self.sessions()

    def set_dispatcher(self, dispatcher: Dispatcher) -> None:
        """Replace the dispatcher (the Celery one is attached after start-up)."""
        self.dispatcher = dispatcher
        self.sessions.kw["info"]["crier.dispatcher"] = dispatcher


def channel_config(settings: Settings) -> ChannelConfig:
    """The adapters' view of the settings."""
    return ChannelConfig(
        x_api_url=settings.x_api_url,
        x_upload_url=settings.x_upload_url,
        facebook_graph_url=settings.facebook_graph_url,
        facebook_graph_version=settings.facebook_graph_version,
        public_base_url=settings.public_base_url,
        connect_timeout=settings.connect_timeout,
        read_timeout=settings.read_timeout,
        webhook_allowed_hosts=tuple(h.strip().lower() for h in settings.webhook_allowed_hosts.split(",")
                                    if h.strip()),
    )


def audit_key(settings: Settings) -> bytes:
    """The key that seals audit events: CRIER_AUDIT_KEY, else one derived from the secret key."""
    if settings.audit_key:
        return settings.audit_key.encode("utf-8")
    return hmac.new(settings.secret_key.encode("utf-8"), b"crier audit key", hashlib.sha256).digest()


def build_runtime(settings: Settings, dispatcher: Dispatcher | None = None) -> Runtime:
    """Create the engine and session factory for ``settings``."""
    engine = make_engine(settings.database_url)
    keys = settings.credential_keys or [derive_fernet_key(settings.secret_key)]
    vault = CredentialVault(keys)
    dispatcher = dispatcher or NullDispatcher()
    sessions = make_session_factory(
        engine,
        **{
            "crier.settings": settings,
            "crier.vault": vault,
            "crier.audit_key": audit_key(settings),
            "crier.dispatcher": dispatcher,
            "crier.channel_config": channel_config(settings),
            # Filled on first use by workflow.signin: one sign-in throttle per process.
            "crier.signin": {},
        },
    )
    return Runtime(settings, engine, sessions, vault, dispatcher)


def settings_of(session: Session) -> Settings:
    return session.info["crier.settings"]


def vault_of(session: Session) -> CredentialVault:
    return session.info["crier.vault"]


def dispatcher_of(session: Session) -> Dispatcher:
    return session.info.get("crier.dispatcher") or NullDispatcher()


def channel_config_of(session: Session) -> ChannelConfig:
    return session.info["crier.channel_config"]


def wake_after_commit(session: Session, delivery_ids: Sequence[int]) -> None:
    """Wake the workers for ``delivery_ids`` once the session's transaction commits."""
    ids = list(delivery_ids)
    if ids:
        dispatcher = dispatcher_of(session)
        after_commit(session, lambda: dispatcher.dispatch(ids))
