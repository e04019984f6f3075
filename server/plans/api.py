"""/api/plans: inspection plans, their draws and an office's yearly figures."""

from __future__ import annotations

import uuid

from flask_jwt_extended import current_user
from flask_smorest import Blueprint

from server.auth.guards import api_login_required
from server.models import Role
from server.plans import draws, operations, queries
from server.plans.access import audit_plan_read, get_visible_plan
from server.plans.schemas import (
    DrawCheckSchema,
    DrawRequestSchema,
    DrawSchema,
    FiguresArgsSchema,
    FiguresSchema,
    ListArgsSchema,
    PlanCreateSchema,
    PlanMergeSchema,
    PlanPageSchema,
    PlanSchema,
    PlanUpdateSchema,
    StatusChangeSchema,
)
from server.schemas import ErrorSchema
from server.timeutil import local_today

blp = Blueprint(
    "plans",
    __name__,
    url_prefix="/api/plans",
    description="督查计划:暗访计划在交办前只对督查组、本督查室和管理员可见",
)

NOT_VISIBLE = "Not found, or not visible to you (the two are indistinguishable)"


@blp.route("")
@api_login_required(blp)
@blp.arguments(ListArgsSchema, location="query")
@blp.response(200, PlanPageSchema)
def list_plans(args):
    """Plans you may see; the total counts only those."""
    return queries.list_plans(current_user, args)


@blp.route("", methods=["POST"])
@api_login_required(blp, Role.supervisor)
@blp.arguments(PlanCreateSchema)
@blp.response(201, PlanSchema)
@blp.alt_response(409, schema=ErrorSchema, description="Same matter and unit inspected lately")
@blp.alt_response(422, schema=ErrorSchema, description="A planning rule is not met")
def create_plan(body):
    """Create a draft plan for your office."""
    return operations.create_plan(body, current_user)


@blp.route("/figures")
@api_login_required(blp, Role.supervisor, Role.admin)
@blp.arguments(FiguresArgsSchema, location="query")
@blp.response(200, FiguresSchema)
@blp.alt_response(404, schema=ErrorSchema, description="No such office, or not yours")
def figures(args):
    """An office's yearly shares of unannounced, routine special and randomly drawn."""
    office = queries.figures_office(current_user, args.get("office_id"))
    return queries.yearly_figures(office, args.get("year") or local_today().year)


@blp.route("/<uuid:plan_id>")
@api_login_required(blp)
@blp.response(200, PlanSchema)
@blp.alt_response(404, schema=ErrorSchema, description=NOT_VISIBLE)
def get_plan(plan_id: uuid.UUID):
    """A plan with its team, sites, target units and draws. Every read is audited."""
    plan = get_visible_plan(current_user, plan_id)
    audit_plan_read(plan.id, current_user, "api")
    return plan


@blp.route("/<uuid:plan_id>", methods=["PATCH"])
@api_login_required(blp, Role.supervisor)
@blp.arguments(PlanUpdateSchema)
@blp.response(200, PlanSchema)
@blp.alt_response(404, schema=ErrorSchema, description=NOT_VISIBLE)
@blp.alt_response(409, schema=ErrorSchema, description="Edited meanwhile, locked, or repeated")
@blp.alt_response(422, schema=ErrorSchema, description="A planning rule is not met")
def update_plan(body, plan_id: uuid.UUID):
    """Change a plan (not once finished); `version` must be the one you edited."""
    return operations.update_plan(plan_id, body, current_user)


@blp.route("/<uuid:plan_id>/merge", methods=["POST"])
@api_login_required(blp, Role.supervisor)
@blp.arguments(PlanMergeSchema)
@blp.response(200, PlanSchema)
@blp.alt_response(404, schema=ErrorSchema, description=NOT_VISIBLE)
def merge_plan(body, plan_id: uuid.UUID):
    """Fold more targets and members into this plan (one inspection per matter)."""
    return operations.merge_into_plan(plan_id, body, current_user)


@blp.route("/<uuid:plan_id>/status", methods=["POST"])
@api_login_required(blp, Role.supervisor)
@blp.arguments(StatusChangeSchema)
@blp.response(200, PlanSchema)
@blp.alt_response(404, schema=ErrorSchema, description=NOT_VISIBLE)
@blp.alt_response(409, schema=ErrorSchema, description="Not allowed from the current status")
def change_status(body, plan_id: uuid.UUID):
    """draft → approved → active → finished → findings_issued (approved → draft withdraws)."""
    return operations.change_status(plan_id, body["status"], body["version"], current_user)


@blp.route("/<uuid:plan_id>/draws", methods=["POST"])
@api_login_required(blp, Role.supervisor)
@blp.arguments(DrawRequestSchema)
@blp.response(201, DrawSchema)
@blp.alt_response(404, schema=ErrorSchema, description=NOT_VISIBLE)
@blp.alt_response(422, schema=ErrorSchema, description="Not enough candidates")
def draw(body, plan_id: uuid.UUID):
    """双随机: draw N targets and M inspectors into a draft plan; the draw is recorded."""
    return draws.draw_for_plan(plan_id, body, current_user)


@blp.route("/<uuid:plan_id>/draws/<uuid:draw_id>/check")
@api_login_required(blp)
@blp.response(200, DrawCheckSchema)
@blp.alt_response(404, schema=ErrorSchema, description=NOT_VISIBLE)
def check_draw(plan_id: uuid.UUID, draw_id: uuid.UUID):
    """Re-run a recorded draw from its seed and inputs; `matches` says it gave the same."""
    return draws.check_draw(plan_id, draw_id, current_user)
