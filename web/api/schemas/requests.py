"""Request bodies: a field none of them names is refused, naming it."""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, StrictBool, StrictInt, StrictStr

from workflow.accounts.models import ChannelKind, Role
from workflow.messages.legal import LABELS
from workflow.messages.review import MAX_REASON

from .types import PostText, documented

Kind = Literal[tuple(ChannelKind)]  # type: ignore[valid-type]
RoleName = Literal[tuple(Role)]  # type: ignore[valid-type]
MessageKind = Literal["incident", "routine"]
AccountIds = list[StrictInt]
Variants = dict[str, PostText]

VARIANTS = "Per-account wording: {account id: text}; the account must be a target"
PUBLISH_AT = "ISO 8601 date-time; a time without an offset is Europe/London local time"
RECURRENCE = "An RRULE such as FREQ=WEEKLY;BYDAY=MO, starting at publish_at; routine posts only, at most hourly"


class RequestBody(BaseModel):
    """Strict input: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")


def reason(description: str | None = None) -> Any:
    return documented(description, minLength=1, maxLength=MAX_REASON)


def change_note(description: str | None = None, default: Any = None) -> Any:
    return documented(description, default=default, minLength=1, maxLength=1000)


def publish_at() -> Any:
    return documented(PUBLISH_AT, default=None, format="date-time")


def recurrence() -> Any:
    return documented(RECURRENCE, default=None, maxLength=500)


def account_ids(description: str | None = None, default: Any = ...) -> Any:
    return documented(description, default=default, minItems=1, maxItems=1000)




def flag(name: str) -> Any:
    return documented(f"{LABELS[name]}: true or false (left out: stays as it is)", default=None)


class LegalContext(RequestBody):
    """The legal context an officer records; a flag left out stays as it is. The checks read it:
    ticked flags make them stricter or, where the guidance says so, quieter."""

    proceedings_active: StrictBool = flag("proceedings_active")
    arrest_made: StrictBool = flag("arrest_made")
    charged: StrictBool = flag("charged")
    sexual_offence: StrictBool = flag("sexual_offence")
    child_involved: StrictBool = flag("child_involved")
    death: StrictBool = flag("death")
    family_informed: StrictBool = flag("family_informed")
    formally_identified: StrictBool = flag("formally_identified")
    reporting_restriction: StrictBool = flag("reporting_restriction")


LEGAL = ("The legal context of this message; it adds to its incident's. Changing it re-runs the checks and "
         "voids an approval, not yet publishing, whose findings changed")


class Authority(RequestBody):
    """Who authorised naming someone arrested, and why (the record the guidance asks for)."""

    officer: StrictStr = documented("The authorising officer's name and rank", minLength=1, maxLength=200)
    reason: StrictStr = documented("Why naming them is justified", minLength=1, maxLength=2000)


class IncidentRef(BaseModel):
    """A new incident to open with the message."""

    title: StrictStr = documented(minLength=1, maxLength=200)
    area: StrictStr | None = documented(default=None, maxLength=120)
    exercise: StrictBool = documented("An exercise: its messages go only to exercise accounts, headed EXERCISE EXERCISE EXERCISE", default=False)
    legal: LegalContext | None = documented("The incident's legal context, as far as it is known", default=None)


class NewAccount(RequestBody):
    kind: Kind
    name: StrictStr = documented(minLength=1, maxLength=120)
    area: StrictStr | None = documented(default=None, maxLength=120)
    credentials: dict[str, Any] = documented(
        "x: consumer_key, consumer_secret, access_token, access_token_secret; facebook: page_id, "
        "page_access_token; website: none. Stored encrypted and never shown back.", default={})
    exercise: StrictBool = documented("A sandbox account for exercises: it carries exercise messages only",
                                      default=False)


IMAGES = ("Up to 4 images, in order: {media: an uploaded image's id, alt: its description for people who "
          "cannot see it (required, at most 1,000 characters; over 250 gets a warning)}. They and their alt "
          "texts are part of the version's content_hash")


class ImageRef(RequestBody):
    """One image on a message: an uploaded image and its alt text."""

    media: StrictInt = documented("The id from POST /media", minimum=1)
    alt: StrictStr = documented("What the image shows, for people who cannot see it", minLength=1,
                                maxLength=1000)


def images() -> Any:
    return documented(IMAGES, default=None, maxItems=4)


class NewMessage(RequestBody):
    body: PostText = documented("The canonical text every channel carries")
    accounts: AccountIds = account_ids("Target channel account ids")
    variants: Variants | None = documented(VARIANTS, default=None)
    incident: StrictInt | StrictStr | IncidentRef | None = documented(
        "an incident id or slug, or {title, area} to open a new incident", default=None)
    kind: MessageKind | None = None
    publish_at: StrictStr | None = publish_at()
    recurrence: StrictStr | None = recurrence()
    change_note: StrictStr | None = change_note()
    template: StrictInt | None = documented("The template the text was filled from (GET /templates)",
                                            default=None)
    values: dict[str, StrictStr | None] | None = documented(
        "The placeholder values the text was filled with; a found update reuses the person's name",
        default=None)
    appeal: Literal["missing_person"] | None = documented(
        "Mark it as an appeal (default: the template's, e.g. the missing person appeal)", default=None)
    appeal_of: StrictInt | None = documented("A later message of the open appeal this message id belongs to",
                                             default=None)
    legal: LegalContext | None = documented(LEGAL, default=None)
    images: list[ImageRef] | None = images()


class MessageEdit(RequestBody):
    """Fields left out keep their values from the latest version."""

    version: StrictInt | None = documented("The version you edited; 409 if it is no longer the latest",
                                           default=None)
    body: PostText = documented(default=None)
    accounts: AccountIds = account_ids(default=None)
    variants: Variants | None = documented(VARIANTS, default=None)
    publish_at: StrictStr | None = publish_at()
    recurrence: StrictStr | None = recurrence()
    change_note: StrictStr | None = change_note()
    appeal: Literal["missing_person"] | None = documented(
        "Mark it as an appeal, or null for none: makes no new version", default=None)
    legal: LegalContext | None = documented(LEGAL + "; sent alone, it makes no new version", default=None)
    images: list[ImageRef] | None = documented(IMAGES + "; leave out to keep them, [] to remove them",
                                               default=None, maxItems=4)


class Approval(RequestBody):
    version: StrictInt = documented("The version you verified", minimum=1)
    content_hash: StrictStr | None = documented("The content_hash of the version you verified", default=None)
    acknowledged: list[StrictStr] = documented(
        "The ids of the version's legal and privacy findings (checks) you acknowledge: every one must be "
        "here, or the answer is 409 unacknowledged_checks listing the missing ids", default=[])
    note: StrictStr | None = documented("Why it is safe to publish: needed when a finding is serious",
                                        default=None, maxLength=2000)
    authority: Authority | None = documented(
        "The authorising officer and reason: needed when an acknowledged finding is legal.arrested_named "
        "(else 422 authority_required naming the finding)", default=None)


class Rejection(RequestBody):
    reason: StrictStr = reason()
    version: StrictInt | None = documented(default=None, minimum=1)


class Withdrawal(RequestBody):
    reason: StrictStr = reason()


class Correction(RequestBody):
    body: PostText = documented("The corrected text")
    change_note: StrictStr = change_note("What changed, shown with the corrected post", default=...)
    variants: Variants | None = documented(VARIANTS, default=None)
    images: list[ImageRef] | None = documented(IMAGES + "; leave out to keep them, [] to remove them. On "
                                               "Facebook a change of images replaces the post", default=None,
                                               maxItems=4)


class HeldDecision(RequestBody):
    """Either publish_now: true, or a new publish_at in the future."""

    publish_now: StrictBool = False
    publish_at: StrictStr | None = publish_at()


class NewPause(RequestBody):
    reason: StrictStr = reason()
    accounts: AccountIds | None = documented("Only these accounts (default: all)", default=None)
    areas: list[StrictStr] | None = documented("Only accounts serving these areas (default: all)", default=None)


class UserEdit(RequestBody):
    """Fields left out stay as they are."""

    role: RoleName | None = None
    active: StrictBool | None = None
    email: StrictStr | None = documented(default=None, maxLength=254)


class NewIncident(RequestBody):
    title: StrictStr = documented("What the incident is, as the public will read it", minLength=1, maxLength=200)
    area: StrictStr | None = documented("The neighbourhood area it is in", default=None, maxLength=120)
    exercise: StrictBool = documented("An exercise: its messages go only to exercise accounts, headed EXERCISE EXERCISE EXERCISE", default=False)
    legal: LegalContext | None = documented("The legal context, as far as it is known", default=None)


class IncidentEdit(RequestBody):
    """Fields left out stay as they are."""

    title: StrictStr | None = documented(default=None, minLength=1, maxLength=200)
    status: Literal["open", "closed"] | None = documented("Close the incident, or open it again", default=None)
    legal: LegalContext | None = documented(
        "Change the legal context: the checks run again on every message of the incident, and an approval "
        "not yet publishing whose findings changed is voided (the message goes back for verification)",
        default=None)


REQUEST_MODELS: tuple[type[RequestBody], ...] = (
    NewAccount, NewMessage, MessageEdit, Approval, Rejection, Withdrawal, Correction, HeldDecision,
    NewPause, UserEdit, NewIncident, IncidentEdit)
