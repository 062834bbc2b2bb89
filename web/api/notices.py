"""API routes for notices: your own channels and duty, and the outbox of every notice.
Thin views over :mod:`workflow.notices`."""
from __future__ import annotations

from flask import request

from workflow.accounts.policy import Action
from workflow.core.errors import ValidationError
from workflow.notices import duty
from workflow.notices import queries as notices

from ..auth import api_may
from ..context import db
from .base import answer, bp, read_body
from .schemas import Duty, DutyEdit, Notice, NoticeChannelsEdit, NoticeList, NoticeSettings

PAGE = 50


@bp.get("/me/notifications")
@api_may(Action.READ)
def my_notifications(user):
    return answer(NoticeSettings.of(user, duty.settings_for(db(), user.id)))


@bp.patch("/me/notifications")
@api_may(Action.READ)
def change_my_notifications(user):
    data = read_body(NoticeChannelsEdit)
    chosen = duty.set_channels(db(), user, email=data.email, live=data.live)
    return answer(NoticeSettings.of(user, chosen))


@bp.get("/me/duty")
@api_may(Action.READ)
def my_duty(user):
    return answer(Duty(username=user.username, on_duty=bool(duty.settings_for(db(), user.id).on_duty)))


@bp.put("/me/duty")
@api_may(Action.VERIFY)
def change_my_duty(user):
    data = read_body(DutyEdit)
    chosen = duty.set_duty(db(), user, data.on_duty)
    return answer(Duty(username=user.username, on_duty=bool(chosen.on_duty)))


def _page() -> int:
    raw = request.args.get("page", "1")
    if not raw.isdigit() or not 1 <= int(raw) <= 10_000:
        raise ValidationError("page is a whole number from 1", field="page")
    return int(raw)


@bp.get("/notices")
@api_may(Action.VERIFY)
def list_notices(user):
    channel, state = request.args.get("channel"), request.args.get("state")
    if channel is not None and channel not in ("live", "email", "webhook"):
        raise ValidationError("channel is live, email or webhook", field="channel")
    if state is not None and state not in ("pending", "sending", "retrying", "sent", "failed", "unknown", "kept"):
        raise ValidationError("state is pending, sending, retrying, sent, failed, unknown or kept", field="state")
    page = _page()
    found = notices.outbox(db(), channel=channel, state=state, limit=PAGE + 1, offset=(page - 1) * PAGE)
    return answer(NoticeList(notices=[Notice.of(n) for n in found[:PAGE]], page=page, more=len(found) > PAGE))
