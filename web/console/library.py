"""The template library in the console: everyone reads it; supervisors and admins add, edit
and retire templates. The compose page's picker fills them (web.console.compose)."""
from __future__ import annotations

from typing import Any

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_login import login_required

from workflow.accounts import channel_accounts as accounts
from workflow.accounts import policy
from workflow.accounts.policy import Action
from workflow.messages import templates
from workflow.messages.placeholders import placeholders

from ..auth import console_user, require_console
from ..context import db
from . import bp, present
from .forms import attempt

FIELDS = ("name", "kind", "body", "appeal", "accounts")


def _form_data(form) -> dict[str, Any]:
    return {
        "name": form.get("name", ""),
        "kind": form.get("kind") or "incident",
        "body": form.get("body", ""),
        "appeal": form.get("appeal") or None,
        "accounts": [int(v) for v in form.getlist("accounts") if v.isdigit()],
    }


def _page(template, form: dict[str, Any] | None, errors: dict[str, str], status: int = 200):
    session = db()
    if form is None:
        form = {"name": template.name, "kind": str(template.kind), "body": template.body,
                "appeal": template.appeal, "accounts": list(template.accounts or [])} if template else {
            "name": "", "kind": "incident", "body": "", "appeal": None, "accounts": []}
    groups = present.group_accounts([a for a in accounts.list_accounts(session) if a.status != "disabled"])
    title = f"Template: {template.name}" if template else "New template"
    return render_template("console/template_edit.html", title=title, template=template, form=form,
                           errors=errors, groups=groups,
                           can_manage=policy.may(console_user(), Action.MANAGE_TEMPLATES)), status


@bp.get("/templates")
@login_required
def template_list():
    found = templates.list_templates(db(), include_retired=True)
    return render_template("console/templates.html", title="Templates",
                           active=[t for t in found if t.retired_at is None],
                           retired=[t for t in found if t.retired_at is not None],
                           placeholders=placeholders)


@bp.route("/templates/new", methods=["GET", "POST"])
@login_required
def template_new():
    actor = require_console(Action.MANAGE_TEMPLATES)
    if request.method == "GET":
        return _page(None, None, {})
    data = _form_data(request.form)
    made, refused = attempt(lambda: templates.create_template(db(), actor, data), propagate=())
    if refused:
        return _page(None, data, {refused.field if refused.field in FIELDS else "body": refused.message}, 422)
    flash(f"The template “{made.name}” is in the library.")
    return redirect(url_for("console.template_list"))


@bp.route("/templates/<int:template_id>", methods=["GET", "POST"])
@login_required
def template_page(template_id: int):
    template = templates.get_template(db(), template_id)
    if request.method == "GET":
        return _page(template, None, {})
    actor = require_console(Action.MANAGE_TEMPLATES)
    data = _form_data(request.form)
    _, refused = attempt(lambda: templates.edit_template(db(), actor, template_id, data), propagate=(404,))
    if refused:
        template = templates.get_template(db(), template_id)
        return _page(template, data, {refused.field if refused.field in FIELDS else "body": refused.message}, 422)
    flash("Template saved: the next message made from it uses the new wording.")
    return redirect(url_for("console.template_list"))


@bp.post("/templates/<int:template_id>/retire")
@login_required
def template_retire(template_id: int):
    actor = require_console(Action.MANAGE_TEMPLATES)
    retire = request.form.get("retire", "yes") == "yes"
    template = templates.edit_template(db(), actor, template_id, {"retired": retire})
    flash(f"“{template.name}” is {'retired: it is no longer offered' if retire else 'back in the picker'}.")
    return redirect(url_for("console.template_list"))


@bp.post("/compose/template-fill.json")
@login_required
def template_fill_json():
    """The compose page's picker: a template's text filled with the values typed so far."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        data = {}
    template = templates.usable_template(db(), data.get("template"))
    filled = templates.fill_template(db(), console_user(), template.id, data.get("values") or {})
    return jsonify({"text": filled.text, "missing": filled.missing, "accounts": list(template.accounts or []),
                    "appeal": template.appeal})
