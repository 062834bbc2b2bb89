"""The users, API tokens, recovery codes and channel accounts tables.

Migrations live in ``workflow/migrations``; the same migrations run on SQLite
(the embedded default) and PostgreSQL (production)."""
from __future__ import annotations

import datetime as dt
import enum
from typing import Any, Optional

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workflow.core.database import Base, BigId, UTCDateTime, enum_column, utcnow


class Role(enum.StrEnum):
    OFFICER = "officer"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


class ChannelKind(enum.StrEnum):
    X = "x"
    FACEBOOK = "facebook"
    WEBSITE = "website"


class AccountStatus(enum.StrEnum):
    ACTIVE = "active"
    RECONNECT = "reconnect"  # the platform refused its credentials: an admin must reconnect it
    DISABLED = "disabled"  # nothing new targets it
    REMOVED = "removed"  # kept on record for the deliveries that name it; credentials wiped


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(120), default="")
    email: Mapped[Optional[str]] = mapped_column(String(254))
    role: Mapped[Role] = mapped_column(enum_column(Role, "role", 20))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Console sessions carry the generation they were signed in under; bumping
    # it (sign-out, password, role, disable, second factor reset) ends them all.
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    # TOTP second factor: the secret encrypted like channel credentials, set at
    # enrolment and confirmed (totp_enabled_at) by a first good code; the last
    # time step accepted, so that a code is never accepted twice.
    totp_secret_encrypted: Mapped[Optional[bytes]] = mapped_column(LargeBinary)
    totp_enabled_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    totp_last_step: Mapped[Optional[int]] = mapped_column(BigInteger)

    tokens: Mapped[list["ApiToken"]] = relationship(back_populates="user")
    recovery_codes: Mapped[list["RecoveryCode"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True)

    @property
    def has_totp(self) -> bool:
        return self.totp_enabled_at is not None

    @property
    def name(self) -> str:
        return self.display_name or self.username


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120), default="")
    # SHA-256 of the token; the token itself is shown once and never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    revoked_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(back_populates="tokens")


class RecoveryCode(Base):
    """A one-time code that stands in for the TOTP code; only its hash is kept."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(back_populates="recovery_codes")


class ChannelAccount(Base):
    __tablename__ = "channel_accounts"
    __table_args__ = (UniqueConstraint("kind", "name"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[ChannelKind] = mapped_column(enum_column(ChannelKind, "kind", 20))
    name: Mapped[str] = mapped_column(String(120))
    # None means force-wide; otherwise the neighbourhood area it serves.
    area: Mapped[Optional[str]] = mapped_column(String(120))
    # Fernet token of the credentials JSON; never returned or logged.
    credentials_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    # Non-secret settings shown to users (e.g. handle, page id).
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[AccountStatus] = mapped_column(enum_column(AccountStatus, "status", 20),
                                                  default=AccountStatus.ACTIVE)
    status_reason: Mapped[Optional[str]] = mapped_column(Text)
    # A sandbox account for exercises: it carries exercise messages and nothing else.
    exercise: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Health, from every post and check: the last success, the last error, and
    # whether the platform refused the credentials (kept while the account is
    # disabled, cleared only by new credentials).
    last_success_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    last_error_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    last_error: Mapped[Optional[str]] = mapped_column(Text)
    reconnect_needed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    @property
    def scope(self) -> str:
        return self.area or "Force-wide"


class ConnectionStage(enum.StrEnum):
    STARTED = "started"  # sent to the platform's sign-in; waits for the callback
    PICKING = "picking"  # Facebook pages listed; waits for the admin's choice
    FINISHED = "finished"
    CANCELLED = "cancelled"


class AccountConnection(Base):
    """An administrator's sign-in with X or Facebook while it is in progress.

    The ``state`` handed to the platform is signed and names this row; only the
    SHA-256 of its random part is kept, and it is used once. ``binding`` is the
    SHA-256 of a secret in the admin's console session: the callback must come
    back in the same session. Tokens gathered on the way are encrypted like
    channel credentials.
    """

    __tablename__ = "account_connections"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[ChannelKind] = mapped_column(enum_column(ChannelKind, "kind", 20))
    stage: Mapped[ConnectionStage] = mapped_column(enum_column(ConnectionStage, "stage", 20),
                                                   default=ConnectionStage.STARTED)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    binding: Mapped[str] = mapped_column(String(64))
    nonce_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The account being reconnected; None for a new one.
    account_id: Mapped[Optional[int]] = mapped_column(ForeignKey("channel_accounts.id", ondelete="CASCADE"))
    area: Mapped[Optional[str]] = mapped_column(String(120))
    exercise: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    secrets_encrypted: Mapped[Optional[bytes]] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
