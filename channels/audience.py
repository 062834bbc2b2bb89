"""What the adapters read back from the platforms: audience size, followers' locations, post figures.

Only what Crier counts crosses this interface: a follower page carries the
free-text profile locations alone, never an id or a handle, and the caller
keeps nothing of them but counts per place.
"""

from __future__ import annotations

import abc
import dataclasses
from typing import ClassVar, Sequence

from .base import PermanentError, TransientError


@dataclasses.dataclass(frozen=True)
class Audience:
    """An account's follower count and, where the platform counts them itself, followers per place.

    ``places`` maps the platform's own place names ("Stoke-on-Trent, England,
    United Kingdom") to follower counts; None when the platform gives none,
    and ``note`` then says why.
    """

    followers: int
    places: dict[str, int] | None = None
    note: str | None = None


@dataclasses.dataclass(frozen=True)
class FollowerPage:
    """One page of followers reduced to their profile locations ("" where none is set).

    ``remaining`` and ``reset_at`` (Unix time) are the platform's rate-limit
    window for this call, when it says.
    """

    locations: tuple[str, ...]
    next_token: str | None
    remaining: int | None = None
    reset_at: float | None = None


@dataclasses.dataclass(frozen=True)
class PostFigures:
    """A live post's public figures, mapped to Crier's four: reactions, shares, replies, impressions.

    ``impressions`` is None where the platform gives none.
    """

    remote_id: str
    reactions: int
    shares: int
    replies: int
    impressions: int | None = None


class RateLimitedError(TransientError):
    """The platform's window for this read is used up; ``retry_after`` runs to its reset."""


class PaginationExpiredError(PermanentError):
    """The platform no longer accepts the page token a scan stopped at: the scan starts again."""


class AudienceReader(abc.ABC):
    """The reads an adapter offers for audience insight."""

    #: Whether the platform lists followers with their profile locations.
    lists_followers: ClassVar[bool] = False
    #: How many post ids one figures call takes.
    figures_batch: ClassVar[int] = 1

    @abc.abstractmethod
    def audience(self) -> Audience:
        """The account's follower count (and the platform's own follower places, where it gives them)."""

    def follower_locations(self, pagination_token: str | None = None) -> FollowerPage:
        """One page of the followers' profile locations, from ``pagination_token`` (None: the first)."""
        raise PermanentError("This platform does not list an account's followers.")

    @abc.abstractmethod
    def post_figures(self, remote_ids: Sequence[str]) -> dict[str, PostFigures]:
        """The figures of the live posts among ``remote_ids`` (``figures_batch`` at most)."""


def whole(value: object) -> int:
    """A platform's count as a non-negative whole number (0 where it is missing or malformed)."""
    try:
        number = int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0
    return max(0, number)
