"""Secrets: password hashing (argon2), API token hashing, and channel
credentials encrypted at rest with rotatable keys."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_hasher = PasswordHasher()

# Verified against when a username is unknown, so that a failed login takes the
# same time whether or not the user exists.
_DUMMY_HASH = _hasher.hash("crier-no-such-user")


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches; always does the full amount of work."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def password_needs_rehash(password_hash: str) -> bool:
    """Whether the hash was made with weaker parameters than today's."""
    return _hasher.check_needs_rehash(password_hash)


TOKEN_PREFIX = "crier_"


def new_api_token() -> str:
    """A fresh, high-entropy API token (shown once, never stored)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """SHA-256 of a token: tokens are random, so a fast hash is enough."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def derive_fernet_key(secret_key: str) -> str:
    """A Fernet key derived from the app secret, for when no keys are configured."""
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"crier-credentials",
               info=b"channel credentials v1").derive(secret_key.encode("utf-8"))
    return base64.urlsafe_b64encode(raw).decode("ascii")


class CredentialsError(Exception):
    """Stored credentials could not be decrypted with any configured key."""


class CredentialVault:
    """Encrypts channel credentials. The first key encrypts; every key decrypts,
    so keys can be rotated: add the new key first, run ``crier keys rotate``,
    then drop the old key."""

    def __init__(self, keys: list[str]):
        if not keys:
            raise ValueError("at least one credentials key is required")
        self._fernet = MultiFernet([Fernet(k.encode("ascii") if isinstance(k, str) else k) for k in keys])

    def encrypt(self, credentials: dict[str, Any]) -> bytes:
        """Encrypt a credentials mapping."""
        return self._fernet.encrypt(json.dumps(credentials, sort_keys=True).encode("utf-8"))

    def decrypt(self, token: bytes) -> dict[str, Any]:
        """Decrypt credentials; raises :class:`CredentialsError` without showing them."""
        try:
            return json.loads(self._fernet.decrypt(bytes(token)))
        except (InvalidToken, ValueError):
            raise CredentialsError("channel credentials cannot be decrypted with the configured keys") from None

    def rotate(self, token: bytes) -> bytes:
        """Re-encrypt a stored token with the newest key."""
        try:
            return self._fernet.rotate(bytes(token))
        except InvalidToken:
            raise CredentialsError("channel credentials cannot be decrypted with the configured keys") from None


def constant_time_equals(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))
