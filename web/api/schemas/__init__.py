"""Every request and response body of the JSON API, written once as pydantic models.

The models check shape and type only (request bodies refuse unknown fields);
the workflow services keep the domain rules, so the console and the API refuse
the same text for the same reason. :mod:`web.api.openapi` builds the OpenAPI
components from these models.
"""
from .requests import (
    REQUEST_MODELS,
    Approval,
    Correction,
    HeldDecision,
    ImageRef,
    IncidentEdit,
    IncidentRef,
    MessageEdit,
    NewAccount,
    NewIncident,
    NewMessage,
    NewPause,
    Rejection,
    UserEdit,
    Withdrawal,
)
from .responses import (
    RESPONSE_MODELS,
    Account,
    AccountList,
    Corrected,
    Created,
    Decision,
    Delivery,
    Edited,
    Error,
    Incident,
    IncidentDetail,
    IncidentList,
    LiftedPauses,
    MediaUploaded,
    Message,
    MessageList,
    MessageSummary,
    Pause,
    PauseList,
    Problem,
    Rejected,
    StatusOnly,
    User,
    UserList,
    Version,
    VersionImage,
)

__all__ = [
    "REQUEST_MODELS", "RESPONSE_MODELS", "Account", "AccountList", "Approval", "Corrected", "Correction",
    "Created", "Decision", "Delivery", "Edited", "Error", "HeldDecision", "Incident", "IncidentDetail", "IncidentEdit", "IncidentList", "IncidentRef", "LiftedPauses",
    "Message", "MessageEdit", "MessageList", "MessageSummary", "NewAccount", "NewIncident", "NewMessage", "NewPause",
    "Pause", "PauseList", "Problem", "Rejected", "Rejection", "StatusOnly", "User", "UserEdit", "UserList",
    "Version", "Withdrawal", "ImageRef", "MediaUploaded", "VersionImage",
]
