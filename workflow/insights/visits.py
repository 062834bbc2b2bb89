"""Visits per channel: each channel's link to the website page carries its account's short tag
(``?via=<tag>``), and the page counts visits per account, per update, per day.

Nothing about a visitor is kept or even read: no cookie is set, no address,
no user agent is stored. The user agent is looked at only to leave out the
platforms' link-preview crawlers (they fetch every link once when it is
posted). A count is page loads through that account's link, not people: a
reload counts again, as it would in any counter that keeps nothing.
"""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from channels.website.urls import tagged_url
from workflow.accounts.models import ChannelAccount, ChannelKind
from workflow.core.london import LONDON
from workflow.core.unit_of_work import transactional
from workflow.insights.models import PageVisit
from workflow.messages.models import Message

#: The query parameter of the tag.
PARAMETER = "via"
_TAG = re.compile(r"^[0-9a-z]{1,8}$")
#: User agents of link-preview crawlers and bots: their fetches are not visits.
CRAWLERS = (
    "facebookexternalhit",
    "facebookcatalog",
    "meta-externalagent",
    "twitterbot",
    "slackbot",
    "whatsapp",
    "telegrambot",
    "discordbot",
    "linkedinbot",
    "skypeuripreview",
    "googlebot",
    "bingbot",
    "applebot",
    "bot/",
    "bot;",
    "crawler",
    "spider",
)


def tag_of(account_id: int) -> str:
    """The short tag of an account: its id in base 36."""
    number, digits = int(account_id), ""
    while True:
        number, rest = divmod(number, 36)
        digits = "0123456789abcdefghijklmnopqrstuvwxyz"[rest] + digits
        if number == 0:
            return digits


def account_of(tag: str | None) -> int | None:
    """The account id a tag names, or None for a malformed one."""
    tag = str(tag or "").strip().lower()
    if not _TAG.match(tag):
        return None
    return int(tag, 36)


def carries_tag(account: ChannelAccount) -> bool:
    """Every channel but the website itself carries its tag on the link."""
    return str(account.kind) != ChannelKind.WEBSITE


def account_link(link: str | None, account: ChannelAccount) -> str | None:
    """``link`` as ``account``'s channel carries it: with its tag."""
    if not link or not carries_tag(account):
        return link
    return tagged_url(link, PARAMETER, tag_of(account.id))


def is_crawler(user_agent: str | None) -> bool:
    """Whether a request comes from a link-preview crawler or a bot rather than a person."""
    agent = str(user_agent or "").lower()
    return any(marker in agent for marker in CRAWLERS)


@transactional
def count_visit(
    session: Session, slug: str, tag: str | None, user_agent: str | None, *, now: dt.datetime | None = None
) -> bool:
    """Count one visit to the update ``slug`` through the link tagged ``tag``; False if not counted.

    Not counted: a crawler, a malformed tag, a tag of no account that carries tags,
    an update that does not exist.
    """
    account_id = account_of(tag)
    if account_id is None or is_crawler(user_agent):
        return False
    account = session.get(ChannelAccount, account_id)
    message_id = session.execute(select(Message.id).where(Message.slug == slug)).scalar_one_or_none()
    if account is None or not carries_tag(account) or message_id is None:
        return False
    day = (now or dt.datetime.now(dt.timezone.utc)).astimezone(LONDON).date()
    source = tag_of(account_id)
    dialect = session.get_bind().dialect.name
    if dialect in ("postgresql", "sqlite"):
        insert = (pg_insert if dialect == "postgresql" else sqlite_insert)(PageVisit)
        session.execute(
            insert.values(
                message_id=message_id, account_id=account_id, source=source, day=day, visits=1
            ).on_conflict_do_update(
                index_elements=["message_id", "source", "day"], set_={"visits": PageVisit.visits + 1}
            )
        )
        return True
    changed = session.execute(
        update(PageVisit)
        .where(PageVisit.message_id == message_id, PageVisit.source == source, PageVisit.day == day)
        .values(visits=PageVisit.visits + 1)
    ).rowcount
    if not changed:
        session.add(PageVisit(message_id=message_id, account_id=account_id, source=source, day=day, visits=1))
    return True
