"""Checks on a version: what each channel can carry, and the legal and privacy
findings on the canonical text and on each channel's own text."""
from __future__ import annotations

from typing import Mapping

from sqlalchemy.orm import Session

from channels.base import Problem, channel_class
from workflow.accounts.channel_accounts import accounts_by_id
from workflow.core.config import Settings
from workflow.messages.checks.engine import run
from workflow.messages.checks.findings import Contacts, Context
from workflow.messages.models import Incident, Message, MessageTemplate, MessageVersion
from workflow.messages.placeholders import placeholders, unfilled
from workflow.messages.previews import channel_problems
from workflow.messages.versions import stored_images, stored_rendering

#: Over this many characters an image's alt text gets a gentle warning.
ALT_WARN_CHARS = 250


def contacts_of(settings: Settings | None) -> Contacts:
    """The force's own phone numbers and e-mail domains, from the settings."""
    if settings is None:
        return Contacts()
    return Contacts(tuple(settings.force_phone_numbers), tuple(d.lower() for d in settings.force_email_domains))


def context_of(message: Message | None, incident: Incident | None = None) -> Context:
    """The legal context in effect for ``message``: its incident's, with the message's own added.

    ``incident`` stands in for a message not yet made (the compose page's chosen incident).
    """
    if message is not None:
        incident = message.incident
    return Context.recorded(incident.legal if incident is not None else {},
                            message.legal if message is not None else {})


def text_findings(text: str, settings: Settings | None = None, context: Context | None = None) -> list[dict]:
    """The legal and privacy findings on one text, as JSON-ready dicts."""
    return [f.as_dict() for f in run(text, context, contacts_of(settings))]


def checks_for(session: Session, message: Message, version: MessageVersion,
               context: Context | None = None) -> dict[str, list[dict]]:
    """Problems per target account, plus ``"all"`` for the findings on the canonical text.

    The findings read ``context``, by default the legal context in effect for the message
    (:func:`context_of`).

    A channel's own text (a variant) that differs from the body has its findings
    in that account's list. Each channel's stored posts are checked as they will be sent: a post the
    channel can no longer carry is an error, never silently rendered again.
    """
    rendering = stored_rendering(version)
    link = rendering.link
    accounts = accounts_by_id(session, version.targets)
    settings = session.info.get("crier.settings")
    context = context if context is not None else context_of(message)
    out: dict[str, list[dict]] = {"all": text_findings(version.body, settings, context)}
    names = _template_placeholders(session, message)
    for number, image in enumerate(stored_images(version), 1):
        if len(image["alt"]) > ALT_WARN_CHARS:
            out["all"].append(Problem(
                f"The alt text of image {number} is {len(image['alt'])} characters long; under "
                f"{ALT_WARN_CHARS} is easier to listen to with a screen reader.",
                level="warning", code="long_alt_text").as_dict())
    for account_id in version.targets:
        account = accounts[account_id]
        text = version.variants.get(str(account_id), version.body)
        adapter = channel_class(account.kind)
        problems = channel_problems(account, text, link)
        left = unfilled(text, names)
        if left:
            problems.append(Problem(
                f"fill in {', '.join('{' + n + '}' for n in left)} from the template before it goes out",
                code="template_unfilled"))
        stored = rendering.posts.get(str(account_id))
        if stored is None:
            problems.append(Problem(f"nothing was rendered for {account.name} in this version",
                                    code="not_rendered"))
        else:
            for number, part in enumerate(stored, 1):
                for reason in adapter.part_problems(part):
                    problems.append(Problem(f"{account.name} cannot carry post {number} as stored: {reason}",
                                            code="unsendable"))
        out[str(account_id)] = [p.as_dict() for p in problems]
        if text != version.body:
            out[str(account_id)] += text_findings(text, settings, context)
    return out


def _template_placeholders(session: Session, message: Message) -> list[str]:
    # A message made from a template must not go out with one of its placeholders still in it.
    if message.template_id is None:
        return []
    template = session.get(MessageTemplate, message.template_id)
    return placeholders(template.body) if template is not None else []


def has_errors(checks: Mapping[str, list[dict]]) -> bool:
    """Whether any check is an error (findings are warnings: they never block submission)."""
    return any(p["level"] == "error" for problems in checks.values() for p in problems)
