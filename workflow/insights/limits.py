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

from workflow.core.config import Settings
from workflow.delivery.ratelimit import Limit, limits_for

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
