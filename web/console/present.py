"""How the console shows things: London times, state labels, previews, word diffs."""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.accounts.models import ChannelAccount
from workflow.core.london import label as london_label
from workflow.delivery.models import Delivery
from workflow.delivery.rollup import Tally
from workflow.messages import previews
from workflow.messages.models import Message, MessageVersion
from workflow.messages.previews import PostPreview
from workflow.scheduling import pause as pause_service
from workflow.scheduling.models import Pause
from workflow.website.urls import message_link, placeholder_link

STATE_LABELS = {
    "draft": "Draft",
    "awaiting_verification": "Awaiting verification",
    "rejected": "Rejected: back with its author",
    "approved": "Approved: going out now",
    "scheduled": "Approved and scheduled",
    "held": "Held: needs a decision",
    "publishing": "Publishing",
    "published": "Published",
    "partially_published": "Partially published",
    "failed": "Failed",
    "withdrawn": "Withdrawn",
}

DELIVERY_LABELS = {
    "pending": "Waiting to send",
    "sending": "Sending",
    "retrying": "Retrying",
    "unknown": "Checking with the platform",
    "sent": "Published",
    "failed": "Failed",
    "held": "Held",
    "cancelled": "Cancelled",
}

KIND_LABELS = {"x": "X", "facebook": "Facebook", "website": "Website"}


def state_label(state: Any) -> str:
    value = str(getattr(state, "value", state))
    return STATE_LABELS.get(value, value.replace("_", " ").capitalize())


def delivery_label(state: Any) -> str:
    value = str(getattr(state, "value", state))
    return DELIVERY_LABELS.get(value, value)


def kind_label(kind: Any) -> str:
    value = str(getattr(kind, "value", kind))
    return KIND_LABELS.get(value, value)


def duration(seconds: int) -> str:
    """A length of time in the desk's words: "24 hours", "90 minutes", "2 days"."""
    if seconds % 86400 == 0 and seconds >= 2 * 86400:
        return f"{seconds // 86400} days"
    if seconds % 3600 == 0:
        return "1 hour" if seconds == 3600 else f"{seconds // 3600} hours"
    if seconds % 60 == 0:
        return "1 minute" if seconds == 60 else f"{seconds // 60} minutes"
    return f"{seconds} seconds"


def excerpt(text: str | None, limit: int = 120) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


# Accounts ----------------------------------------------------------------------

@dataclass
class AccountGroup:
    label: str
    area: str | None
    accounts: list[ChannelAccount] = field(default_factory=list)


def group_accounts(accounts: Iterable[ChannelAccount]) -> list[AccountGroup]:
    """Force-wide accounts first, then one group per area, in name order."""
    groups: dict[str | None, AccountGroup] = {}
    for account in accounts:
        group = groups.setdefault(account.area, AccountGroup(
            "Force-wide" if account.area is None else account.area, account.area))
        group.accounts.append(account)
    ordered = sorted(groups.values(), key=lambda g: (g.area is not None, g.area or ""))
    for group in ordered:
        group.accounts.sort(key=lambda a: (str(a.kind), a.name))
    return ordered


# Previews ---------------------------------------------------------------------

@dataclass
class AccountPreview:
    account: ChannelAccount
    text: str
    is_variant: bool
    posts: list[PostPreview]
    problems: list[dict]
    link: str | None

    @property
    def kind(self) -> str:
        return str(self.account.kind)

    @property
    def errors(self) -> list[dict]:
        return [p for p in self.problems if p.get("level") == "error"]


def account_preview(account: ChannelAccount, text: str, link: str | None,
                    is_variant: bool = False, stored: Sequence[str] | None = None) -> AccountPreview:
    """The exact posts ``account`` would carry for ``text``, and its problems.

    ``stored`` are a saved version's posts as rendered when it was made: the
    verifier sees exactly those, never a fresh rendering.
    """
    problems = [p.as_dict() for p in previews.channel_problems(account, text, link)]
    return AccountPreview(account, text, is_variant, previews.preview_posts(account, text, link, stored),
                          problems, link)


def previews_for(accounts: Sequence[ChannelAccount], body: str, variants: dict[str, str],
                 link: str | None, stored: dict[str, list[str]] | None = None) -> list[AccountPreview]:
    """Each account's preview; with ``stored`` (a saved version's posts), exactly those posts."""
    out = []
    for account in accounts:
        variant = (variants or {}).get(str(account.id))
        out.append(account_preview(account, variant or body, link, is_variant=bool(variant),
                                   stored=None if stored is None else stored.get(str(account.id), [])))
    return out


def preview_link(session: Session, message: Message | None, accounts: Sequence[ChannelAccount]) -> str | None:
    """The website link other channels would carry (a placeholder slug before the first save)."""
    if not any(str(a.kind) == "website" for a in accounts):
        return None
    if message is not None:
        return message_link(session, message)
    return placeholder_link(session)


# Word diff ---------------------------------------------------------------------

_TOKENS = re.compile(r"\s+|[^\s]+")


