"""The message lifecycle as one explicit state machine.

Every status change goes through :func:`transition`; a change not listed in
``TRANSITIONS`` is a :class:`~workflow.errors.InvalidStateError`.
"""
from __future__ import annotations

import enum

from workflow.core.errors import InvalidStateError


class MessageState(enum.StrEnum):
    DRAFT = "draft"
    AWAITING_VERIFICATION = "awaiting_verification"
    REJECTED = "rejected"  # back with its author as a draft, with the reason
    APPROVED = "approved"  # verified, due now, deliveries pending
    SCHEDULED = "scheduled"  # verified, waiting for publish_at (or the next occurrence)
    HELD = "held"  # verified but late, or held past its time by a pause: needs a decision
    PUBLISHING = "publishing"
    PUBLISHED = "published"
    PARTIALLY_PUBLISHED = "partially_published"
    FAILED = "failed"
    WITHDRAWN = "withdrawn"


S = MessageState

#: Which states a message may move to from each state.
TRANSITIONS: dict[MessageState, frozenset[MessageState]] = {
    S.DRAFT: frozenset({S.DRAFT, S.AWAITING_VERIFICATION, S.WITHDRAWN}),
    S.REJECTED: frozenset({S.DRAFT, S.AWAITING_VERIFICATION, S.WITHDRAWN}),
    S.AWAITING_VERIFICATION: frozenset(
        {S.AWAITING_VERIFICATION, S.APPROVED, S.SCHEDULED, S.HELD, S.REJECTED, S.WITHDRAWN}
    ),
    S.APPROVED: frozenset({S.PUBLISHING, S.PUBLISHED, S.PARTIALLY_PUBLISHED, S.FAILED,
                           S.AWAITING_VERIFICATION, S.HELD, S.WITHDRAWN}),
    S.SCHEDULED: frozenset({S.APPROVED, S.PUBLISHING, S.PUBLISHED, S.PARTIALLY_PUBLISHED,
                            S.FAILED, S.HELD, S.AWAITING_VERIFICATION, S.WITHDRAWN}),
    S.HELD: frozenset({S.APPROVED, S.SCHEDULED, S.AWAITING_VERIFICATION, S.WITHDRAWN}),
    # HELD from a live state: the next occurrence of a series, or the rest of a
    # paused message, kept back long past its time while nothing else is on its way.
    S.PUBLISHING: frozenset({S.PUBLISHING, S.PUBLISHED, S.PARTIALLY_PUBLISHED, S.FAILED,
                             S.SCHEDULED, S.HELD, S.WITHDRAWN}),
    # A live message can be corrected (a new version, verified again) or withdrawn.
    S.PUBLISHED: frozenset({S.AWAITING_VERIFICATION, S.PUBLISHING, S.SCHEDULED, S.HELD, S.WITHDRAWN}),
    S.PARTIALLY_PUBLISHED: frozenset({S.AWAITING_VERIFICATION, S.PUBLISHING, S.PUBLISHED,
                                      S.SCHEDULED, S.HELD, S.WITHDRAWN}),
    S.FAILED: frozenset({S.AWAITING_VERIFICATION, S.PUBLISHING, S.PUBLISHED,
                         S.PARTIALLY_PUBLISHED, S.HELD, S.WITHDRAWN}),
    S.WITHDRAWN: frozenset(),
}


#: States in which the text may be changed by an ordinary edit (not a correction).
EDITABLE = frozenset({S.DRAFT, S.REJECTED, S.AWAITING_VERIFICATION, S.APPROVED, S.SCHEDULED, S.HELD})

#: States in which something has gone out, so a change is a correction.
LIVE = frozenset({S.PUBLISHED, S.PARTIALLY_PUBLISHED, S.FAILED, S.PUBLISHING})


def can_transition(current: MessageState, target: MessageState) -> bool:
    return target in TRANSITIONS[MessageState(current)]


def transition(current: MessageState | str, target: MessageState) -> MessageState:
    """Return ``target`` if the lifecycle allows ``current -> target``, else raise."""
    current = MessageState(current)
    if target not in TRANSITIONS[current]:
        raise InvalidStateError(
            f"a message that is {current.replace('_', ' ')} cannot become "
            f"{target.replace('_', ' ')}"
        )
    return target
