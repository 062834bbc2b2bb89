"""A desk's past, written with the real services and the real delivery engine (the platform is a
stand-in that answers as told), then set at known instants so that figures can be checked exactly.

Only times are rewritten: the submission's audit event, the decision, each delivery's due and
sent times and the outcome's audit event. (Rewriting an audit event's time breaks its hash: these
histories are for figures, not for the chain's checks.)
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select, update

from channels.base import Channel, PermanentError, PublishResult
from workflow.audit.models import AuditEvent
from workflow.delivery import send
from workflow.delivery.models import Delivery
from workflow.messages import drafts, review
from workflow.messages.models import Decision, Message

UTC = dt.timezone.utc


def at(text: str) -> dt.datetime:
    """A UTC instant from ISO text."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


class Answering(Channel):
    """A platform that publishes, or refuses with a permanent error when ``refuse`` is set."""

    kind = "answering"

    def __init__(self, refuse: bool = False):
        self.refuse = refuse

    @classmethod
    def check(cls, text, link=None):
        return []

    @classmethod
    def render(cls, text, link=None):
        return [text]

    @classmethod
    def part_problems(cls, part):
        return []

    def publish(self, post, *, reply_to=None, posted_parts=(), on_part=None):
        if self.refuse:
            raise PermanentError("the platform refused the post")
        return PublishResult("remote-1", "https://platform.example/remote-1")

    def edit(self, remote_id, post):
        return PublishResult(remote_id)

    def delete(self, remote_id):
        return None

    def find_recent(self, post, *, since=None):
        return None


class DeskHistory:
    """Writes messages that were submitted, approved and sent or refused at given instants."""

    def __init__(self, runtime, session, author, reviewer):
        self.runtime, self.session, self.author, self.reviewer = runtime, session, author, reviewer

    def approved(self, accounts: list[int], submitted: dt.datetime, approved: dt.datetime,
                 live: dict[int, dt.datetime] | None = None, failed: dict[int, dt.datetime] | None = None,
                 body: str = "The High Street is closed while officers deal with a collision.",
                 **fields: Any) -> int:
        """A message submitted at ``submitted`` and approved at ``approved``; each account of
        ``live`` confirmed its post at the given instant, each of ``failed`` refused it then."""
        s = self.session
        message = drafts.create_draft(s, self.author, {"body": body, "accounts": accounts, **fields})
        review.submit(s, self.author, message.id)
        review.approve(s, self.reviewer, message.id, message.current_version, now=approved)
        message_id = message.id
        s.execute(update(Message).where(Message.id == message_id).values(created_at=submitted))
        s.execute(update(AuditEvent).where(AuditEvent.message_id == message_id,
                                           AuditEvent.action == "message.submitted").values(created_at=submitted))
        s.execute(update(Decision).where(Decision.message_id == message_id).values(created_at=approved))
        s.commit()
        for outcomes, refuse in ((live or {}, False), (failed or {}, True)):
            for account_id, when in outcomes.items():
                self._deliver(message_id, account_id, when, refuse)
        return message_id

    def _deliver(self, message_id: int, account_id: int, when: dt.datetime, refuse: bool) -> None:
        s = self.session
        delivery_id = s.execute(select(Delivery.id).where(Delivery.message_id == message_id,
                                                          Delivery.account_id == account_id)).scalar_one()
        s.commit()  # the engine writes from its own sessions
        outcome = send.deliver(self.runtime, delivery_id, owner="desk-history/1",
                               channel_factory=lambda *a, **k: Answering(refuse), task_id="history")
        assert outcome.status == ("failed" if refuse else "sent"), outcome
        newest = s.execute(select(AuditEvent.id).where(AuditEvent.action.like("delivery.%"))
                           .order_by(AuditEvent.id.desc()).limit(1)).scalar_one()
        s.execute(update(AuditEvent).where(AuditEvent.id == newest).values(created_at=when))
        if not refuse:
            s.execute(update(Delivery).where(Delivery.id == delivery_id).values(sent_at=when))
        s.commit()
