"""The read limits of audience insight, in the same shared windows as posting.

X counts its reads per endpoint and per user: 15 follower pages and 900 user
or post look-ups in any 15 minutes. Graph counts every call a Page makes,
posts and reads together, so Facebook reads take their slots from the Page's
posting window (``CRIER_RATE_LIMIT_FACEBOOK``) and never more than half of
it: whatever insight reads, posting keeps the other half. The windows live
where posting's do (:mod:`workflow.delivery.ratelimit`: Redis, or a SQLite
file of the host), so every worker and the scheduler share them.
"""

from __future__ import annotations

import logging

from workflow.core.config import Settings
from workflow.delivery.ratelimit import Limit, Limiter, limits_for

log = logging.getLogger("crier.insights")

#: X's read windows per user: (requests, seconds).
X_READS = {"followers": (15, 900.0), "users": (900, 900.0), "tweets": (900, 900.0)}


def read_limits(settings: Settings, kind: str, account_id: int, read: str) -> list[Limit]:
    """The windows one ``read`` ("followers", "users", "tweets", "page", "post") of an account counts in."""
    if kind == "x":
        count, window = X_READS.get(read, X_READS["users"])
        return [Limit(f"x-read:{read}:{account_id}", count, window)]
    # Graph: the posting windows, of which reads may fill only half.
    return [
        Limit(limit.key, max(1, limit.count // 2), limit.window)
        for limit in limits_for(settings, kind, account_id)
    ]


def take_slot(limiter: Limiter, limits: list[Limit], what: str) -> float:
    """A slot in every window of ``limits`` (0), or the seconds to wait for one.

    If the windows' store is down the read goes ahead: the platform's own
    limit answers (X's remaining count and 429, Graph's throttling codes) still
    stop it, and insight must not stall on a store that posting can do without.
    """
    try:
        return limiter.acquire(limits)
    except Exception:
        log.exception("the %s read window could not be checked; reading anyway", what)
        return 0.0
