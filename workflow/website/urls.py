"""Links to the public website from the desk, with this process's ``CRIER_PUBLIC_BASE_URL``.

The URLs themselves are built in one place, :mod:`channels.website.urls`, which
the website channel also uses for the links it reports.
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from channels.website.urls import cap_url, image_url, incident_url, page_url, public_url  # noqa: F401 (feeds build theirs here)
from workflow.core.runtime import channel_config_of
from workflow.messages.models import Incident, Message

__all__ = ["cap_url", "incident_url", "page_url", "public_url", "message_link", "incident_link",
           "placeholder_link"]

#: The slug shown in previews before a new message is first saved.
PLACEHOLDER_SLUG = "new-update"


def _base(session: Session) -> str:
    return channel_config_of(session).public_base_url


def message_link(session: Session, message: Message) -> str:
    """The public page of the message on the force website."""
    return page_url(_base(session), message.slug)


def incident_link(session: Session, incident: Incident) -> str:
    """The public timeline of the incident."""
    return incident_url(_base(session), incident.slug)


def placeholder_link(session: Session) -> str:
    """Where a message not yet saved will live (for previews)."""
    return page_url(_base(session), PLACEHOLDER_SLUG)
