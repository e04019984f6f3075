"""/console/ledger, /console/three-lists, /console/summons and /console/notifications:
the ledger (工作台账) with its colours, the three lists (三个清单), summons (约谈) and
the user's notifications (提醒).

Every rule lives in server/rectification: the query string loads through the API's own
schemas, the same queries scope and colour the items, and a summons is recorded by the
same operation as over the API. These views only draw what those return."""

from __future__ import annotations

import uuid
from datetime import datetime

from flask import Response, g, redirect, request, url_for
from marshmallow import ValidationError

from server import glossary
from server.console.kit import page, pages_blueprint, query_args, refusal
from server.console.session import console_login_required
from server.csvfile import csv_text
from server.errors import ApiError
from server.models import Rectification, Role, User
from server.plans.access import load_plan
from server.plans.queries import target_units
from server.rectification import instructions, queries, reminders, views
from server.rectification.colour import COLOURS, RED, ColourRules
from server.rectification.colour import red_reasons as reasons_of
from server.rectification.notify import inbox, mark_all_read
from server.rectification.schemas import (
    LedgerArgsSchema,
    SummonsCreateSchema,
    ThreeListsArgsSchema,
)
from server.settings import get_setting
from server.timeutil import CHINA, local_today

bp = pages_blueprint("ledger_pages", __name__)

VIEWERS = (Role.supervisor, Role.leader, Role.admin)
EXPORT_MAX = 50_000  # rows in one CSV download of the ledger
EXPORT_CHUNK = 1000
SUMMONS_FIELDS = ("unit_id", "rectification_id", "held_on", "person", "reason")
SUMMONS_ITEMS_MAX = 500  # open items offered on the summons form
HEADERS = {  # CSV and table headers, split on spaces
    "ledger": "编号 挂牌督办 标题 问题 责任单位 区域代码 牵头领导 完成时限 状态 颜色 红色原因 "
    "进度(%) 退回次数",
    "problems": "编号 标题 问题 责任单位 挂牌督办",
    "measures": "编号 整改措施 整改要求 完成时限",
    "responsibility": "编号 牵头领导 责任单位 配合单位 责任人 完成时限",
}
LIST_TITLES = {"problems": "问题清单", "measures": "措施清单", "responsibility": "责任清单"}


def cadence(days: int) -> str:
    return {7: "每周", 30: "每月"}.get(days, f"每 {days} 天")


def _deadline(value, confirmed: bool = True) -> str:
    if value is None:
        return "—"
    return value.isoformat() + ("" if confirmed else "(待确认)")


