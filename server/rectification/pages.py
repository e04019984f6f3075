"""/console/triage and /console/rectifications/…: the supervisor's desk pages for triage
(问题分办) and rectification items (整改事项).

Every rule lives in server/rectification: forms load through the API's own schemas and
call the same operations; a refusal is shown in Chinese next to its field, with what was
typed kept. A refused write is rolled back before the page is drawn again. Who may see or
act on an item is decided by server/rectification/access, as for the API."""

from __future__ import annotations

import uuid

from flask import flash, g, jsonify, redirect, render_template, request, url_for
from marshmallow import ValidationError

from server.console.kit import (
    Refusal,
    confirmation_page,
    confirmed,
    flat_messages,
    page,
    pages_blueprint,
    present,
    refusal,
)
from server.console.session import console_login_required
from server.errors import ApiError
from server.evidence.queries import photos_of
from server.findings import operations as triage
from server.models import OPEN_FOR_RECHECK, TITLE_MAX, PhotoParent, Role
from server.models.rectification import TITLE_CHARS
from server.plans.queries import inspectors
from server.rectification import forms, operations, views, workflow
from server.rectification import verification as verifying
from server.rectification.access import (
    ACTIVE_VERIFICATION,
    get_managed_item,
    get_visible_item,
    manages,
)
from server.rectification.schemas import (
    ExtensionDecisionSchema,
    ItemCreateSchema,
    ItemUpdateSchema,
    VerificationCreateSchema,
    VerificationDecisionSchema,
)
from server.schemas import ReasonSchema
from server.timeutil import local_today
from server.workdays.calendar import add_working_days

bp = pages_blueprint("rectification_pages", __name__)

ITEM = "/rectifications/<uuid:item_id>"


# ---- the item form (create and edit) ----


def _render_form(item=None, values=None, refused: Refusal | None = None):
    ids = values.get("finding_ids", []) if item is None else []
    return page(
        "rectifications/form.html",
        refused.status if refused else 200,
        item=item,
        values=values,
        errors=refused.errors if refused else {},
        message=refused.message if refused else None,
        conflict=bool(refused and refused.code == "version_conflict"),
        editable=forms.editable_fields(item),
        locked=item is not None and item.status == "closed",
        choices=forms.item_choices(item),
        findings=forms.findings_by_ids(g.user, ids),
        preview=forms.preview(values),
        title_max=TITLE_MAX,
        title_chars=TITLE_CHARS,
    )


@bp.route("/rectifications/new", methods=["GET", "POST"])
@console_login_required(Role.supervisor)
def rectification_new():
    if request.method == "GET":
        ids = forms.finding_ids(request.args)
        if not ids and request.args.get("from") == "triage":
            # "转为整改事项" with nothing ticked (the page's script disables it first).
            flash("请先勾选要转为整改事项的问题")
            return redirect(url_for("finding_pages.triage_queue"), 303)
        findings = [triage.get_office_finding(g.user, i) for i in ids]
        return _render_form(values=forms.new_values(findings))
    values = forms.form_values(request.form)
    try:
        data = ItemCreateSchema().load(forms.item_data(request.form, forms.ALL_FIELDS))
        item = operations.create_item(data, g.user)
    except (ValidationError, ApiError) as error:
        return _render_form(values=values, refused=refusal(error, values=values))
    flash(f"已创建整改事项草稿 {item.code}")
    return redirect(url_for("rectification_pages.rectification_detail", item_id=item.id), 303)


@bp.route(f"{ITEM}/edit", methods=["GET", "POST"])
@console_login_required(Role.supervisor)
def rectification_edit(item_id: uuid.UUID):
    item = get_managed_item(g.user, item_id)
    if request.method == "GET":
        return _render_form(item, forms.item_values(item))
    values = forms.form_values(request.form)
    fields = forms.editable_fields(item)
    try:
        data = ItemUpdateSchema().load(forms.item_data(request.form, fields, update=True))
        operations.update_item(item, data, g.user)
    except (ValidationError, ApiError) as error:
        refused = refusal(error, values=values)
        return _render_form(get_managed_item(g.user, item_id), values, refused)
    flash("修改已保存")
    return redirect(url_for("rectification_pages.rectification_detail", item_id=item_id), 303)


@bp.route("/calendar/preview")
@console_login_required(Role.supervisor)
def calendar_preview():
    """JSON for the item form's live preview of a deadline given in working days."""
    raw = {"deadline_working_days": request.args.get("days", "").strip() or None}
    try:
        days = ItemCreateSchema(only=("deadline_working_days",)).load(raw)
    except ValidationError as error:
        return jsonify(error="工作日数" + ";".join(flat_messages(error.messages))), 422
    if days["deadline_working_days"] is None:
        return jsonify(error="请填写工作日数"), 422
    result, confirmed = add_working_days(local_today(), days["deadline_working_days"])
    return jsonify(date=result.isoformat(), confirmed=confirmed)


@bp.route("/rectifications/form.js")
def rectification_form_js():
    """The form's small script, served from here: the page policy allows no inline script."""
    body = render_template("rectifications/form.js")
    return body, 200, {"Content-Type": "text/javascript; charset=utf-8"}


# ---- the item page and its actions ----


