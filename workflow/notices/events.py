"""Raising notices: who is told of what, in the transaction of the action itself.

Each event becomes one row per (recipient, channel) in the notices table (the
outbox), keyed by the event so that raising it again adds nothing. E-mail and
webhook rows are sent by workers woken after commit; live rows are ready at
once, for the recipient's open consoles to read.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Sequence

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from workflow.accounts import policy
from workflow.accounts.models import User
from workflow.accounts.policy import Action, contributors
from workflow.core.config import Settings
from workflow.core.database import utcnow
from workflow.core.runtime import dispatcher_of, settings_of
from workflow.core.unit_of_work import after_commit
from workflow.notices.duty import on_duty_ids, settings_of_many
from workflow.notices.models import (
    Notice,
    NoticeChannel,
    NoticeEvent,
    NoticeState,
    VerificationWatch,
    WatchState,
)

EXCERPT = 140
TEAM = "team"


@dataclasses.dataclass(frozen=True)
class Told:
    """What one event says: its subject line, its text and where it links to."""

    subject: str
    body: str
    link: str


def excerpt(text: str | None, limit: int = EXCERPT) -> str:
    """The text on one line, cut to ``limit`` characters."""
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


def console_link(settings: Settings, path: str) -> str:
    """An address in the console (CRIER_CONSOLE_URL) for ``path``."""
    return settings.console_url.rstrip("/") + path


def escalate_after(settings: Settings, kind: str) -> int:
    """Seconds a message of ``kind`` may wait for verification before it is escalated."""
    if str(kind) == "incident" and settings.verify_escalate_after_incident > 0:
        return settings.verify_escalate_after_incident
    return settings.verify_escalate_after


def _about(message) -> str:
    where = f" in the incident \u201c{message.incident.title}\u201d" if message.incident else ""
    return f"message {message.id}{where}"


def verifiers(session: Session, message) -> list[User]:
    """Everyone who could verify ``message``: active supervisors and admins who neither wrote nor edited it."""
    excluded = contributors(message)
    people = session.execute(select(User).where(User.active.is_(True)).order_by(User.id)).scalars()
    return [u for u in people if policy.may(u, Action.VERIFY) and u.id not in excluded]


def _insert(session: Session):
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(Notice)


def raise_event(session: Session, event: NoticeEvent, key: str, message_id: int | None,
                people: Iterable[User], told: Told, *, now: dt.datetime | None = None) -> list[int]:
    """Write the notices of one event for ``people`` (each on the channels they chose) and the team
    webhook; wake the workers after commit. Returns the new notices' ids (none if raised before)."""
    now = now or utcnow()
    settings = settings_of(session)
    people = {u.id: u for u in people}
    chosen = settings_of_many(session, people)
    rows = []
    # One line: a subject becomes a mail header, and a line break there would start another header.
    subject = " ".join(told.subject.split())[:300]
    base = {"event_key": key[:200], "event": event.value, "message_id": message_id, "subject": subject,
            "body": told.body, "link": told.link, "attempts": 0, "created_at": now, "updated_at": now}
    for user_id, person in sorted(people.items()):
        prefs = chosen[user_id]
        recipient = f"user:{user_id}"
        if prefs.live:
            rows.append({**base, "user_id": user_id, "recipient": recipient, "channel": NoticeChannel.LIVE.value,
                         "state": NoticeState.SENT.value, "sent_at": now})
        if prefs.email and person.email:
            state = NoticeState.PENDING if settings.smtp_url else NoticeState.KEPT
            rows.append({**base, "user_id": user_id, "recipient": recipient, "channel": NoticeChannel.EMAIL.value,
                         "address": person.email, "state": state.value})
    if settings.notify_webhook_url:
        rows.append({**base, "user_id": None, "recipient": TEAM, "channel": NoticeChannel.WEBHOOK.value,
                     "state": NoticeState.PENDING.value})
    if not rows:
        return []
    # Full column sets on every row, so that one multi-row INSERT takes them all.
    columns = {k for r in rows for k in r}
    rows = [{c: r.get(c) for c in columns} for r in rows]
    made = session.execute(_insert(session).values(rows)
                           .on_conflict_do_nothing(index_elements=["event_key", "recipient", "channel"])
                           .returning(Notice.id, Notice.state)).all()
    wake = [row.id for row in made if row.state == NoticeState.PENDING]
    if wake:
        wake_notices_after_commit(session, wake)
    return [row.id for row in made]


def wake_notices_after_commit(session: Session, notice_ids: Sequence[int]) -> None:
    """Send a task per notice once the transaction commits (the scheduler's pass finds any missed)."""
    send = getattr(dispatcher_of(session), "send_notices", None)
    if send is not None:
        ids = list(notice_ids)
        after_commit(session, lambda: send(ids))


# The events ------------------------------------------------------------------

