"""/console/points: the negative list (负面清单) for the office, its leaders and admins,
a unit's year, manual deductions and decisions on objections; /console/unit/points: the
unit's own entries and its one objection per entry. Forms load through schemas.py; a
refusal redraws the page with the message next to the field."""

from __future__ import annotations

import uuid

from flask import flash, g, redirect, request, url_for
from marshmallow import ValidationError

from server.console.kit import page, pages_blueprint, present, query_args, refusal
from server.console.session import console_login_required
from server.errors import ApiError, not_found
from server.extensions import db
from server.models import Role, Unit
from server.plans.queries import target_units
from server.points import operations, queries
from server.points.schemas import DecisionSchema, ListArgsSchema, ManualEntrySchema, ObjectionSchema
from server.rectification.queries import open_items_for_summons
from server.settings import get_setting
from server.timeutil import local_today

bp = pages_blueprint("points_pages", __name__)

READERS = (Role.supervisor, Role.leader, Role.admin)
MANUAL_FIELDS = ("unit_id", "points", "occurred_on", "rectification_id", "reason")
ITEMS_MAX = 500  # open items offered on the form (as on the summons form)


def _year() -> int:
    raw = request.args.get("year", "")
    return int(raw) if raw.isdigit() and 2000 <= int(raw) <= 2100 else local_today().year


@bp.route("/points")
@console_login_required(*READERS)
def points_list():
    raw, args, errors = query_args(ListArgsSchema())
    args = args if args is not None else {}
    if not args.get("month"):
        args.setdefault("year", local_today().year)
    return page(
        "points/list.html",
        422 if errors else 200,
        filters=raw,
        errors=errors,
        year=args.get("year") or args["month"].year,
        entries=queries.entries(g.user, args),
        totals=queries.totals(g.user, args),
        units=queries.units_with_entries(g.user),
        pending=queries.pending_objections(g.user),
        limit=queries.LIST_LIMIT,
    )


@bp.route("/points/units/<uuid:unit_id>")
@console_login_required(*READERS)
def points_unit(unit_id: uuid.UUID):
    unit = db.session.get(Unit, unit_id)
    if unit is None:
        raise not_found("单位不存在")
    year = _year()
    args = {"unit_id": unit.id, "year": year}
    return page(
        "points/unit.html",
        unit=unit,
        year=year,
        total=queries.unit_total(g.user, unit.id, year),
        entries=queries.entries(g.user, args),
    )


def _uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


def _manual_page(values: dict, errors=None, message=None, status=200):
    unit_id = _uuid(values.get("unit_id", ""))
    items = open_items_for_summons(g.user, unit_id, ITEMS_MAX)
    return page(
        "points/new.html", status, values=values, errors=errors or {}, message=message,
        units=target_units(), items=items, items_max=ITEMS_MAX,
        most=get_setting("points_manual_max"),
    )  # fmt: skip


@bp.route("/points/new")
@console_login_required(Role.supervisor)
def points_new():
    values = {k: "" for k in MANUAL_FIELDS}
    values.update(unit_id=request.args.get("unit_id", ""), occurred_on=str(local_today()))
    return _manual_page(values)


@bp.route("/points/new", methods=["POST"])
@console_login_required(Role.supervisor)
def points_create():
    values = {k: request.form.get(k, "").strip() for k in MANUAL_FIELDS}
    try:
        data = ManualEntrySchema().load(present(request.form, *MANUAL_FIELDS))
        entry = operations.add_manual(data, g.user)
    except (ValidationError, ApiError) as error:
        refused = refusal(error, values=values, once=True)
        return _manual_page(values, refused.errors, refused.message, refused.status)
    flash("已记录扣分,并已通知责任单位")
    return redirect(url_for("points_pages.points_unit", unit_id=entry.unit_id), 303)


def _entry_page(entry, refused=None):
    return page(
        "points/entry.html",
        refused.status if refused else 200,
        entry=entry,
        form=refused.as_dict() if refused else None,
    )


@bp.route("/points/<uuid:entry_id>")
@console_login_required(Role.supervisor)
def points_entry(entry_id: uuid.UUID):
    return _entry_page(operations.get_managed_entry(g.user, entry_id))


@bp.route("/points/<uuid:entry_id>/decision", methods=["POST"])
@console_login_required(Role.supervisor)
def points_decide(entry_id: uuid.UUID):
    entry = operations.get_managed_entry(g.user, entry_id)
    values = {k: request.form.get(k, "") for k in ("upheld", "decision_reason")}
    try:
        data = DecisionSchema().load(present(request.form, "upheld", "decision_reason"))
        operations.decide(entry, data["upheld"], data["decision_reason"], g.user)
    except (ValidationError, ApiError) as error:
        refused = refusal(error, "decision", values, once=True)
        return _entry_page(operations.get_managed_entry(g.user, entry_id), refused)
    flash("异议已处理,并已通知责任单位")
    return redirect(url_for("points_pages.points_entry", entry_id=entry_id), 303)


# ---- the unit's side ----


def _own_page(refused=None):
    year = _year()
    user = g.user
    return page(
        "points/mine.html",
        refused.status if refused else 200,
        year=year,
        total=queries.unit_total(user, user.unit_id, year),
        entries=queries.entries(user, {"year": year}),
        form=refused.as_dict() if refused else None,
    )


@bp.route("/unit/points")
@console_login_required(Role.responder)
def points_mine():
    return _own_page()


@bp.route("/unit/points/<uuid:entry_id>/objection", methods=["POST"])
@console_login_required(Role.responder)
def points_object(entry_id: uuid.UUID):
    entry = operations.get_own_entry(g.user, entry_id)
    values = {"objection": request.form.get("objection", "")}
    try:
        data = ObjectionSchema().load(present(request.form, "objection"))
        operations.object_to(entry, data["objection"], g.user)
    except (ValidationError, ApiError) as error:
        return _own_page(refusal(error, f"objection-{entry_id}", values, once=True))
    flash("异议已提交,督查室处理后会通知本单位")
    return redirect(url_for("points_pages.points_mine", year=entry.year) + f"#e-{entry_id}", 303)