def render_detail(item, failed=None, message=None, status=200):
    view = views.detail(item, g.user)
    verifications = view.get("verifications", [])
    active = [v for v in verifications if v["status"] in ACTIVE_VERIFICATION]
    reports = [r["id"] for r in view["progress_reports"]]
    return page(
        "rectifications/detail.html",
        status,
        item=item,
        view=view,
        manage=manages(g.user, item),
        open_item=item.status in OPEN_FOR_RECHECK,
        active=active,
        inspectors=inspectors(),
        report_photos=photos_of(PhotoParent.progress_report, reports),
        check_photos=photos_of(PhotoParent.verification, [v["id"] for v in verifications]),
        findings=item.findings if "finding_ids" in view else [],
        finding_photos=photos_of(PhotoParent.finding, [f.id for f in item.findings]),
        failed=failed,
        message=message,
    )


@bp.route(ITEM)
@console_login_required(Role.supervisor, Role.admin)
def rectification_detail(item_id: uuid.UUID):
    return render_detail(get_visible_item(g.user, item_id))


@bp.app_template_global("item_confirmation")
def item_confirmation(what: str, code: str, title: str = ""):
    return forms.confirmation(what, code, title)


def _item_action(item_id: uuid.UUID, form: str, run, kept=(), to_queue=False, ask=None):
    """One POST action on an item: `run(item)` returns the success message. `ask` names
    the confirmation (forms.CONFIRMATIONS) the action needs before it runs."""
    item = get_managed_item(g.user, item_id)
    if ask and not confirmed():
        back = url_for("rectification_pages.rectification_detail", item_id=item_id)
        return confirmation_page(forms.confirmation(ask, item.code, item.title), back)
    try:
        done = run(item)
    except (ValidationError, ApiError) as error:
        refused = refusal(error, form, {k: request.form.get(k, "") for k in kept})
        item = get_managed_item(g.user, item_id)
        return render_detail(item, refused.as_dict(), refused.message, refused.status)
    flash(done)
    if to_queue:
        return redirect(url_for("finding_pages.triage_queue"), 303)
    return redirect(url_for("rectification_pages.rectification_detail", item_id=item_id), 303)


@bp.route(f"{ITEM}/issue", methods=["POST"])
@console_login_required(Role.supervisor)
def rectification_issue(item_id: uuid.UUID):
    def run(item):
        operations.issue_item(item, g.user)
        pending = "" if item.deadline_confirmed else "(待确认)"
        return f"已交办 {item.code},完成时限 {item.deadline.isoformat()}{pending}"

    return _item_action(item_id, "issue", run, ask="issue")


@bp.route(f"{ITEM}/delete", methods=["POST"])
@console_login_required(Role.supervisor)
def rectification_delete(item_id: uuid.UUID):
    def run(item):
        code = item.code
        operations.delete_draft(item, g.user)
        return f"草稿 {code} 已删除,相关问题已回到待分办"

    return _item_action(item_id, "delete", run, to_queue=True)


@bp.route(f"{ITEM}/return", methods=["POST"])
@console_login_required(Role.supervisor)
def rectification_return(item_id: uuid.UUID):
    def run(item):
        body = ReasonSchema().load(present(request.form, "reason"))
        workflow.return_item(item, body["reason"], g.user)
        return "已退回,单位继续整改"

    return _item_action(item_id, "return", run, kept=("reason",))


@bp.route(f"{ITEM}/verifications", methods=["POST"])
@console_login_required(Role.supervisor)
def rectification_verify(item_id: uuid.UUID):
    method = request.form.get("method", "")

    def run(item):
        names = ("method", "inspector_id", "instructions", "passed", "reason")
        body = VerificationCreateSchema().load(present(request.form, *names))
        if body["method"] == "field":
            verifying.assign_field_verification(item, body, g.user)
            return "已安排实地复查(回头看)"
        verifying.record_desk_verification(item, body, g.user)
        return "书面核查通过,事项已销号" if body["passed"] else "书面核查未通过,已退回单位"

    kept = ("inspector_id", "instructions", "reason")
    closing = method == "desk" and request.form.get("passed") == "true"
    return _item_action(item_id, f"verify-{method}", run, kept=kept, ask=closing and "close")


@bp.route(f"{ITEM}/verifications/<uuid:verification_id>/decision", methods=["POST"])
@console_login_required(Role.supervisor)
def verification_decide(item_id: uuid.UUID, verification_id: uuid.UUID):
    def run(item):
        body = VerificationDecisionSchema().load(present(request.form, "passed", "reason"))
        verifying.decide(item, forms.verification_of(item, verification_id), body, g.user)
        return "复查通过,事项已销号" if body["passed"] else "复查未通过,已退回单位"

    closing = request.form.get("passed") == "true"
    form = f"decide-{verification_id}"
    return _item_action(item_id, form, run, kept=("reason",), ask=closing and "close")


@bp.route(f"{ITEM}/verifications/<uuid:verification_id>/cancel", methods=["POST"])
@console_login_required(Role.supervisor)
def verification_cancel(item_id: uuid.UUID, verification_id: uuid.UUID):
    def run(item):
        verifying.cancel_verification(item, forms.verification_of(item, verification_id), g.user)
        return "已撤销复查"

    return _item_action(item_id, f"cancel-{verification_id}", run)


@bp.route(f"{ITEM}/extensions/<uuid:extension_id>/decision", methods=["POST"])
@console_login_required(Role.supervisor)
def extension_decide(item_id: uuid.UUID, extension_id: uuid.UUID):
    def run(item):
        body = ExtensionDecisionSchema().load(present(request.form, "approve", "reason"))
        extension = forms.extension_of(extension_id)
        workflow.decide_extension(item, extension, body, g.user)
        if body["approve"]:
            return f"已同意延期,完成时限调整为 {extension.requested_deadline.isoformat()}"
        return "已不同意延期"

    return _item_action(item_id, f"extension-{extension_id}", run, kept=("reason",))
