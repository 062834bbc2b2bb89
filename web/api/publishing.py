"""API routes for what happens around publication: withdraw, correct, decide on a
held message, and pause or resume routine posts. Thin views over
:mod:`workflow.corrections` and :mod:`workflow.pause`."""
from __future__ import annotations

from flask import jsonify, request

from workflow.accounts.policy import Action
from workflow.core.errors import ValidationError
from workflow.messages import checks as messages_checks
from workflow.messages import corrections
from workflow.messages import views as messages_views
from workflow.scheduling import late, pause

from ..auth import api_may
from ..context import db
from . import _body, bp


@bp.post("/messages/<int:message_id>/withdraw")
@api_may(Action.DRAFT)
def withdraw_message(user, message_id: int):
    data = _body("Withdrawal")
    session = db()
    message = corrections.withdraw(session, user, message_id, data.get("reason"))
    return jsonify(messages_views.message_as_dict(session, message))


@bp.post("/messages/<int:message_id>/correct")
@api_may(Action.DRAFT)
def correct_message(user, message_id: int):
    data = _body("Correction")
    if "body" not in data:
        raise ValidationError("send the corrected text as body", field="body")
    session = db()
    message = corrections.correct(session, user, message_id, data["body"], data.get("change_note"),
                                  data.get("variants"))
    return jsonify({"id": message.id, "version": message.current_version, "status": message.status,
                    "content_hash": message.latest.content_hash, "change_note": message.latest.change_note,
                    "checks": messages_checks.checks_for(session, message, message.latest)})


@bp.post("/messages/<int:message_id>/schedule")
@api_may(Action.DECIDE_LATE)
def decide_held_message(user, message_id: int):
    data = _body("HeldDecision")
    session = db()
    message = late.decide_held(session, user, message_id,
                                      publish_now=data.get("publish_now", False),
                                      publish_at=data.get("publish_at"))
    return jsonify(messages_views.message_as_dict(session, message))


@bp.get("/pause")
@api_may(Action.READ)
def list_pauses(user):
    return jsonify({"pauses": [pause.pause_as_dict(p) for p in pause.active_pauses(db())]})


@bp.post("/pause")
@api_may(Action.PAUSE)
def start_pause(user):
    data = _body("NewPause")
    created = pause.pause_routine(db(), user, data.get("reason"), account_ids=data.get("accounts"),
                                  areas=data.get("areas"))
    return jsonify(pause.pause_as_dict(created)), 201


@bp.delete("/pause")
@api_may(Action.PAUSE)
def lift_pause(user):
    lifted = pause.lift_pause(db(), user, request.args.get("id"), reason=request.args.get("reason"))
    return jsonify({"lifted": [pause.pause_as_dict(p) for p in lifted]})

