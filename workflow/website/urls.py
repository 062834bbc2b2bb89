"""The one builder of public website URLs."""
from __future__ import annotations

from sqlalchemy.orm import Session

from workflow.core.runtime import channel_config_of
from workflow.messages.models import Message


def message_link(session: Session, message: Message) -> str:
    """The public page of the message on the force website."""
    return f"{channel_config_of(session).public_base_url.rstrip('/')}/news/{message.slug}"
