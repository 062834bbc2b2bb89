"""Compose: one text, its accounts, a live per-channel preview, autosave and submit."""
from __future__ import annotations

from typing import Any, Mapping

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_login import login_required
from sqlalchemy import select

from workflow.accounts import channel_accounts as accounts
from workflow.accounts import policy
from workflow.core import london
from workflow.core.errors import CrierError, InvalidStateError, PermissionDeniedError, ValidationError
from workflow.core.runtime import settings_of
from workflow.delivery import planning
from workflow.messages import drafts, queries, review, templates
from workflow.messages.checks import context_of, text_findings
from workflow.messages.models import Incident, Message
from workflow.messages.placeholders import placeholders
from workflow.messages.states import EDITABLE, MessageState
from workflow.messages.versions import image_digests, stored_images
from workflow.scheduling.rules import check_publish_window, parse_publish_at

from ..auth import console_user
from ..context import db
from . import bp, present
from .media import images_for_form, images_from_form, upload_from_request, with_urls
from .review import legal_in_effect

# States in which autosave may write a version: before anyone is asked to verify it.
AUTOSAVE_STATES = frozenset({"draft", "rejected"})
FIELDS = frozenset({"body", "accounts", "variants", "incident", "incident_title", "publish_at", "recurrence",
                    "template", "values", "images"})
RECURRENCE_CHOICES = [
    ("", "Does not repeat"),
    ("FREQ=DAILY", "Every day"),
    ("FREQ=WEEKLY", "Every week, on the same day"),
    ("FREQ=MONTHLY", "Every month, on the same date"),
]


# Input -------------------------------------------------------------------------

def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def data_from_form(form) -> dict[str, Any]:
    """The compose form as the same dict the autosave endpoint receives as JSON."""
    account_ids = [i for i in (_int(v) for v in form.getlist("accounts")) if i is not None]
    return {
        "body": form.get("body", ""),
        "accounts": account_ids,
        "variants": {str(i): form.get(f"variant-{i}", "") for i in account_ids},
        "incident": form.get("incident", ""),
        "incident_title": form.get("incident_title", ""),
        "incident_area": form.get("incident_area", ""),
        "publish_at": form.get("publish_at", ""),
        "recurrence": form.get("recurrence", ""),
        "message_id": form.get("message_id", ""),
        "version": form.get("version", ""),
        "template": form.get("template", ""),
        "values": {key[len("value-"):]: value for key, value in form.items() if key.startswith("value-")},
        **({"images": images} if (images := images_from_form(form)) is not None else {}),
    }


def _template_choice(raw: Mapping[str, Any]) -> tuple[int | None, dict[str, str]]:
    """The template the text was filled from, and the values typed into its gaps (blank ones left out)."""
    template_id = _int(raw.get("template"))
    values = raw.get("values") if isinstance(raw.get("values"), Mapping) else {}
    return template_id, {str(k): v for k, v in values.items() if isinstance(v, str) and v.strip()}


def service_data(raw: Mapping[str, Any], creating: bool) -> dict[str, Any]:
    """What the message services take, from the console's input."""
    if not isinstance(raw, Mapping):
        raise ValidationError("send the draft as a JSON object")
    body = raw.get("body", "")
    if not isinstance(body, str):
        raise ValidationError("the text must be a string", field="body")
    raw_accounts = raw.get("accounts") or []
    if not isinstance(raw_accounts, list):
        raise ValidationError("accounts must be a list", field="accounts")
    account_ids = [i for i in (_int(v) for v in raw_accounts) if i is not None]
    if not account_ids:
        raise ValidationError("Choose at least one account to publish to.", field="accounts")
    variants_raw = raw.get("variants") or {}
    if not isinstance(variants_raw, Mapping):
        raise ValidationError("variants must be an object", field="variants")
    variants = {str(k): v for k, v in variants_raw.items()
                if isinstance(v, str) and v.strip() and _int(k) in account_ids}
    data: dict[str, Any] = {
        "body": body,
        "accounts": account_ids,
        "variants": variants,
        "publish_at": (raw.get("publish_at") or None),
        "recurrence": (raw.get("recurrence") or None),
    }
    if isinstance(raw.get("images"), list):
        data["images"] = raw["images"]
    if creating:
        template_id, values = _template_choice(raw)
        if template_id is not None:
            data["template"], data["values"] = template_id, values
        choice = raw.get("incident") or ""
        if choice == "new":
            title = (raw.get("incident_title") or "").strip() if isinstance(raw.get("incident_title"), str) else ""
            if not title:
                raise ValidationError("Give the new incident a title.", field="incident_title")
            area = raw.get("incident_area")
            data["incident"] = {"title": title, "area": area.strip() if isinstance(area, str) and area.strip() else None}
        elif choice:
            incident_id = _int(choice)
            if incident_id is None:
                raise ValidationError("Choose an incident from the list.", field="incident")
            data["incident"] = incident_id
    return data


