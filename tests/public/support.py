"""Helpers for the public website tests: publish, correct and withdraw messages
through the real services, and mark deliveries sent the way the delivery engine does."""
from __future__ import annotations

import datetime as dt
import threading
from typing import Any, Iterable

from flask import Flask, request
from lxml import etree
from sqlalchemy import select

from tests.conftest import conformance_file
from workflow.delivery.models import Delivery, DeliveryState
from workflow.messages import corrections, drafts, queries, review
from workflow.messages.models import Message

UTC = dt.timezone.utc


def at(text: str) -> dt.datetime:
    """A UTC instant from ISO text."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


def mark_sent(session, message_id: int, when: dt.datetime, purposes: Iterable[str] = ("publish", "correct")) -> list[Delivery]:
    """Record every waiting delivery of the message as sent at ``when``, as the engine does."""
    message = session.get(Message, message_id, populate_existing=True)
    rows = session.execute(
        select(Delivery).where(Delivery.message_id == message_id,
                               Delivery.state == DeliveryState.PENDING,
                               Delivery.purpose.in_(list(purposes)))
        .execution_options(populate_existing=True)).scalars().all()
    for d in rows:
        d.state = DeliveryState.SENT
        d.sent_at = when
        d.attempts += 1
        if d.account.kind == "website":
            d.remote_id = message.slug
            d.url = f"https://police.example/news/{message.slug}"
        else:
            d.remote_id = f"{d.account.kind}-{d.id}"
            d.url = f"https://{d.account.kind}.example/{d.id}"
    if rows and message.status != "withdrawn":
        message.status = "published"
        message.published_at = message.published_at or when
    session.commit()
    return rows


def publish(session, author, reviewer, accounts: list[int], when: dt.datetime, body: str,
            **fields: Any) -> Message:
    """Draft, submit, approve and deliver a message at ``when``."""
    message = drafts.create_draft(session, author, {"body": body, "accounts": accounts, **fields})
    review.submit(session, author, message.id)
    review.approve(session, reviewer, message.id, message.current_version, now=when)
    mark_sent(session, message.id, when)
    session.refresh(message)
    return message


def correct(session, author, reviewer, message: Message, when: dt.datetime, body: str, note: str) -> Message:
    """Correct a live message, have it verified and delivered at ``when``."""
    corrections.correct(session, author, message.id, body, note)
    fresh = queries.get_message(session, message.id)
    review.approve(session, reviewer, message.id, fresh.current_version, now=when)
    mark_sent(session, message.id, when)
    session.refresh(message)
    return message


def withdraw(session, actor, message: Message, when: dt.datetime, *, deliver: bool = True) -> Message:
    """Withdraw a message; with ``deliver`` its withdrawals are recorded as sent too."""
    corrections.withdraw(session, actor, message.id, "Named a witness by mistake", now=when)
    if deliver:
        mark_sent(session, message.id, when, purposes=("withdraw",))
    session.refresh(message)
    return message


def cap_schema() -> etree.XMLSchema:
    """The OASIS CAP 1.2 schema, read where the shared conformance data lies."""
    return etree.XMLSchema(etree.parse(str(conformance_file("cap12.xsd"))))


class Receiver:
    """A CMS webhook endpoint: records each request and answers as told."""

    def __init__(self):
        self.requests: list[dict[str, Any]] = []
        self.answers: list[Any] = []
        self.release = threading.Event()
        self.app = Flask("cms")
        self.app.add_url_rule("/hook", "hook", self.hook, methods=["POST"])

    def hook(self):
        self.requests.append({"headers": dict(request.headers), "body": request.get_data()})
        answer = self.answers.pop(0) if self.answers else (200, {}, "ok")
        if answer == "hang":
            self.release.wait(30)
            return "too late", 200
        status, headers, body = answer
        return body, status, headers
