"""The pauses table: while a pause is active, nothing routine leaves."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import JSON, ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workflow.accounts.models import User
from workflow.core.database import Base, BigId, UTCDateTime, utcnow


class Pause(Base):
    """"Pause routine posts": while a pause is active, nothing routine leaves."""

    __tablename__ = "pauses"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    reason: Mapped[str] = mapped_column(Text)
    # Empty lists mean every account and every area.
    account_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    areas: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    lifted_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    lifted_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)

    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    lifted_by: Mapped[Optional[User]] = relationship(foreign_keys=[lifted_by_id])