def _unchanged(session, message: Message, data: Mapping[str, Any]) -> bool:
    latest = message.latest
    draft = drafts.validate_draft(session, data, base=latest)
    return (draft.body == latest.body and list(draft.accounts) == list(latest.targets)
            and dict(draft.variants) == dict(latest.variants or {})
            and draft.publish_at == latest.publish_at
            and (draft.recurrence or None) == (latest.recurrence or None)
            and image_digests(draft.images) == image_digests(stored_images(latest)))


def _load_for_edit(message_id: int) -> Message:
    message = queries.get_message(db(), message_id)
    user = console_user()
    if not policy.can_edit(user, message):
        raise PermissionDeniedError("only the author or a supervisor can edit this message")
    return message


def save(raw: Mapping[str, Any], message: Message | None) -> tuple[Message, bool]:
    """Create the draft or add a version; return it and whether anything was written."""
    session = db()
    user = console_user()
    data = service_data(raw, creating=message is None)
    # A time asked for now lies between now and a year ahead; an unchanged one stays as it was.
    if data["publish_at"] and (message is None
                               or parse_publish_at(data["publish_at"]) != message.latest.publish_at):
        check_publish_window(data["publish_at"])
    if message is None:
        return drafts.create_draft(session, user, data), True
    template_id, values = _template_choice(raw)
    if template_id is not None and message.template_id is None:
        message = drafts.adopt_template(session, user, message.id, template_id, values)
    if _unchanged(session, message, data):
        return message, False
    expected = _int(raw.get("version"))
    return drafts.edit_message(session, user, message.id, data, expected_version=expected), True


# Pages -------------------------------------------------------------------------

def _compose_page(message: Message | None, form: Mapping[str, Any] | None = None,
                  errors: dict[str, str] | None = None, status: int = 200, template_note: str = ""):
    session = db()
    all_accounts = [a for a in accounts.list_accounts(session) if a.status != "disabled"]
    groups = present.group_accounts(all_accounts)
    incidents = session.execute(select(Incident).where(Incident.status == "open")
                                .order_by(Incident.created_at.desc()).limit(100)).scalars().all()
    latest = message.latest if message is not None else None
    if form is None:
        form = {
            "body": latest.body if latest else "",
            "accounts": list(latest.targets) if latest else [],
            "variants": dict(latest.variants or {}) if latest else {},
            "incident": str(message.incident_id) if message is not None and message.incident_id
            else request.args.get("incident", "") if message is None else "",
            "publish_at": london.input_value(latest.publish_at) if latest else "",
            "recurrence": (latest.recurrence or "") if latest else "",
            "images": images_for_form(latest),
        }
    chosen = [a for a in all_accounts if a.id in set(form.get("accounts") or [])]
    link = present.preview_link(session, message, chosen)
    previews = present.previews_for(chosen, form.get("body") or "", form.get("variants") or {}, link)
    recurrence_choices = list(RECURRENCE_CHOICES)
    if form.get("recurrence") and form["recurrence"] not in {c[0] for c in recurrence_choices}:
        recurrence_choices.append((form["recurrence"], f"Custom: {form['recurrence']}"))
    incident = _chosen_incident(session, message, form.get("incident"))
    warnings = text_findings(form.get("body") or "", settings_of(session), context_of(message, incident))
    picker = message is None or (message.template_id is None and str(message.status) in AUTOSAVE_STATES)
    library = templates.list_templates(session) if picker else []
    picked_id = _int(form.get("template")) if form.get("template") else _int(request.args.get("template"))
    picked = next((t for t in library if t.id == picked_id), None)
    return render_template(
        "console/compose.html", title="Edit draft" if message else "New message",
        library=library, picked=picked, values=form.get("values") or {}, placeholders=placeholders,
        template_note=template_note,
        message=message, latest=latest, groups=groups, incidents=incidents, form=form,
        errors=errors or {}, previews=previews, warnings=warnings,
        recurrence_choices=recurrence_choices, images=with_urls(form.get("images")),
        autosave=message is None or str(message.status) in AUTOSAVE_STATES,
        **legal_in_effect(message, incident),
    ), status


