"""What counts as on the website: the website accounts, the versions delivered to them,
what was withdrawn, and the text each shows. The pages, feeds and CAP alerts all read these."""
from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from workflow.accounts.models import ChannelAccount, ChannelKind
from workflow.delivery.models import Delivery, DeliveryPurpose, DeliveryState
from workflow.messages.models import MessageVersion
from workflow.messages.states import MessageState
from workflow.website.shapes import IncidentRef, PublicImage, public_text

SENT = DeliveryState.SENT
SHOWN = (DeliveryPurpose.PUBLISH, DeliveryPurpose.CORRECT)
WITHDRAW = DeliveryPurpose.WITHDRAW
STATUS_WITHDRAWN = MessageState.WITHDRAWN
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


def website_accounts():
    return select(ChannelAccount.id).where(ChannelAccount.kind == ChannelKind.WEBSITE)


def sent_time(delivery) -> Any:
    # sent_at is what the engine records; updated_at stands in should it ever be missing.
    return func.coalesce(delivery.sent_at, delivery.updated_at)


def website_versions(messages: Any = None):
    """Per (message, version) on the website: when it first went live and through which account.

    ``messages`` (a list of ids or a SELECT of ids) narrows it, so that a
    timeline or one alert does not aggregate the whole website.
    """
    D = aliased(Delivery)
    MV = aliased(MessageVersion)
    where = []
    if messages is not None:
        where.append(D.message_id.in_(list(messages) if isinstance(messages, (list, tuple)) else messages))
    return (
        select(
            D.message_id.label("message_id"),
            D.version_id.label("version_id"),
            MV.number.label("number"),
            func.min(sent_time(D)).label("at"),
            func.min(D.account_id).label("account_id"),
        )
        .join(MV, MV.id == D.version_id)
        .where(D.state == SENT, D.purpose.in_(SHOWN), D.account_id.in_(website_accounts()), *where)
        .group_by(D.message_id, D.version_id, MV.number)
    )


def withdrawn_on_website():
    """The ids of messages whose withdrawal has been sent to a website account."""
    D = aliased(Delivery)
    return select(D.message_id).where(D.purpose == WITHDRAW, D.state == SENT,
                                      D.account_id.in_(website_accounts()))


def text_for(body: str, variants: dict | None, account_id: int | None) -> str:
    # The website account's own wording when the version has one, as its delivery carried.
    if variants and account_id is not None:
        body = variants.get(str(account_id), body)
    return public_text(body)


def incident_ref(row: Any) -> IncidentRef | None:
    if row.incident_id is None:
        return None
    return IncidentRef(id=row.incident_id, slug=row.incident_slug, title=public_text(row.incident_title),
                       area=public_text(row.incident_area) or None, status=row.incident_status or "open",
                       exercise=bool(getattr(row, "incident_exercise", False)))


def images_of(content: str | None) -> tuple[PublicImage, ...]:
    """The images a version's hashed content records, as the website shows them."""
    if not content:
        return ()
    images = json.loads(content).get("images") or []
    return tuple(PublicImage(number=n, alt=public_text(i["alt"]), sha256=i["sha256"], sha1=i.get("sha1", ""),
                             content_type=i["content_type"],
                             width=int(i.get("width") or 0), height=int(i.get("height") or 0),
                             bytes=int(i.get("bytes") or 0)) for n, i in enumerate(images, 1))
