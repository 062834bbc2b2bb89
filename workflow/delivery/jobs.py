"""What one delivery task carries between its steps: the claim, the job read
before the platform call, the call's result and the task's outcome."""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from typing import Any, Sequence

from channels.base import Post, PublishResult
from workflow.delivery.models import DeliveryState
from workflow.delivery.ratelimit import Limit

log = logging.getLogger("crier.delivery")

DS = DeliveryState

#: How far before a delivery's due time reconciliation looks for its post
#: (clock differences between Crier and the platform).
RECONCILE_MARGIN = dt.timedelta(minutes=2)

#: Seconds added to the adapters' timeouts when bounding how long a lapsed
#: lease's platform call may still land.
IN_FLIGHT_MARGIN = 2.0

#: How soon a correction or withdrawal looks again while the post it changes is still in flight.
PARENT_WAIT_SECONDS = 3.0

MAX_ERROR_CHARS = 2000


@dataclasses.dataclass(frozen=True)
class Claim:
    """A delivery this worker holds under a lease."""

    delivery_id: int
    owner: str
    previous_state: str
    attempts: int
    message_id: int | None = None
    #: When the lease taken over here lapsed (a ``sending`` delivery whose worker died or stalled).
    lapsed_at: dt.datetime | None = None


class LeaseLostError(Exception):
    """This worker no longer holds the delivery's lease: it must not call the platform again."""


class TaskLog(logging.LoggerAdapter):
    """Every line names the task and the delivery (never credentials)."""

    def process(self, msg: Any, kwargs: Any) -> tuple[Any, Any]:
        return f"[task {self.extra['task_id']} delivery {self.extra['delivery_id']}] {msg}", kwargs


@dataclasses.dataclass
class Job:
    """Everything the platform call needs, read before the call so that no
    database transaction stays open while the platform answers."""

    claim: Claim
    delivery_id: int
    message_id: int
    version_number: int
    account_id: int
    account_name: str
    kind: str
    purpose: str
    queue: str
    credentials: dict[str, Any]
    post: Post | None
    operation: str  # "publish" | "edit" | "replace" | "delete"
    reply_to: str | None = None
    target_id: str | None = None
    # A replacement's first publication, whose live post moves to the new one.
    root_id: int | None = None
    delete_ids: list[str] = dataclasses.field(default_factory=list)
    posted_parts: list[str] = dataclasses.field(default_factory=list)
    reconcile: bool = False
    reconcile_only: bool = False
    # Set once the platform has been asked whether the post is already there.
    reconciled: bool = False
    since: dt.datetime | None = None
    expected_parts: int = 1
    limits: list[Limit] = dataclasses.field(default_factory=list)
    # A lapsed lease's platform call may land until then: no new post before it.
    in_flight_until: dt.datetime | None = None
    # The verified images (digest, type, alt) to load from storage just before the call.
    images: list[dict[str, Any]] = dataclasses.field(default_factory=list)


@dataclasses.dataclass(frozen=True)
class Outcome:
    """What happened to one delivery in one task run.

    ``wake_in`` says when the delivery wants its next look (a retry or a
    deferral); the sweeper will look then anyway, a task may look sooner.
    """

    status: str
    delivery_id: int
    queue: str = "routine"
    wake_in: float | None = None
    detail: str | None = None


class Early(Exception):
    """Preparation decided the delivery's fate without a platform call."""

    def __init__(self, kind: str, reason: str, wake_in: float | None = None):
        super().__init__(reason)
        self.kind = kind
        self.reason = reason
        self.wake_in = wake_in


@dataclasses.dataclass
class CallResult:
    kind: str  # sent | transient | permanent | unknown | absent
    result: PublishResult | None = None
    error: Exception | None = None
    reconciled: bool = False


def merge_parts(parts: Sequence[str], more: Sequence[str]) -> list[str]:
    out = list(parts)
    for p in more:
        if p and p not in out:
            out.append(p)
    return out


#: An audit event still to be appended: its action and details.
Event = tuple[str, dict[str, Any]]