def word_diff(old: str, new: str) -> Markup:
    """``new`` against ``old``, word by word, with <del> and <ins> that screen readers announce."""
    a = _TOKENS.findall(old or "")
    b = _TOKENS.findall(new or "")
    out: list[str] = []
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            out.append(str(escape("".join(b[j1:j2]))))
            continue
        if op in ("delete", "replace"):
            out.append('<del><span class="visually-hidden">[removed: </span>'
                       f'{escape("".join(a[i1:i2]))}<span class="visually-hidden">]</span></del>')
        if op in ("insert", "replace"):
            out.append('<ins><span class="visually-hidden">[added: </span>'
                       f'{escape("".join(b[j1:j2]))}<span class="visually-hidden">]</span></ins>')
    return Markup("".join(out))


def version_changes(session: Session, old: MessageVersion | None, new: MessageVersion) -> list[str]:
    """Plain sentences for what changed besides the text: targets, variants, time, recurrence."""
    if old is None:
        return []
    changes = []
    ids = set(old.targets) | set(new.targets)
    names = {a.id: a.name for a in session.execute(
        select(ChannelAccount).where(ChannelAccount.id.in_(ids))).scalars()} if ids else {}
    added = [names.get(i, str(i)) for i in new.targets if i not in old.targets]
    removed = [names.get(i, str(i)) for i in old.targets if i not in new.targets]
    if added:
        changes.append("Accounts added: " + ", ".join(added))
    if removed:
        changes.append("Accounts removed: " + ", ".join(removed))
    for key in sorted(set(old.variants or {}) | set(new.variants or {})):
        before, after = (old.variants or {}).get(key), (new.variants or {}).get(key)
        if before != after:
            name = names.get(int(key), key)
            if before is None:
                changes.append(f"Own wording added for {name}")
            elif after is None:
                changes.append(f"Own wording removed for {name}")
            else:
                changes.append(f"Own wording changed for {name}")
    if old.publish_at != new.publish_at:
        changes.append(f"Publish time: {london_label(old.publish_at) or 'now'} \u2192 {london_label(new.publish_at) or 'now'}")
    if (old.recurrence or None) != (new.recurrence or None):
        changes.append(f"Repeat: {old.recurrence or 'none'} \u2192 {new.recurrence or 'none'}")
    return changes


# Deliveries and pauses ------------------------------------------------------------

def current_deliveries(deliveries: Sequence[Delivery]) -> list[Delivery]:
    """The newest delivery per (account, purpose): what each channel shows now."""
    latest: dict[tuple[int, str], Delivery] = {}
    for d in deliveries:
        key = (d.account_id, str(d.purpose))
        if key not in latest or d.id > latest[key].id:
            latest[key] = d
    return sorted(latest.values(), key=lambda d: d.id)


def outcome(message: Message, deliveries: Sequence[Delivery]) -> str:
    """published / partially_published / failed / held / in_progress / none, from the channels themselves."""
    return Tally.of(d.state for d in deliveries).outcome


DELIVERY_ADVICE = {
    "failed": "Nothing more will be tried for this channel. Fix the cause below, then send a correction "
              "to publish it again, or post by hand and record it.",
    "retrying": "Crier will try again by itself; nothing to do yet.",
    "unknown": "The platform may have posted it. Crier checks the account before any resend: do not post by hand.",
    "held": "Waiting for a decision: publish now, choose a new time, or withdraw.",
}


def delivery_advice(d: Delivery) -> str:
    state = str(d.state)
    if state == "failed" and d.account is not None and d.account.status == "reconnect":
        return ("The account's connection was refused. An administrator must reconnect "
                f"{d.account.name}; then send a correction to publish it there.")
    if state == "retrying" and d.next_attempt_at is not None:
        return f"Crier will try again at {london_label(d.next_attempt_at, '%H:%M:%S')}; nothing to do yet."
    return DELIVERY_ADVICE.get(state, "")


def active_pauses(session: Session) -> list[Pause]:
    """Pauses in force, newest first."""
    return sorted(pause_service.active_pauses(session), key=lambda p: p.created_at, reverse=True)


def pause_scope(pause: Pause, account_names: dict[int, str]) -> str:
    parts = []
    if pause.account_ids:
        parts.append("accounts " + ", ".join(account_names.get(i, str(i)) for i in pause.account_ids))
    if pause.areas:
        parts.append("areas " + ", ".join(pause.areas))
    return "; ".join(parts) if parts else "every account"


def highlight(text: str, findings: Sequence[dict]) -> Markup:
    """``text`` with each finding's span marked (``<mark>``), linked to its entry by id; overlaps join the first."""
    spans = sorted((f["start"], f["end"], f["id"]) for f in findings
                   if isinstance(f.get("start"), int) and isinstance(f.get("end"), int)
                   and 0 <= f["start"] < f["end"] <= len(text))
    out: list[str] = []
    at = 0
    for start, end, finding_id in spans:
        if start < at:
            continue
        out.append(str(escape(text[at:start])))
        out.append(f'<mark aria-describedby="finding-{escape(finding_id)}">{escape(text[start:end])}</mark>')
        at = end
    out.append(str(escape(text[at:])))
    return Markup("".join(out))
