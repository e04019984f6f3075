"""/console/plans: the desk pages for inspection plans (督查计划).

Every rule lives in server/plans: forms load through the API's own schemas and call the
same operations; a refusal is shown in Chinese next to its field. A refused write is
rolled back before the page is drawn again; a page that shows a plan is an audited read,
so its audit event is kept even when the page answers with 409/422."""

from __future__ import annotations

import uuid
from datetime import timedelta

from flask import abort, g, redirect, request, url_for
from marshmallow import ValidationError

from server.clues.new_plan import clue_behind, create_plan_from
from server.clues.new_plan import plan_values as clue_plan_values
from server.clues.plan_sources import plan_sources
from server.console.kit import field_errors, flat_messages, page, pages_blueprint, refusal
from server.console.session import console_login_required
from server.errors import ApiError
from server.models import PlanStatus, Role
from server.plans import draws as plan_draws
from server.plans import operations, queries, rules
from server.plans.access import audit_plan_read, can_manage, get_managed_plan, get_visible_plan
from server.plans.draw import ALGORITHM
from server.plans.forms import (
    LISTS,
    SCALARS,
    choices,
    draw_candidates,
    draw_data,
    form_data,
    form_values,
    plan_values,
)
from server.plans.schemas import (
    DrawRequestSchema,
    FiguresArgsSchema,
    ListArgsSchema,
    PlanCreateSchema,
    PlanMergeSchema,
    PlanUpdateSchema,
    StatusChangeSchema,
)
from server.settings import get_setting
from server.timeutil import local_today
from server.transaction import keep_writes_on_error

bp = pages_blueprint("plan_pages", __name__)

# The status buttons, in the order a plan goes through them.
ACTIONS = {
    PlanStatus.approved: "批准",
    PlanStatus.active: "开始实施",
    PlanStatus.finished: "结束",
    PlanStatus.findings_issued: "交办问题(标记已交办)",
    PlanStatus.draft: "撤回为草稿",
}


def _viewed(plan_id: uuid.UUID):
    plan = get_visible_plan(g.user, plan_id)
    audit_plan_read(plan.id, g.user, "console")
    return plan


def _managed(plan_id: uuid.UUID):
    plan = get_visible_plan(g.user, plan_id)
    if not can_manage(g.user, plan):
        abort(403)
    return plan


def _refused(error: Exception, plan_id: uuid.UUID | None = None):
    """Undo the refused operation (the kit's refusal); when the page shows the plan again,
    audit that read and keep only it (nothing of the refused operation is left to commit)."""
    refusal(error)
    if plan_id is None:
        return None
    plan = _viewed(plan_id)
    keep_writes_on_error()
    return plan


# ---- list and figures ----