def _fill_from_template(message: Message | None, raw: dict[str, Any]):
    """Without script: show the picked template's gaps, or put its filled text in the form (nothing saved)."""
    template_id, values = _template_choice(raw)
    if template_id is None:
        return _compose_page(message, raw, {"template": "Choose a template first."}, 422)
    template = templates.usable_template(db(), template_id)
    if request.form.get("action") == "pick":
        return _compose_page(message, raw, template_note=f"Fill in the gaps of “{template.name}”, then "
                                                         "press “Fill in the text”.")
    filled = templates.fill_template(db(), console_user(), template.id, values)
    raw = {**raw, "body": filled.text, "accounts": raw["accounts"] or list(template.accounts or [])}
    note = ("Filled in. Still to fill: " + ", ".join(filled.missing) + "." if filled.missing
            else "Filled in: read it through before you save or submit it.")
    return _compose_page(message, raw, template_note=note)


def _chosen_incident(session, message: Message | None, choice: Any) -> Incident | None:
    """The incident whose legal context the checks read before the message is made: the one chosen."""
    if message is not None:
        return message.incident
    incident_id = _int(choice)
    return session.get(Incident, incident_id) if incident_id and incident_id < 2**62 else None


def _handle_post(message: Message | None):
    # The form may carry an image (without the page's script): allow the image limit, not the JSON one.
    request.max_content_length = settings_of(db()).media_max_bytes + 256 * 1024
    raw = data_from_form(request.form)
    action = request.form.get("action", "save")
    if action in ("pick", "fill"):
        try:
            return _fill_from_template(message, raw)
        except CrierError as exc:
            db().rollback()
            return _compose_page(message, raw, {"template" if exc.field != "values" else "values": exc.message},
                                 exc.status if exc.status < 500 else 400)
    try:
        # Without the page's script, a file chosen in the form is uploaded with it.
        added = upload_from_request("image-file")
        if added is not None:
            raw.setdefault("images", [])
            raw["images"] = [*raw["images"], {"media": added.id, "alt": request.form.get("image-file-alt", "")}]
        saved, written = save(raw, message)
    except CrierError as exc:
        db().rollback()
        if message is not None:
            message = queries.get_message(db(), message.id)
        field = exc.field if exc.field in FIELDS else "body"
        return _compose_page(message, raw, {field: exc.message}, exc.status if exc.status < 500 else 400)
    if action == "submit":
        try:
            review.submit(db(), console_user(), saved.id)
        except CrierError as exc:
            db().rollback()
            saved = queries.get_message(db(), saved.id)
            field = exc.field if exc.field in FIELDS else "body"
            return _compose_page(saved, None, {field: exc.message}, exc.status if exc.status < 500 else 400)
        flash(f"Version {saved.current_version} is with the supervisors for verification.")
        return redirect(url_for("console.message", message_id=saved.id))
    flash(f"Saved as version {saved.current_version}." if written else "No changes to save.")
    if str(saved.status) == MessageState.AWAITING_VERIFICATION:
        return redirect(url_for("console.message", message_id=saved.id))
    return redirect(url_for("console.edit", message_id=saved.id))


