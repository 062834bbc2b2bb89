"""Audience insight's response bodies: counts per account, place and post, never a follower."""

from __future__ import annotations

from pydantic import BaseModel

from workflow.accounts.models import ChannelKind
from workflow.insights import reports
from workflow.insights.models import AudienceCollection

from .types import Timestamp, documented


class AccountReach(BaseModel):
    """An account's latest complete collection (followers and local share); nulls before the first."""

    account: int = documented("The channel account's id")
    name: str
    kind: ChannelKind
    area: str | None = documented("The account's area; null for a force-wide account")
    followers: int | None = documented("Followers, as the platform counts them")
    local_followers: int | None = documented(
        "Followers whose location is a place of the account's area (force-wide: of any area)"
    )
    local_share: float | None = documented("local_followers / followers_read, 0 to 1", minimum=0, maximum=1)
    followers_read: int | None = documented(
        "Followers whose location was read (X: every follower scanned; Facebook: those Meta placed in a city)"
    )
    collected_at: Timestamp | None = documented("When the collection finished")

    @classmethod
    def fields_of(cls, item: reports.Reach) -> dict:
        account = item.account
        return dict(
            account=account.id,
            name=account.name,
            kind=account.kind,
            area=account.area,
            followers=item.followers,
            local_followers=item.local_followers,
            local_share=None if item.local_share is None else round(item.local_share, 4),
            followers_read=item.followers_read,
            collected_at=item.collected_at,
        )

    @classmethod
    def of(cls, item: reports.Reach) -> AccountReach:
        return cls(**cls.fields_of(item))


class AccountReachList(BaseModel):
    accounts: list[AccountReach]


class PlaceFigure(BaseModel):
    place: str = documented("A gazetteer place or postcode district")
    area: str = documented("Its area (* for the force as a whole)")
    followers: int = documented(minimum=0)


class CollectionFigures(BaseModel):
    """One complete collection."""

    collected_at: Timestamp | None
    followers: int | None
    followers_read: int
    local_followers: int | None
    local_share: float | None

    @classmethod
    def of(cls, row: AudienceCollection) -> CollectionFigures:
        share = row.local_share
        return cls(
            collected_at=row.finished_at,
            followers=row.followers,
            followers_read=row.followers_read or 0,
            local_followers=row.local_followers,
            local_share=None if share is None else round(share, 4),
        )


class CollectionProgress(BaseModel):
    """A collection under way (an X scan resumes where it stopped when the rate-limit window resets)."""

    started_at: Timestamp
    pages: int
    followers_read: int
    resume_at: Timestamp | None
    note: str | None


class AccountInsight(AccountReach):
    """One account: its latest figures with counts per place, its history, and a collection under way."""

    places: list[PlaceFigure] = documented("Followers per place in the latest collection, most first")
    history: list[CollectionFigures] = documented("Every complete collection kept, oldest first")
    collecting: CollectionProgress | None
    note: str | None = documented("What the platform did not give (e.g. Meta's follower cities)")

    @classmethod
    def build(
        cls, reach: reports.Reach, history: list[AudienceCollection], running: AudienceCollection | None
    ) -> AccountInsight:
        latest = history[-1] if history else None
        places = sorted(latest.places, key=lambda p: (-p.followers, p.place)) if latest else []
        progress = (
            None
            if running is None
            else CollectionProgress(
                started_at=running.started_at,
                pages=running.pages or 0,
                followers_read=running.followers_read or 0,
                resume_at=running.resume_at,
                note=running.note,
            )
        )
        return cls(
            **AccountReach.fields_of(reach),
            places=[PlaceFigure(place=p.place, area=p.area, followers=p.followers) for p in places],
            history=[CollectionFigures.of(row) for row in history],
            collecting=progress,
            note=reach.note,
        )


class Engagement(BaseModel):
    """What one account's posts of a message drew. X likes / Facebook reactions; X reposts + quotes /
    Facebook shares; X replies / Facebook comments; impressions null where the platform gives none."""

    account: int
    name: str
    kind: ChannelKind
    reactions: int | None = documented("X likes; Facebook reactions (null before the first reading)")
    shares: int | None = documented("X reposts + quotes; Facebook shares")
    replies: int | None = documented("X replies; Facebook comments")
    impressions: int | None = documented("X impressions; null on Facebook, which gives none")
    visits: int = documented("Visits to the website page through this account's link", minimum=0)
    collected_at: Timestamp | None

    @classmethod
    def of(cls, item: reports.Figures) -> Engagement:
        return cls(
            account=item.account.id,
            name=item.account.name,
            kind=item.account.kind,
            reactions=item.reactions,
            shares=item.shares,
            replies=item.replies,
            impressions=item.impressions,
            visits=item.visits,
            collected_at=item.collected_at,
        )


class EngagementList(BaseModel):
    message: int
    accounts: list[Engagement] = documented("Per X or Facebook account that carried the message")


INSIGHT_RESPONSES: tuple[type[BaseModel], ...] = (
    AccountReach,
    AccountReachList,
    PlaceFigure,
    CollectionFigures,
    CollectionProgress,
    AccountInsight,
    Engagement,
    EngagementList,
)
