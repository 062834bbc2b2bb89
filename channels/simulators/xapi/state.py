"""What the X simulator holds: the app's keys, the accounts that authorised it, and their posts."""
from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import secrets
import threading
import time
import unicodedata
from typing import Any

#: How far a request's OAuth timestamp may be from the server's clock, in seconds.
TIMESTAMP_WINDOW = 300
_FIRST_ID = 1_860_000_000_000_000_000


@dataclasses.dataclass(frozen=True)
class XAccount:
    """An X account that has authorised the simulator's app."""

    user_id: str
    username: str
    name: str
    access_token: str
    access_token_secret: str


@dataclasses.dataclass
class XPost:
    """A post as the simulator stores it."""

    id: str
    author_id: str
    text: str
    created_at: dt.datetime
    in_reply_to: str | None = None
    conversation_id: str = ""
    deleted: bool = False
    media_ids: list[str] = dataclasses.field(default_factory=list)

    def as_dict(self, username: str) -> dict[str, Any]:
        return {"id": self.id, "author_id": self.author_id, "username": username, "text": self.text,
                "in_reply_to": self.in_reply_to, "created_at": iso_time(self.created_at),
                "deleted": self.deleted, "media_ids": list(self.media_ids)}


def iso_time(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def same_text(text: str) -> str:
    """The form in which two texts count as duplicates."""
    return " ".join(unicodedata.normalize("NFC", text).split())


class XState:
    """Everything one simulated X holds: the app's keys, accounts and posts; thread-safe."""

    def __init__(self, consumer_key: str | None = None, consumer_secret: str | None = None):
        self.lock = threading.RLock()
        self.consumer_key = consumer_key or "crier-app-" + secrets.token_hex(8)
        self.consumer_secret = consumer_secret or secrets.token_urlsafe(32)
        self.accounts: dict[str, XAccount] = {}  # by access token
        self.posts: list[XPost] = []
        self.uploads: dict[str, Any] = {}  # media id -> media.XUpload
        self.create_count = 0
        self._ids = itertools.count(_FIRST_ID, 7)
        self._user_ids = itertools.count(1_500_000_000)
        self._nonces: dict[tuple[str, str], float] = {}

    # Accounts ---------------------------------------------------------------
    def add_account(self, username: str, *, name: str | None = None, access_token: str | None = None,
                    access_token_secret: str | None = None) -> dict[str, str]:
        """Register an account; returns the credentials Crier stores for it."""
        with self.lock:
            user_id = str(next(self._user_ids))
            token = access_token or f"{user_id}-{secrets.token_urlsafe(24)}"
            account = XAccount(user_id, username, name or username, token,
                               access_token_secret or secrets.token_urlsafe(32))
            self.accounts[token] = account
        return self.credentials(account)

    def credentials(self, account: XAccount) -> dict[str, str]:
        """The credentials dict of ``account`` (the X channel's credential keys)."""
        return {"consumer_key": self.consumer_key, "consumer_secret": self.consumer_secret,
                "access_token": account.access_token, "access_token_secret": account.access_token_secret,
                "user_id": account.user_id, "username": account.username}

    def account_by_id(self, user_id: str) -> XAccount | None:
        """The account with X user id ``user_id``, if registered."""
        with self.lock:
            return next((a for a in self.accounts.values() if a.user_id == user_id), None)

    def use_nonce(self, token: str, nonce: str, timestamp: float) -> bool:
        """Record a request's nonce; False if it was used already (a replayed request)."""
        now = time.time()
        with self.lock:
            for key, seen in list(self._nonces.items()):
                if seen < now - 2 * TIMESTAMP_WINDOW:
                    del self._nonces[key]
            if (token, nonce) in self._nonces:
                return False
            self._nonces[(token, nonce)] = timestamp
            return True

    # Posts ------------------------------------------------------------------
    def find(self, post_id: str) -> XPost | None:
        """The live post with ``post_id``."""
        with self.lock:
            return next((p for p in self.posts if p.id == post_id and not p.deleted), None)

    def live_posts(self, author_id: str | None = None) -> list[XPost]:
        """Live posts, oldest first, optionally of one author."""
        with self.lock:
            return [p for p in self.posts if not p.deleted and (author_id is None or p.author_id == author_id)]

    def username_of(self, user_id: str) -> str:
        """The username of account ``user_id`` ("" if unknown)."""
        account = self.account_by_id(user_id)
        return account.username if account else ""

    def snapshot(self) -> dict[str, Any]:
        """Posts, counts and accounts, as JSON-ready data."""
        with self.lock:
            return {
                "posts": [p.as_dict(self.username_of(p.author_id)) for p in self.posts if not p.deleted],
                "deleted": [p.id for p in self.posts if p.deleted],
                "create_count": self.create_count,
                "accounts": sorted(a.username for a in self.accounts.values()),
            }

    def reset(self) -> None:
        """Forget every post and count; accounts stay registered."""
        with self.lock:
            self.posts.clear()
            self.uploads.clear()
            self.create_count = 0
            self._nonces.clear()
