"""API routes for pausing routine posts: list the active pauses, start one, lift one or all."""
from __future__ import annotations

from flask import request

from workflow.accounts.policy import Action
from workflow.scheduling import pause

from ..auth import api_may
from ..context import db
from .base import answer, bp, read_body
from .schemas import LiftedPauses, NewPause, Pause, PauseList


@bp.get("/pause")
@api_may(Action.READ)
def list_pauses(user):
    return answer(PauseList(pauses=[Pause.of(p) for p in pause.active_pauses(db())]))


@bp.post("/pause")
@api_may(Action.PAUSE)
def start_pause(user):
    data = read_body(NewPause)
    created = pause.pause_routine(db(), user, data.reason, account_ids=data.accounts, areas=data.areas)
    return answer(Pause.of(created), 201)


@bp.delete("/pause")
@api_may(Action.PAUSE)
def lift_pause(user):
    lifted = pause.lift_pause(db(), user, request.args.get("id"), reason=request.args.get("reason"))
    return answer(LiftedPauses(lifted=[Pause.of(p) for p in lifted]))
