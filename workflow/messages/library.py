"""The template library Crier ships: neutral wording following UK police media practice.

The desk edits or retires these like any template. They are written into the
templates table the first time templates are asked for while the table is
empty (:func:`ensure_library`); a template is never deleted, only retired, so
an emptied library is not written again behind the desk's back.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workflow.core.unit_of_work import transactional
from workflow.messages.models import AppealKind, MessageKind, MessageTemplate
from workflow.messages.placeholders import check_template_body

INCIDENT, ROUTINE = MessageKind.INCIDENT, MessageKind.ROUTINE

#: The key of the template a found update is made from (workflow.messages.appeals).
FOUND_SAFE = "found_safe"
MISSING_PERSON = "missing_person_appeal"

#: (key, name, kind, appeal, body)
LIBRARY: tuple[tuple[str, str, MessageKind, AppealKind | None, str], ...] = (
    ("holding_statement", "Holding statement", INCIDENT, None,
     ("We are aware of {description} in {location} and officers are at the scene. Please avoid the area "
      "while we deal with it. We will give a further update as soon as we can; please do not speculate "
      "about what has happened.")),
    ("road_closure", "Road closure", INCIDENT, None,
     ("{road} is closed {location} because of {reason}. Please avoid the area and use another route if you "
      "can. We will let you know when it reopens.")),
    ("road_reopening", "Road reopening", INCIDENT, None,
     "{road} has now reopened {location}. Thank you for your patience while it was closed."),
    (MISSING_PERSON, "Missing person appeal", INCIDENT, AppealKind.MISSING_PERSON,
     ("Can you help us find {name}? {name}, {age}, was last seen in {location} at {time}. They are described "
      "as {description}. If you have seen them, please call 101 quoting {reference}, or 999 if you see them "
      "now.")),
    (FOUND_SAFE, "Found safe", INCIDENT, None,
     ("{name}, who was reported missing from {location}, has been found safe. Thank you to everyone who "
      "shared our appeal. We have removed it, and ask anyone who shared it to delete their posts too.")),
    ("witness_appeal", "Witness appeal", INCIDENT, None,
     ("We are appealing for witnesses after {description} in {location} at about {time}. If you saw what "
      "happened, or have dash-cam, doorbell or CCTV footage, please call 101 quoting {reference}, or contact "
      "Crimestoppers anonymously on 0800 555 111.")),
    ("arrest_update", "Arrest update", INCIDENT, None,
     ("A {age}-year-old {person} from {town} has been arrested on suspicion of {offence} in connection with "
      "{description} in {location}. They remain in police custody. Proceedings are now active: please do not "
      "speculate about the case or share anything online that could affect them.")),
    ("charge_update", "Charge update", INCIDENT, None,
     ("{name}, {age}, of {town}, has been charged with {charge} in connection with {description} in "
      "{location}. They are due to appear at {court} on {court_date}. Proceedings are active: please do not "
      "comment on the case or share anything online that could prejudice the trial.")),
    ("court_result", "Court result", ROUTINE, None,
     ("{name}, {age}, of {town}, has been sentenced to {sentence} at {court} for {offence}. Thank you to "
      "everyone who helped bring this case to court.")),
    ("scam_warning", "Scam warning", ROUTINE, None,
     ("We are warning people in {area} about a scam after reports of {description}. Police officers and banks "
      "will never ask you to hand over your bank card or PIN, or to move money to keep it safe. If something "
      "does not feel right, hang up, and report it to Action Fraud or call us on 101.")),
    ("major_incident_holding", "Major incident holding statement", INCIDENT, None,
     ("We have declared a major incident following {description} in {location}. Emergency services are at "
      "the scene. Please avoid the area and follow the advice of officers there. Information for anyone "
      "concerned about family or friends will be published here as soon as it is available. Our next update "
      "will be at {time}. Please do not share speculation or images of people who may be hurt.")),
)

for _key, _name, _kind, _appeal, _body in LIBRARY:
    check_template_body(_body)  # a broken shipped template fails at import, never at the desk


@transactional
def ensure_library(session: Session) -> int:
    """Write the shipped library into an empty templates table; returns how many were written.

    Its own unit of work (or the caller's), in a savepoint: two first requests
    at once write it once (the keys are unique) and neither fails.
    """
    if session.execute(select(MessageTemplate.id).limit(1)).first() is not None:
        return 0
    try:
        with session.begin_nested():
            for key, name, kind, appeal, body in LIBRARY:
                session.add(MessageTemplate(key=key, name=name, kind=kind, appeal=appeal, body=body,
                                            accounts=[], revision=1))
            session.flush()
    except IntegrityError:
        return 0  # written by another request meanwhile
    return len(LIBRARY)