@bp.route("/plans")
@console_login_required()
def plan_list():
    raw = {k: v.strip() for k, v in request.args.items() if v.strip()}
    try:
        args, errors = ListArgsSchema().load(raw), {}
    except ValidationError as error:
        args, errors = None, field_errors(error.messages)
    result = queries.list_plans(g.user, args) if args is not None else None
    pages = -(-result["total"] // result["per_page"]) if result else 0
    filters = {k: v for k, v in raw.items() if k != "page"}
    return page(
        "plans/list.html",
        422 if errors else 200,
        result=result,
        pages=pages,
        filters=filters,
        errors=errors,
    )


@bp.route("/plans/figures")
@console_login_required(Role.supervisor, Role.admin)
def plan_figures():
    raw = {k: v for k, v in request.args.items() if v}
    try:
        args, errors = FiguresArgsSchema().load(raw), {}
    except ValidationError as error:
        args, errors = {}, field_errors(error.messages)
    office = queries.figures_office(g.user, args.get("office_id"))
    year = args.get("year") or local_today().year
    offices = queries.offices() if g.user.role == Role.admin else []
    this_year = local_today().year
    years = sorted({year, *range(this_year - 5, this_year + 2)}, reverse=True)
    return page(
        "plans/figures.html",
        422 if errors else 200,
        figures=queries.yearly_figures(office, year),
        office=office,
        offices=offices,
        years=years,
        errors=errors,
    )


# ---- the plan form (create and edit) ----


def _render_form(
    plan=None, values=None, errors=None, error=None, merge=None, status=200, clue=None
):
    conflicts = error.details.get("conflicts") if error else None
    fields = {**(error.details.get("fields", {}) if error else {}), **(errors or {})}
    return page(
        "plans/form.html",
        status,
        plan=plan,
        values=values,
        errors=field_errors(fields),
        message=error.message if error else ("表单有误,请按提示修改" if errors else None),
        conflicts=conflicts,
        merge=merge,
        clue=clue,
        choices=choices(g.user.unit_id, plan),
        locked=plan is not None and plan.status not in operations.EDITABLE,
        lead_days=get_setting("open_filing_lead_days"),
        earliest=local_today() + timedelta(days=get_setting("open_filing_lead_days")),
        period_days=get_setting("matter_repeat_period_days"),
        min_reason=rules.MIN_JUSTIFICATION,
    )


@bp.route("/plans/new", methods=["GET", "POST"])
@console_login_required(Role.supervisor)
def plan_new():
    # 以此线索新建计划: the clue's page links here with clue_id, the form carries it on.
    clue = clue_behind(g.user, request.values.get("clue_id"))
    if request.method == "GET":
        values = {k: set() if k in LISTS else "" for k in (*SCALARS, *LISTS, "leader_id")}
        values.update(clue_plan_values(clue) if clue else {})
        return _render_form(values=values, clue=clue)
    values = form_values(request.form)
    try:
        data = PlanCreateSchema().load(form_data(request.form))
        if clue is None:
            plan = operations.create_plan(data, g.user)
        else:  # the plan's page then lists the clue under 线索来源
            plan = create_plan_from(clue, data, g.user)
    except ValidationError as error:
        return _render_form(values=values, errors=error.messages, status=422, clue=clue)
    except ApiError as error:
        _refused(error)
        merge = None
        if error.code == "matter_repeated":
            merge = {k: [str(i) for i in data.get(k, [])] for k in LISTS}
            merge["note"] = f"新建计划时并入:{data['title']}"
        return _render_form(values=values, error=error, merge=merge, status=error.status, clue=clue)
    return redirect(url_for("plan_pages.plan_detail", plan_id=plan.id), 303)


@bp.route("/plans/<uuid:plan_id>/edit", methods=["GET", "POST"])
@console_login_required(Role.supervisor)
def plan_edit(plan_id: uuid.UUID):
    plan = _managed(plan_id)
    if request.method == "GET":
        audit_plan_read(plan.id, g.user, "console")
        return _render_form(plan, plan_values(plan))
    values = form_values(request.form)
    try:
        data = PlanUpdateSchema().load(form_data(request.form))
        operations.update_plan(plan.id, data, g.user)
    except ValidationError as error:
        return _render_form(_refused(None, plan_id), values, error.messages, status=422)
    except ApiError as error:
        return _render_form(_refused(error, plan_id), values, error=error, status=error.status)
    return redirect(url_for("plan_pages.plan_detail", plan_id=plan.id), 303)


@bp.route("/plans/<uuid:plan_id>/merge", methods=["POST"])
@console_login_required(Role.supervisor)
def plan_merge(plan_id: uuid.UUID):
    get_managed_plan(g.user, plan_id)  # a foreign plan is a 404 whatever the form holds
    raw = {k: request.form.getlist(k) for k in LISTS}
    if request.form.get("note", "").strip():
        raw["note"] = request.form["note"].strip()
    try:
        data = PlanMergeSchema().load(raw)
    except ValidationError as error:
        raise ApiError(422, message=";".join(flat_messages(error.messages))) from None
    operations.merge_into_plan(plan_id, data, g.user)
    return redirect(url_for("plan_pages.plan_detail", plan_id=plan_id), 303)


# ---- detail and status ----


def _render_detail(plan, message=None, status=200):
    manage = can_manage(g.user, plan)
    allowed = operations.TRANSITIONS[plan.status] if manage else set()
    people = queries.users_by_id({plan.created_by_id, plan.approved_by_id})
    return page(
        "plans/detail.html",
        status,
        plan=plan,
        manage=manage,
        message=message,
        actions=[(s, label) for s, label in ACTIONS.items() if s in allowed],
        editable=manage and plan.status in operations.EDITABLE,
        drawable=manage and plan.status == PlanStatus.draft,
        people=people,
        names=queries.draw_names(plan.draws),
        clue_sources=plan_sources(plan) if manage else None,  # the office's only
    )


@bp.route("/plans/<uuid:plan_id>")
@console_login_required()
def plan_detail(plan_id: uuid.UUID):
    return _render_detail(_viewed(plan_id))


@bp.route("/plans/<uuid:plan_id>/status", methods=["POST"])
@console_login_required(Role.supervisor)
def plan_status(plan_id: uuid.UUID):
    raw = {k: request.form.get(k, "") for k in ("status", "version")}
    try:
        body = StatusChangeSchema().load(raw)
        operations.change_status(plan_id, body["status"], body["version"], g.user)
    except ValidationError as error:
        message = ";".join(flat_messages(error.messages))
        return _render_detail(_refused(None, plan_id), message, 422)
    except ApiError as error:
        return _render_detail(_refused(error, plan_id), error.message, error.status)
    return redirect(url_for("plan_pages.plan_detail", plan_id=plan_id), 303)


# ---- 双随机 draws ----


def _render_draw(plan, values, errors=None, message=None, status=200):
    candidates = draw_candidates()
    if values is None:
        ticked = {str(c.id) for group in candidates.values() for c in group}
        values = {"pool": "site", "targets": "1", "inspectors": "0", "seed": "", "ticked": ticked}
    return page(
        "plans/draw.html",
        status,
        plan=plan,
        values=values,
        candidates=candidates,
        errors=field_errors(errors or {}),
        message=message,
        names=queries.draw_names(plan.draws),
        algorithm=ALGORITHM,
        recent_days=get_setting("draw_recent_days"),
    )


@bp.route("/plans/<uuid:plan_id>/draw", methods=["GET", "POST"])
@console_login_required(Role.supervisor)
def plan_draw(plan_id: uuid.UUID):
    plan = _managed(plan_id)
    if request.method == "GET":
        audit_plan_read(plan.id, g.user, "console")
        return _render_draw(plan, None)
    form = request.form
    values = {k: form.get(k, "") for k in ("pool", "targets", "inspectors", "seed")}
    values["ticked"] = {i for k in form if k.startswith("candidate_") for i in form.getlist(k)}
    try:
        data = DrawRequestSchema().load(draw_data(form, draw_candidates()))
        plan_draws.draw_for_plan(plan.id, data, g.user)
    except ValidationError as error:
        plan = _refused(None, plan_id)
        return _render_draw(plan, values, error.messages, "表单有误,请按提示修改", 422)
    except ApiError as error:
        plan = _refused(error, plan_id)
        return _render_draw(plan, values, error.details.get("fields"), error.message, error.status)
    return redirect(url_for("plan_pages.plan_detail", plan_id=plan_id), 303)


@bp.route("/plans/<uuid:plan_id>/draws/<uuid:draw_id>/check")
@console_login_required()
def plan_draw_check(plan_id: uuid.UUID, draw_id: uuid.UUID):
    plan = _viewed(plan_id)
    check = plan_draws.check_draw(plan.id, draw_id, g.user)
    draw = check["draw"]
    names = queries.draw_result_names(str(draw.pool), [draw.result, check["rerun_result"]])
    return page("plans/check.html", plan=plan, check=check, draw=draw, names=names)
