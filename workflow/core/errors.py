"""Domain errors. Views map them to HTTP status codes, tasks to retries."""
from __future__ import annotations

from typing import Any


class CrierError(Exception):
    """Base of every error a user can act on."""

    code = "error"
    status = 400

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field

    def details(self) -> dict[str, Any]:
        """What else the refusal says, for the API's error body (none by default)."""
        return {}


class ValidationError(CrierError):
    code = "invalid"
    status = 422


class NotFoundError(CrierError):
    code = "not_found"
    status = 404


class PermissionDeniedError(CrierError):
    code = "forbidden"
    status = 403


class AuthenticationError(CrierError):
    code = "unauthorized"
    status = 401


class ConflictError(CrierError):
    code = "conflict"
    status = 409


class StaleVersionError(ConflictError):
    code = "stale_version"


class InvalidStateError(ConflictError):
    code = "invalid_state"


class PublishingInProgressError(ConflictError):
    """A post of the message is in a worker's hands: changing it now could let the old words out."""

    code = "publishing_in_progress"


class TwoPersonRuleError(PermissionDeniedError):
    code = "two_person_rule"


class ThrottledError(CrierError):
    code = "throttled"
    status = 429


class UnacknowledgedChecksError(ConflictError):
    """An approval that leaves a legal or privacy finding unacknowledged: nothing is approved."""

    code = "unacknowledged_checks"

    def __init__(self, message: str, missing: list[str]):
        super().__init__(message, field="acknowledged")
        self.missing = list(missing)

    def details(self) -> dict[str, Any]:
        return {"missing": self.missing}


class AuthorityRequiredError(ValidationError):
    """An approval that names someone arrested without the authorising officer and reason: nothing is approved."""

    code = "authority_required"

    def __init__(self, message: str, findings: list[str]):
        super().__init__(message, field="authority")
        self.missing = list(findings)

    def details(self) -> dict[str, Any]:
        return {"missing": self.missing}