@bp.route("/compose", methods=["GET", "POST"])
@login_required
def compose():
    if request.method == "POST":
        return _handle_post(None)
    return _compose_page(None)


@bp.route("/messages/<int:message_id>/edit", methods=["GET", "POST"])
@login_required
def edit(message_id: int):
    message = _load_for_edit(message_id)
    if MessageState(message.status) not in EDITABLE:
        if request.method == "POST":
            raise InvalidStateError("this message is live: send a correction from its status page instead")
        flash("This message has gone out: change it with a correction.")
        return redirect(url_for("console.status", message_id=message.id))
    if request.method == "POST":
        return _handle_post(message)
    busy = planning.publishing_blocker(db(), message)
    if busy:
        flash(f"Editing is not possible now: {busy}.", "error")
    return _compose_page(message)


# JSON for the page's script ------------------------------------------------------

def _json_input() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ValidationError("send the draft as a JSON object")
    return data


@bp.post("/compose/autosave.json")
@login_required
def autosave():
    """Save as the officer types: create the draft, then edit it, never once it is with a supervisor."""
    raw = _json_input()
    message_id = _int(raw.get("message_id"))
    message = _load_for_edit(message_id) if message_id else None
    if message is not None and str(message.status) not in AUTOSAVE_STATES:
        return jsonify({"error": {
            "code": "not_autosaved",
            "message": (f"Not saved automatically: the message is {present.state_label(message.status).lower()}. "
                        "Your text is kept on this device; press Save to make a new version."),
        }, "id": message.id, "version": message.current_version}), 409
    saved, written = save(raw, message)
    return jsonify({
        "id": saved.id,
        "version": saved.current_version,
        "status": str(saved.status),
        "saved": written,
        "edit_url": url_for("console.edit", message_id=saved.id),
        "message_url": url_for("console.message", message_id=saved.id),
    }), (201 if message is None else 200)


@bp.post("/compose/preview.json")
@login_required
def preview():
    """The exact posts per chosen account, as HTML to drop into the page, plus a summary."""
    raw = _json_input()
    session = db()
    ids = [i for i in (_int(v) for v in (raw.get("accounts") or [])) if i is not None][:200]
    chosen = accounts.list_accounts(session) if ids else []
    chosen = [a for a in chosen if a.id in set(ids)]
    message = None
    message_id = _int(raw.get("message_id"))
    if message_id:
        message = session.get(Message, message_id)
    body = raw.get("body") if isinstance(raw.get("body"), str) else ""
    variants = raw.get("variants") if isinstance(raw.get("variants"), dict) else {}
    variants = {str(k): v for k, v in variants.items() if isinstance(v, str) and v.strip()}
    limit = settings_of(session).max_body_chars
    if len(body) > limit or any(len(v) > limit for v in variants.values()):
        # Saving refuses it anyway; rendering a huge thread would only slow the page.
        raise ValidationError(f"the text is longer than {limit} characters; shorten it", field="body")
    link = present.preview_link(session, message, chosen)
    previews = present.previews_for(chosen, body, variants, link)
    incident = _chosen_incident(session, message, raw.get("incident"))
    warnings = text_findings(body, settings_of(session), context_of(message, incident))
    html = render_template("console/_preview.html", previews=previews, warnings=warnings)
    summary = []
    for p in previews:
        if p.kind == "x" and len(p.posts) > 1:
            summary.append(f"{p.account.name}: a thread of {len(p.posts)} posts")
        if p.errors:
            summary.append(f"{p.account.name}: {p.errors[0]['message']}")
    return jsonify({"html": html, "summary": "; ".join(summary) or "Preview updated",
                    "accounts": [{"id": p.account.id, "kind": p.kind, "posts": [x.text for x in p.posts],
                                  "counts": [x.count for x in p.posts], "problems": p.problems}
                                 for p in previews]})

