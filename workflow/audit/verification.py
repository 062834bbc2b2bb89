"""The whole check of the audit trail, as ``crier audit verify`` and the console's audit browser
show it: every link and seal of the chain, the newest signed checkpoint, and every message
version and decision row against what the trail recorded."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from workflow.audit import chain, checkpoints


@dataclass(frozen=True)
class TrailCheck:
    """What the check found: how many events it read, and the first break, if any.

    ``where`` names the break ("event 42", "the checkpoints", "message version 7",
    "decision 3"); ``event_id`` is the broken event's id when the break is in the chain.
    """

    events: int
    where: str | None = None
    reason: str | None = None
    event_id: int | None = None
    in_chain: bool = False  # the break is in the chain or its checkpoints, not in a version or decision row

    @property
    def intact(self) -> bool:
        return self.where is None


def check_trail(session: Session, key: bytes, checkpoint_folder: str | Path | None) -> TrailCheck:
    """Check the chain (links and seals), then the newest checkpoint, then every version and
    decision row; stop at the first break. Reads only; ``session`` is left empty (the chain is
    read in batches)."""
    count, broken = chain.verify_chain(session, key)
    if broken is None and checkpoint_folder:
        broken = checkpoints.check_against_checkpoint(session, key, checkpoint_folder)
    if broken is not None:
        where = f"event {broken.event_id}" if broken.event_id else "the checkpoints"
        return TrailCheck(count, where, broken.reason, broken.event_id or None, in_chain=True)
    bad_row = checkpoints.check_rows(session)
    if bad_row is not None:
        kind, row_id, why = bad_row
        return TrailCheck(count, f"{kind} {row_id}", why)
    return TrailCheck(count)
