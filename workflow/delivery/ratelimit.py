"""Posting limits per channel account, shared by every worker.

A fan-out to hundreds of neighbourhood accounts must stay inside each
platform's posting limits instead of collecting 429s. Each limit is a sliding
window ("at most N posts in any W seconds"), which also keeps every fixed
window the platform counts in under N. A delivery that would go over is
rescheduled for the moment a slot frees up; it is not a failed attempt.

With a Redis broker the windows live in Redis (a sorted set per key, updated
by one Lua script, so that workers on several hosts share them). The embedded
default has no Redis: the windows then live in a small SQLite file in the
instance folder, shared by the processes of one host.
"""
from __future__ import annotations

import dataclasses
import logging
import sqlite3
import threading
import time
import uuid
from pathlib import Path
from typing import Protocol, Sequence

import redis

from workflow.core.config import Settings, parse_rate_limit
from workflow.core.sqlite import ensure_wal

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Limit:
    """At most ``count`` posts in any ``window`` seconds, counted under ``key``."""

    key: str
    count: int
    window: float


#: ``"100/900"``: posts per seconds; parsed where settings are checked.
parse_limit = parse_rate_limit


def limits_for(settings: Settings, kind: str, account_id: int) -> list[Limit]:
    """The limits a post from ``account_id`` (a ``kind`` account) counts against."""
    out: list[Limit] = []
    per_account = parse_limit(getattr(settings, f"rate_limit_{kind}", ""))
    if per_account:
        out.append(Limit(f"account:{account_id}", *per_account))
    app_wide = parse_limit(getattr(settings, f"rate_limit_{kind}_app", ""))
    if app_wide:
        out.append(Limit(f"app:{kind}", *app_wide))
    return out


class Limiter(Protocol):
    """Takes ``cost`` slots in every limit, or none and says how long to wait."""

    def acquire(self, limits: Sequence[Limit], cost: int = 1) -> float:
        """0 when the slots were taken; otherwise seconds until they may be."""
        ...


class NoLimiter:
    """Every post may go (the website has no posting limit)."""

    def acquire(self, limits: Sequence[Limit], cost: int = 1) -> float:
        return 0.0


# All-or-nothing over every key: check each window, and only if all have room
# add the entries. Redis's own clock is used so that workers with drifting
# clocks still agree. KEYS: the window keys. ARGV: cost, a unique id, then
# count and window (ms) per key.
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local cost = tonumber(ARGV[1])
local wait = 0
for i, key in ipairs(KEYS) do
  local count = tonumber(ARGV[1 + 2 * i])
  local window = tonumber(ARGV[2 + 2 * i])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  local used = redis.call('ZCARD', key)
  if used + cost > count then
    if cost > count then
      return -1
    end
    local need = used + cost - count
    local edge = redis.call('ZRANGE', key, need - 1, need - 1, 'WITHSCORES')
    local free_at = tonumber(edge[2]) + window
    if free_at - now > wait then wait = free_at - now end
  end
end
if wait > 0 then return wait end
for i, key in ipairs(KEYS) do
  local window = tonumber(ARGV[2 + 2 * i])
  for n = 1, cost do
    redis.call('ZADD', key, now, ARGV[2] .. ':' .. n)
  end
  redis.call('PEXPIRE', key, window + 1000)
end
return 0
"""


class RedisLimiter:
    """Sliding windows in Redis, shared by every worker on every host."""

    def __init__(self, url: str, prefix: str = "crier:ratelimit:", timeout: float = 2.0):
        self.client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
        self.prefix = prefix
        self.script = self.client.register_script(_ACQUIRE)

    def acquire(self, limits: Sequence[Limit], cost: int = 1) -> float:
        if not limits:
            return 0.0
        keys = [self.prefix + limit.key for limit in limits]
        args: list[object] = [cost, uuid.uuid4().hex]
        for limit in limits:
            args += [limit.count, int(limit.window * 1000)]
        waited = int(self.script(keys=keys, args=args))
        if waited < 0:
            # More parts than the window ever allows at once: take them one
            # window at a time rather than never.
            return self.acquire(limits, max(1, min(limit.count for limit in limits)))
        return waited / 1000.0


class SQLiteLimiter:
    """Sliding windows in a SQLite file: shared by the processes of one host."""

    def __init__(self, path: str | Path):
        self.path = str(path)
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        with self._connect() as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS slots (key TEXT NOT NULL, at REAL NOT NULL)")
            conn.execute("CREATE INDEX IF NOT EXISTS ix_slots_key_at ON slots (key, at)")

    def _connect(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            ensure_wal(conn)
            self._local.conn = conn
        return conn

    def acquire(self, limits: Sequence[Limit], cost: int = 1) -> float:
        if not limits:
            return 0.0
        cost = max(1, min(cost, min(limit.count for limit in limits)))
        conn = self._connect()
        now = time.time()
        # IMMEDIATE: the check and the insert happen under one write lock.
        conn.execute("BEGIN IMMEDIATE")
        try:
            wait = 0.0
            for limit in limits:
                conn.execute("DELETE FROM slots WHERE key = ? AND at <= ?", (limit.key, now - limit.window))
                used = conn.execute("SELECT count(*) FROM slots WHERE key = ?", (limit.key,)).fetchone()[0]
                if used + cost > limit.count:
                    need = used + cost - limit.count
                    oldest = conn.execute(
                        "SELECT at FROM slots WHERE key = ? ORDER BY at LIMIT 1 OFFSET ?",
                        (limit.key, need - 1)).fetchone()[0]
                    wait = max(wait, oldest + limit.window - now)
            if wait <= 0:
                conn.executemany("INSERT INTO slots (key, at) VALUES (?, ?)",
                                 [(limit.key, now) for limit in limits for _ in range(cost)])
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return max(0.0, wait)


def make_limiter(broker_url: str, instance_path: str | Path | None) -> Limiter:
    """Redis windows when the broker is Redis; otherwise a SQLite file in the instance folder."""
    if broker_url.startswith(("redis://", "rediss://")):
        return RedisLimiter(broker_url)
    if instance_path is None:
        return NoLimiter()
    return SQLiteLimiter(Path(instance_path) / "ratelimit.sqlite3")
