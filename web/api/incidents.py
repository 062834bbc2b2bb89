"""API routes for incidents: open one, list them, read one with its messages, rename, close or reopen,
record its legal context."""
from __future__ import annotations

from flask import request

from workflow.accounts.policy import Action
from workflow.messages import incidents

from ..auth import api_may
from ..context import db
from .base import answer, bp, read_body
from .schemas import Incident, IncidentDetail, IncidentEdit, IncidentList, NewIncident


@bp.post("/incidents")
@api_may(Action.DRAFT)
def open_incident(user):
    data = read_body(NewIncident)
    session = db()
    legal = data.legal.model_dump(exclude_unset=True) if data.legal is not None else None
    return answer(Incident.of(session, incidents.open_incident(session, user, data.title, data.area,
                                                                 exercise=data.exercise, legal_context=legal)), 201)


@bp.get("/incidents")
@api_may(Action.READ)
def list_incidents(user):
    session = db()
    found = incidents.list_incidents(session, request.args.get("status") or None)
    return answer(IncidentList(incidents=[Incident.of(session, i) for i in found]))


@bp.get("/incidents/<int:incident_id>")
@api_may(Action.READ)
def get_incident(user, incident_id: int):
    session = db()
    return answer(IncidentDetail.of(session, incidents.get_incident(session, incident_id)))


@bp.patch("/incidents/<int:incident_id>")
@api_may(Action.DRAFT)
def update_incident(user, incident_id: int):
    changes = read_body(IncidentEdit).model_dump(exclude_unset=True)
    session = db()
    incident = incidents.update_incident(session, user, incident_id, title=changes.get("title"),
                                         status=changes.get("status"), legal_context=changes.get("legal"))
    return answer(IncidentDetail.of(session, incident))
