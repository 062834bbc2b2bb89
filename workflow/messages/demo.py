"""Demo data for ``crier run``: an incident with its legal context recorded, and a message in it
awaiting verification that names someone arrested, so the verify page shows the findings, the
ticks and the authority it asks for. Running it again adds nothing."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.accounts.models import ChannelAccount, User
from workflow.core.unit_of_work import transactional
from workflow.messages import drafts, incidents, review
from workflow.messages.models import Incident

TITLE = "Burglaries in Tottington"
TEXT = ("Officers investigating a series of burglaries in Tottington have arrested Dean Marsh, 34, on "
        "suspicion of burglary. He remains in custody. Anyone with information can call 101 quoting "
        "log 1234.")


@transactional
def ensure_legal_example(session: Session, author_name: str = "officer") -> Incident | None:
    """Open the demo incident (an arrest recorded) with one message awaiting verification, once."""
    author = session.execute(select(User).where(User.username == author_name)).scalar_one_or_none()
    website = session.execute(select(ChannelAccount).where(ChannelAccount.kind == "website")
                              .order_by(ChannelAccount.id)).scalars().first()
    if author is None or website is None:
        return None
    found = session.execute(select(Incident).where(Incident.title == TITLE)).scalars().first()
    if found is not None:
        return found
    incident = incidents.open_incident(session, author, TITLE, "North", legal_context={"arrest_made": True})
    message = drafts.create_draft(session, author, {"body": TEXT, "accounts": [website.id],
                                                    "incident": incident.id})
    review.submit(session, author, message.id)
    return incident
