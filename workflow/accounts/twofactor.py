"""The console's second factor: TOTP (RFC 6238, as authenticator apps speak it)
with one-time recovery codes.

Supervisors and admins verify and administer, so with ``CRIER_REQUIRE_2FA``
(on by default) they must enrol on their first sign-in. The TOTP secret is
encrypted at rest with the channel credentials' keys; recovery codes are kept
only as hashes. A code, TOTP or recovery, is accepted once. API tokens are
not affected.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets

import pyotp
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from workflow.accounts import policy
from workflow.accounts import users as accounts
from workflow.accounts.models import RecoveryCode, User
from workflow.audit import chain as audit
from workflow.core.config import Settings
from workflow.core.database import utcnow
from workflow.core.errors import ConflictError
from workflow.core.runtime import vault_of
from workflow.core.unit_of_work import transactional

ISSUER = "Crier"

RECOVERY_CODES = 10

#: Recovery codes: 16 characters (80 bits) from an alphabet without look-alikes.
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"

_RECOVERY_LENGTH = 16

_TOTP_RE = re.compile(r"^\d{6}$")


def required_for(settings: Settings, user: User) -> bool:
    """Whether ``user`` must sign in to the console with a second factor."""
    return user.has_totp or (settings.require_2fa and policy.is_supervisor(user))


def _secret_of(session: Session, user: User) -> str:
    return vault_of(session).decrypt(user.totp_secret_encrypted)["totp"]


@transactional
def pending_secret(session: Session, user: User) -> str:
    """The TOTP secret being enrolled: made once, kept (encrypted) until confirmed."""
    if user.has_totp:
        raise ConflictError("a second factor is already set up for this user")
    if user.totp_secret_encrypted is None:
        user.totp_secret_encrypted = vault_of(session).encrypt({"totp": pyotp.random_base32()})
    return _secret_of(session, user)


def provisioning_uri(secret: str, username: str) -> str:
    """The ``otpauth://`` URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)


def _matching_step(secret: str, code: str) -> int | None:
    """The time step (now, or one either side for clock drift) whose code this is."""
    totp = pyotp.TOTP(secret)
    now = totp.timecode(utcnow())
    for step in (now - 1, now, now + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _use_step(session: Session, user: User, step: int) -> bool:
    # One conditional update: two requests with the same code cannot both win.
    done = session.execute(update(User).where(
        User.id == user.id, or_(User.totp_last_step.is_(None), User.totp_last_step < step),
    ).values(totp_last_step=step).execution_options(synchronize_session=False))
    return done.rowcount == 1


@transactional
def confirm_enrolment(session: Session, user: User, code: str) -> list[str]:
    """Turn the pending secret on with a first good code; returns the recovery
    codes in plain text, to show once."""
    if user.has_totp:
        raise ConflictError("a second factor is already set up for this user")
    code = _normalise(code)
    step = _matching_step(pending_secret(session, user), code) if _TOTP_RE.match(code) else None
    if step is None or not _use_step(session, user, step):
        raise ConflictError("that code is not right: check the time on your phone and try the new code",
                            field="code")
    user.totp_enabled_at = utcnow()
    codes = _new_recovery_codes(session, user)
    audit.record(session, user, "user.2fa_enrolled", username=user.username)
    return codes


def _normalise(code: str) -> str:
    return re.sub(r"[\s-]", "", str(code or "")[:64]).lower()


def hash_recovery_code(code: str) -> str:
    """SHA-256 of a normalised recovery code: the codes are random, so a fast hash is enough."""
    return hashlib.sha256(_normalise(code).encode("utf-8")).hexdigest()


def _new_recovery_codes(session: Session, user: User) -> list[str]:
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_ALPHABET) for _ in range(_RECOVERY_LENGTH))
        codes.append("-".join(raw[i:i + 4] for i in range(0, _RECOVERY_LENGTH, 4)))
        session.add(RecoveryCode(user_id=user.id, code_hash=hash_recovery_code(raw)))
    session.flush()
    return codes


@transactional
def verify(session: Session, user: User, code: str) -> str | None:
    """Check a TOTP code or an unused recovery code; ``"totp"``, ``"recovery_code"`` or None."""
    if not user.has_totp:
        return None
    code = _normalise(code)
    if _TOTP_RE.match(code):
        step = _matching_step(_secret_of(session, user), code)
        if step is not None and _use_step(session, user, step):
            return "totp"
        return None
    if len(code) != _RECOVERY_LENGTH:
        return None
    used = session.execute(update(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.code_hash == hash_recovery_code(code),
        RecoveryCode.used_at.is_(None),
    ).values(used_at=utcnow()).execution_options(synchronize_session=False))
    if used.rowcount != 1:
        return None
    audit.record(session, user, "user.recovery_code_used", username=user.username,
                 remaining=remaining_recovery_codes(session, user))
    return "recovery_code"


def remaining_recovery_codes(session: Session, user: User) -> int:
    """How many of ``user``'s recovery codes are still unused."""
    return session.execute(select(func.count()).select_from(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))).scalar_one()


@transactional
def reset(session: Session, user: User, actor: User | None = None) -> None:
    """Remove ``user``'s second factor (lost phone): they enrol again at their
    next sign-in, and their console sessions end now."""
    user.totp_secret_encrypted = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    accounts.end_sessions(user)
    audit.record(session, actor, "user.2fa_reset", username=user.username)