def _csv(filename: str, header, rows) -> Response:
    response = Response(csv_text(header, rows), content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _export_args(schema) -> dict:
    _, args, errors = query_args(schema)
    if args is None:
        raise ApiError(422, message="筛选条件有误:" + ";".join(sum(errors.values(), [])))
    return args


def _stamp() -> str:
    return datetime.now(CHINA).strftime("%Y%m%d-%H%M")


# ---- the ledger (工作台账) ----


def _ledger_row(item: Rectification, today, rules: ColourRules) -> dict:
    row = views.summary(item, today)
    reasons = reasons_of(item, today, rules) if row["colour"] == RED else []
    row["reasons"] = [glossary.RED_REASONS.get(r, r) for r in reasons]
    return row


@bp.route("/ledger")
@console_login_required(*VIEWERS)
def ledger():
    raw, args, errors = query_args(LedgerArgsSchema())
    result, counts, rows = None, None, []
    if args is not None:
        result = queries.ledger(g.user, args)
        counts = queries.colour_counts(g.user, args, result["today"])
        rules = ColourRules.current()
        rows = [_ledger_row(i, result["today"], rules) for i in result["items"]]
        marks = instructions.open_marks([r["id"] for r in rows], result["today"])
        for row in rows:
            row["instruction"] = marks.get(row["id"])
    pages = -(-result["total"] // result["per_page"]) if result else 0
    return page(
        "ledger/ledger.html",
        422 if errors else 200,
        result=result,
        rows=rows,
        counts=counts,
        colours=COLOURS,
        pages=pages,
        filters={k: v for k, v in raw.items() if k != "page"},
        errors=errors,
        choices=queries.filter_choices(g.user),
        follow={c: cadence(int(get_setting(f"{c}_follow_days"))) for c in ("red", "yellow")},
        export_max=EXPORT_MAX,
    )


@bp.route("/ledger/export.csv")
@console_login_required(*VIEWERS)
def ledger_export():
    """The filtered ledger, every page (up to EXPORT_MAX rows), in the ledger's order."""
    args = _export_args(LedgerArgsSchema())
    rules, rows, page = ColourRules.current(), [], 1
    while len(rows) < EXPORT_MAX:
        chunk = queries.ledger(g.user, {**args, "page": page, "per_page": EXPORT_CHUNK})
        for item in chunk["items"][: EXPORT_MAX - len(rows)]:
            r = _ledger_row(item, chunk["today"], rules)
            rows.append(
                (
                    r["code"],
                    "是" if r["listed"] else "否",
                    r["title"],
                    r["problem"],
                    r["unit"]["name"],
                    r["region_code"],
                    r["lead_official"]["name"] if r["lead_official"] else "",
                    _deadline(r["deadline"], r["deadline_confirmed"]),
                    r["status_label"],
                    glossary.COLOURS.get(r["colour"], "未上台账"),
                    "、".join(r["reasons"]),
                    r["progress_percent"],
                    r["return_count"],
                )
            )
        if len(chunk["items"]) < EXPORT_CHUNK:
            break
        page += 1
    return _csv(f"ledger-{_stamp()}.csv", HEADERS["ledger"].split(), rows)


# ---- the three lists (三个清单) ----


def _scope(args: dict) -> str:
    parts = []
    if args.get("plan_id"):  # named only to who may see it (a plan may be secret)
        plan = load_plan(args["plan_id"], g.user)
        parts.append(f"督查计划 {plan.code} {plan.title}" if plan else "所选督查计划")
    if args.get("unit_id"):
        unit = queries.unit(args["unit_id"])
        parts.append(f"责任单位 {unit.name}" if unit else "所选单位")
    if args.get("status"):
        parts.append("状态 " + glossary.RECTIFICATION_STATUSES[args["status"]])
    return ",".join(parts) or "全部事项"


def list_rows(name: str, lists: dict) -> list[tuple]:
    """One of the three lists as rows of text (the page and its CSV; HEADERS[name])."""
    if name == "problems":
        return [
            (
                r["code"],
                r["title"],
                r["problem"],
                r["unit"],
                glossary.LISTED["true"] if r["listed"] else "",
            )
            for r in lists["problems"]
        ]
    if name == "measures":
        return [
            (
                r["code"],
                r["measures"],
                r["requirements"],
                _deadline(r["deadline"], r["deadline_confirmed"]),
            )
            for r in lists["measures"]
        ]
    return [
        (
            r["code"],
            r["lead_official"] or "",
            r["unit"],
            "、".join(r["supporting_units"]),
            r["responsible_person"],
            _deadline(r["deadline"], r["deadline_confirmed"]),
        )
        for r in lists["responsibility"]
    ]


@bp.route("/three-lists")
@console_login_required(*VIEWERS)
def three_lists():
    raw, args, errors = query_args(ThreeListsArgsSchema())
    lists = queries.three_lists(g.user, args) if args is not None else None
    tables = {n: (HEADERS[n].split(), list_rows(n, lists)) for n in LIST_TITLES} if lists else {}
    return page(
        "ledger/three_lists.html",
        422 if errors else 200,
        lists=lists,
        list_titles=LIST_TITLES,
        tables=tables,
        scope=_scope(args) if args is not None else "",
        filters=raw,
        errors=errors,
        choices=queries.filter_choices(g.user),
        limit=queries.THREE_LISTS_MAX,
    )


@bp.route("/three-lists/<any(problems, measures, responsibility):name>.csv")
@console_login_required(*VIEWERS)
def three_lists_export(name: str):
    rows = list_rows(name, queries.three_lists(g.user, _export_args(ThreeListsArgsSchema())))
    return _csv(f"{name}-{_stamp()}.csv", HEADERS[name].split(), rows)


# ---- summons (约谈) ----


def _uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


def _summons_page(values: dict, errors=None, message=None, status=200):
    user = g.user
    records = reminders.summons_for(user)
    codes = queries.names_by_id(
        Rectification.id, Rectification.code, {s.rectification_id for s in records}
    )
    recorders = queries.names_by_id(User.id, User.display_name, {s.recorded_by_id for s in records})
    units, items = [], []
    if user.role == Role.supervisor:
        units = target_units()
        unit_id = _uuid(values.get("unit_id", ""))
        items = queries.open_items_for_summons(user, unit_id, SUMMONS_ITEMS_MAX)
    return page(
        "ledger/summons.html",
        status,
        records=records,
        codes=codes,
        recorders=recorders,
        units=units,
        items=items,
        items_max=SUMMONS_ITEMS_MAX,
        values=values,
        errors=errors or {},
        message=message,
        recorded=request.args.get("recorded") == "1",
    )


@bp.route("/summons")
@console_login_required(Role.supervisor, Role.responder, Role.admin)
def summons_list():
    values = {k: "" for k in SUMMONS_FIELDS}
    values.update(unit_id=request.args.get("unit_id", "").strip(), held_on=str(local_today()))
    return _summons_page(values)


@bp.route("/summons/new", methods=["POST"])
@console_login_required(Role.supervisor)
def summons_new():
    values = {k: request.form.get(k, "").strip() for k in SUMMONS_FIELDS}
    try:
        data = SummonsCreateSchema().load({k: v for k, v in values.items() if v})
        reminders.record_summons(data, g.user)
    except (ValidationError, ApiError) as error:
        refused = refusal(error, values=values)
        return _summons_page(values, refused.errors, refused.message, refused.status)
    return redirect(url_for("ledger_pages.summons_list", recorded=1), 303)


# ---- notifications (提醒) ----


@bp.route("/notifications")
@console_login_required()
def notifications():
    return page("ledger/notifications.html", box=inbox(g.user))


@bp.route("/notifications/read", methods=["POST"])
@console_login_required()
def notifications_read():
    mark_all_read(g.user)
    return redirect(url_for("ledger_pages.notifications"), 303)
