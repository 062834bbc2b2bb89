"""Every request and response body of the JSON API, written once as pydantic models.

The models check shape and type only (request bodies refuse unknown fields);
the workflow services keep the domain rules, so the console and the API refuse
the same text for the same reason. :mod:`web.api.openapi` builds the OpenAPI
components from these models.
"""
from . import notices as _notices
from .insights import (
    INSIGHT_RESPONSES,
    AccountInsight,
    AccountReach,
    AccountReachList,
    Engagement,
    EngagementList,
)
from .notices import Duty, DutyEdit, Notice, NoticeChannelsEdit, NoticeList, NoticeSettings
from .requests import (
    REQUEST_MODELS,
    Approval,
    Correction,
    HeldDecision,
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
)
from .templates import (
    TEMPLATE_REQUESTS,
    TEMPLATE_RESPONSES,
    Appeal,
    AppealList,
    Filled,
    FoundReport,
    NewTemplate,
    Template,
    TemplateEdit,
    TemplateFill,
    TemplateList,
)

REQUEST_MODELS = REQUEST_MODELS + TEMPLATE_REQUESTS
RESPONSE_MODELS = RESPONSE_MODELS + TEMPLATE_RESPONSES

REQUEST_MODELS = REQUEST_MODELS + _notices.REQUEST_MODELS
RESPONSE_MODELS = RESPONSE_MODELS + _notices.RESPONSE_MODELS

RESPONSE_MODELS = RESPONSE_MODELS + INSIGHT_RESPONSES

__all__ = [
    "REQUEST_MODELS",
    "RESPONSE_MODELS",
    "Account",
    "AccountInsight",
    "AccountList",
    "AccountReach",
    "AccountReachList",
    "Appeal",
    "AppealList",
    "Approval",
    "Corrected",
    "Correction",
    "Created",
    "Decision",
    "Delivery",
    "Duty",
    "DutyEdit",
    "Edited",
    "Engagement",
    "EngagementList",
    "Error",
    "Filled",
    "FoundReport",
    "HeldDecision",
    "Incident",
    "IncidentDetail",
    "IncidentEdit",
    "IncidentList",
    "IncidentRef",
    "LiftedPauses",
    "Message",
    "MessageEdit",
    "MessageList",
    "MessageSummary",
    "NewAccount",
    "NewIncident",
    "NewMessage",
    "NewPause",
    "NewTemplate",
    "Notice",
    "NoticeChannelsEdit",
    "NoticeList",
    "NoticeSettings",
    "Pause",
    "PauseList",
    "Problem",
    "Rejected",
    "Rejection",
    "StatusOnly",
    "Template",
    "TemplateEdit",
    "TemplateFill",
    "TemplateList",
    "User",
    "UserEdit",
    "UserList",
    "Version",
    "Withdrawal",
]
