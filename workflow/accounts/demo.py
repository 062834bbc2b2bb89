"""Demo data for ``crier run``: people to sign in as and channel accounts on
the local simulators, so a newcomer sees the whole loop in a minute.

Running it again is safe: people get fresh passwords (printed once), and the
accounts get the credentials of the simulators now running.
"""
from __future__ import annotations

import dataclasses
import secrets
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.accounts import channel_accounts, users
from workflow.accounts.models import ChannelAccount, User
from workflow.audit import chain as audit
from workflow.core.runtime import vault_of
from workflow.core.security import hash_password
from workflow.core.unit_of_work import transactional

#: (username, role, display name); each gets an e-mail address at DEMO_MAIL_DOMAIN for notices.
DEMO_PEOPLE = (
    ("officer", "officer", "Olivia Okafor"),
    ("supervisor", "supervisor", "Sam Patel"),
    ("admin", "admin", "Ada Lovelace"),
)

#: A reserved domain: with no mail server set, the demo's mails stay in the console's Outbox.
DEMO_MAIL_DOMAIN = "crier-demo.example"


#: (account name, area or None for force-wide, X username)
DEMO_X = (
    ("Force X", None, "crierpolice"),
    ("North neighbourhood X", "North", "crier_north"),
    ("South neighbourhood X", "South", "crier_south"),
    ("City Centre neighbourhood X", "City Centre", "crier_centre"),
)


#: (account name, area or None)
DEMO_FACEBOOK = (
    ("Force Facebook", None),
    ("North neighbourhood Facebook", "North"),
    ("South neighbourhood Facebook", "South"),
)


DEMO_WEBSITE = ("Force website", None)

#: Demo audiences: followers per account name (a fixed seed each), so the insights page has figures.
#: South's Page stays under the 100 followers Meta needs before it gives follower cities.
DEMO_FOLLOWERS = {
    "Force X": 6000, "North neighbourhood X": 1800, "South neighbourhood X": 1400,
    "City Centre neighbourhood X": 2200, "Force Facebook": 5000, "North neighbourhood Facebook": 900,
    "South neighbourhood Facebook": 60,
}


class XSimulatorLike(Protocol):
    def add_account(self, username: str, **kw: Any) -> dict[str, str]: ...


class GraphSimulatorLike(Protocol):
    def add_page(self, name: str, **kw: Any) -> dict[str, str]: ...


@dataclasses.dataclass(frozen=True)
class DemoAccount:
    kind: str
    name: str
    area: str | None
    credentials: dict[str, str]


def simulator_accounts(x_sim: XSimulatorLike, graph_sim: GraphSimulatorLike) -> list[DemoAccount]:
    """Register the demo accounts on the simulators; returns them with their credentials."""
    out = [DemoAccount("x", name, area, x_sim.add_account(handle)) for name, area, handle in DEMO_X]
    out += [DemoAccount("facebook", name, area, graph_sim.add_page(name)) for name, area in DEMO_FACEBOOK]
    out.append(DemoAccount("website", DEMO_WEBSITE[0], DEMO_WEBSITE[1], {}))
    return out


def populate_audiences(x_sim: Any, graph_sim: Any, accounts: list[DemoAccount]) -> None:
    """Give each demo account a follower population on its simulator (neighbourhoods lean local)."""
    for seed, item in enumerate(accounts, 1):
        count = DEMO_FOLLOWERS.get(item.name, 0)
        mix = None
        if item.area:
            mix = {item.area: 0.35, "*": 0.1, "far": 0.2, "trap": 0.1, "junk": 0.15,
                   **{a: 0.05 for a in ("North", "South", "City Centre") if a != item.area}}
        if item.kind == "x":
            x_sim.audience.populate(item.credentials["user_id"], count, seed, mix)
        elif item.kind == "facebook":
            graph_sim.audience.populate(item.credentials["page_id"], count, seed)


@transactional
def ensure_people(session: Session) -> list[tuple[str, str, str]]:
    """Create the demo people, or give them new passwords; returns (username, role, password)."""
    out = []
    for username, role, display in DEMO_PEOPLE:
        password = secrets.token_urlsafe(12)
        user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
        if user is None:
            user = users.create_user(session, username, password, role, display)
        else:
            user.password_hash = hash_password(password)
            user.active = True
            audit.record(session, None, "user.password_reset", username=username, reason="demo start")
        if not user.email:
            users.update_user(session, None, username, email=f"{username}@{DEMO_MAIL_DOMAIN}")
        out.append((username, role, password))
    return out


@transactional
def ensure_accounts(session: Session, demo: list[DemoAccount]) -> list[ChannelAccount]:
    """Create the demo channel accounts, or point existing ones at the running simulators."""
    out = []
    for item in demo:
        existing = session.execute(select(ChannelAccount).where(
            ChannelAccount.kind == item.kind, ChannelAccount.name == item.name)).scalar_one_or_none()
        if existing is None:
            out.append(channel_accounts.add_account(session, item.kind, item.name, item.credentials, area=item.area))
            continue
        # The simulators hand out new tokens each start.
        existing.credentials_encrypted = vault_of(session).encrypt(item.credentials)
        existing.status = "active"
        existing.status_reason = None
        existing.reconnect_needed = False
        audit.record(session, None, "account.credentials_replaced", account_id=existing.id,
                     reason="demo start: new simulator credentials")
        out.append(existing)
    return out