def message_submitted(session: Session, message, *, by: User | None = None, what: str = "",
                      now: dt.datetime | None = None) -> VerificationWatch:
    """Tell the supervisors who could verify it (only those on duty, if any are) and start its escalation clock.

    ``by`` sent it (the author, or whoever edited or corrected it); ``what`` says what is new ("a correction of")."""
    now = now or utcnow()
    settings = settings_of(session)
    settle_watches(session, message.id, now=now)
    watch = VerificationWatch(message_id=message.id, submitted_at=now, state=WatchState.WAITING,
                              due_at=now + dt.timedelta(seconds=escalate_after(settings, message.kind)))
    session.add(watch)
    session.flush()
    eligible = verifiers(session, message)
    duty = on_duty_ids(session)
    first = [u for u in eligible if u.id in duty] or eligible
    sender = by or message.author
    author = sender.name if sender else "someone"
    text = excerpt(message.latest.body)
    told = Told(f"Verify {what}{_about(message)}: {excerpt(text, 60)}",
                f"{author} sent {what}{_about(message)} for verification.\n\n\u201c{text}\u201d\n\n"
                f"Verify it: {console_link(settings, f'/messages/{message.id}')}",
                console_link(settings, f"/messages/{message.id}"))
    raise_event(session, NoticeEvent.SUBMITTED, f"submitted:watch:{watch.id}", message.id, first, told, now=now)
    return watch


def settle_watches(session: Session, message_id: int, *, now: dt.datetime | None = None) -> int:
    """The message no longer waits (approved, rejected, withdrawn or submitted afresh): no escalation."""
    result = session.execute(update(VerificationWatch)
                             .where(VerificationWatch.message_id == message_id,
                                    VerificationWatch.state.in_([WatchState.WAITING, WatchState.ESCALATED]))
                             .values(state=WatchState.SETTLED, settled_at=now or utcnow())
                             .execution_options(synchronize_session=False))
    return result.rowcount or 0


def message_escalated(session: Session, message, watch: VerificationWatch, *,
                      now: dt.datetime | None = None) -> list[int]:
    """Tell every supervisor who could verify it that the message is overdue."""
    now = now or utcnow()
    settings = settings_of(session)
    minutes = max(1, round((now - watch.submitted_at).total_seconds() / 60))
    text = excerpt(message.latest.body)
    link = console_link(settings, f"/messages/{message.id}")
    told = Told(f"Overdue: {_about(message)} still waits for verification",
                f"{_about(message).capitalize()} has waited {minutes} minute{'s' if minutes != 1 else ''} "
                f"for verification.\n\n\u201c{text}\u201d\n\nVerify it: {link}", link)
    return raise_event(session, NoticeEvent.ESCALATED, f"escalated:watch:{watch.id}", message.id,
                       verifiers(session, message), told, now=now)


def message_rejected(session: Session, message, decision_id: int, reviewer: User, reason: str) -> list[int]:
    """Tell the author, with the reason."""
    settings = settings_of(session)
    link = console_link(settings, f"/messages/{message.id}")
    told = Told(f"Rejected: {_about(message)}",
                f"{reviewer.name} rejected {_about(message)}.\n\nReason: {reason}\n\n"
                f"\u201c{excerpt(message.latest.body)}\u201d\n\nChange it and send it again: {link}", link)
    return raise_event(session, NoticeEvent.REJECTED, f"rejected:decision:{decision_id}", message.id,
                       [message.author] if message.author else [], told)


def message_published(session: Session, message, status: str) -> list[int]:
    """Tell the author that the message is live (everywhere, or on some channels)."""
    settings = settings_of(session)
    link = console_link(settings, f"/messages/{message.id}/status")
    partly = str(status) == "partially_published"
    told = Told(f"{'Partly published' if partly else 'Published'}: {_about(message)}",
                f"{_about(message).capitalize()} is live{' on some channels only' if partly else ''}.\n\n"
                f"\u201c{excerpt(message.latest.body)}\u201d\n\nSee each channel: {link}", link)
    return raise_event(session, NoticeEvent.PUBLISHED,
                       f"published:message:{message.id}:v{message.current_version}", message.id,
                       [message.author] if message.author else [], told)


def delivery_trouble(session: Session, delivery, kind: NoticeEvent) -> list[int]:
    """A channel failed, or its outcome is unknown: tell the author and the supervisors on duty."""
    message = delivery.message
    settings = settings_of(session)
    link = console_link(settings, f"/messages/{message.id}/status")
    account = delivery.account.name if delivery.account else f"account {delivery.account_id}"
    what = "failed on" if kind == NoticeEvent.FAILED else "may or may not have gone out on"
    told = Told(f"{'Failed' if kind == NoticeEvent.FAILED else 'Outcome unknown'}: {_about(message)} on {account}",
                f"{_about(message).capitalize()} {what} {account}.\n\nReason: {delivery.last_error or 'not given'}\n\n"
                f"\u201c{excerpt(message.latest.body)}\u201d\n\nSee what to do: {link}", link)
    people = [message.author] if message.author else []
    duty = on_duty_ids(session)
    if duty:
        people += [u for u in session.execute(select(User).where(User.id.in_(duty))).scalars()
                   if policy.may(u, Action.VERIFY)]
    return raise_event(session, kind, f"{kind.value}:delivery:{delivery.id}", message.id, people, told)
