"""/console/dashboard…: each role's figures (charts with their numbers as tables).

The figures come from server/dashboards/queries.py and item_figures.py (counts in SQL,
in the reader's sight); this module only turns them into chart specifications: the
template draws each as an accessible table (the page without JavaScript), and
dashboards.js draws the same numbers with ECharts from the page's JSON data island. Every
number links to the ledger, the triage queue or (for a responsible unit) the unit's own
list, filtered to exactly the items behind it."""

from __future__ import annotations

import uuid
from datetime import date
from urllib.parse import urlencode

from flask import g, url_for

from server import glossary
from server.console.kit import page, pages_blueprint, query_args
from server.console.session import console_login_required
from server.dashboards import item_figures, queries
from server.dashboards.clue_charts import clue_charts
from server.dashboards.schemas import DashboardArgsSchema
from server.models import Role
from server.rectification import queries as items
from server.timeutil import local_today

bp = pages_blueprint("dashboard_pages", __name__)

VIEWERS = (Role.supervisor, Role.leader, Role.responder, Role.admin)
UNIT_LIST_MAX = 200  # items on the unit's drill-down list
TARGETS = {
    "ledger": "ledger_pages.ledger",
    "triage": "finding_pages.triage_queue",
    "unit": "dashboard_pages.unit_items",
    "clues": "clue_pages.clue_list",
}
PERCENT = "percent"
# What werkzeug's url_for leaves unescaped in a query (werkzeug.urls._urlencode).
QUERY_SAFE = "!$'()*,/:;?@"


def query_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date | uuid.UUID):
        return str(value)
    return str(value)


def link(cell: dict, target: str | None = None) -> str | None:
    """The URL of the list behind a number (None: no list to open)."""
    target = target or cell.get("target")
    if not target or cell.get("filters") is None:
        return None
    params = [(k, query_value(v)) for k, v in cell["filters"].items() if v is not None]
    base = target_url(target)
    return f"{base}?{urlencode(params, safe=QUERY_SAFE)}" if params else base


def target_url(target: str) -> str:
    """The list's path, built once per request: the supervisor's page has thousands of
    links, and url_for per link was half of its time (bench/dashboards.py). The query
    is encoded as url_for encodes it, so the links are the same."""
    bases = g.setdefault("dashboard_targets", {})
    if target not in bases:
        bases[target] = url_for(TARGETS[target])
    return bases[target]


def series(name: str, cells: list[dict], target: str | None = None, chart=True) -> dict:
    return {
        "name": name,
        "values": [c["count"] for c in cells],
        "links": [link(c, target) for c in cells],
        "chart": chart,
    }


def rates(name: str, values: list) -> dict:
    return {
        "name": name,
        "values": values,
        "links": [None] * len(values),
        "chart": False,
        "format": PERCENT,
    }


def chart(
    id_: str,
    title: str,
    kind: str,
    head: str,
    categories: list,
    rows: list,
    stacked: bool = False,
    note: str = "",
) -> dict:
    total = sum(v or 0 for s in rows if s.get("format") != PERCENT for v in s["values"])
    return {
        "id": id_,
        "title": title,
        "type": kind,
        "head": head,
        "categories": categories,
        "series": rows,
        "stacked": stacked,
        "empty": total == 0,
        "note": note,
    }


def week_label(span: tuple) -> str:
    start, end = span
    return f"{start:%m-%d}—{end:%m-%d}"


def colour_charts(figures: dict, target: str | None = None) -> list[dict]:
    names = [glossary.COLOURS[c] for c in items.COLOURS]
    cells = figures["colours"]
    charts = [
        chart(
            "colours",
            "整改事项按颜色",
            "bar",
            "颜色",
            names,
            [
                series("事项数", [cells[c]["all"] for c in items.COLOURS], target),
                series(
                    glossary.LISTED["true"], [cells[c]["listed"] for c in items.COLOURS], target
                ),
            ],
        ),
        chart(
            "statuses",
            "整改事项按状态",
            "bar",
            "状态",
            [glossary.RECTIFICATION_STATUSES[s] for s in figures["statuses"]],
            [series("事项数", list(figures["statuses"].values()), target)],
        ),
    ]
    return charts


def group_chart(id_: str, title: str, head: str, groups: list[dict]) -> dict:
    return chart(
        id_,
        title,
        "bar",
        head,
        [g_["label"] for g_ in groups],
        [
            series("事项数", [g_["total"] for g_ in groups]),
            series("已销号", [g_["closed"] for g_ in groups]),
            series("按期销号", [g_["on_time"] for g_ in groups], chart=False),
            series("超期未办结", [g_["overdue"] for g_ in groups]),
            rates("销号率", [g_["closure_rate"] for g_ in groups]),
            rates("按期销号率", [g_["on_time_rate"] for g_ in groups]),
        ],
        note="销号率 = 已销号 ÷ 事项数;按期销号率 = 按期销号 ÷ 已销号。",
    )


def supervisor_charts(figures: dict) -> list[dict]:
    closed, findings, activity = figures["closed"], figures["findings"], figures["activity"]
    weeks = [week_label(w) for w in closed["weeks"]]
    verified = figures["verifications"]
    charts = colour_charts(figures)
    charts += [
        group_chart("units", "按责任单位", "责任单位", figures["units"]),
        group_chart("regions", "按乡镇(区域代码)", "区域代码", figures["regions"]),
        chart(
            "closed", "每周销号事项", "line", "周", weeks, [series("销号事项", closed["closed"])]
        ),
        chart(
            "findings",
            "每周新发现问题(按分办状态)",
            "bar",
            "周",
            weeks,
            [
                series(glossary.TRIAGE_STATUSES[s], cells)
                for s, cells in findings["by_status"].items()
            ]
            + [series("合计", findings["total"], chart=False)],
            stacked=True,
        ),
        chart(
            "verifications",
            "回头看结果(期间内作出结论的事项)",
            "bar",
            "结论",
            [glossary.VERIFICATION_STATUSES["passed"], glossary.VERIFICATION_STATUSES["failed"]],
            [series("事项数", [verified["passed"], verified["failed"]])],
            note="“复查未通过”的事项已退回责任单位继续整改。",
        ),
        chart(
            "activity",
            "外勤工作量(每周)",
            "line",
            "周",
            weeks,
            [
                plain("到场签到", activity["visits"]),
                plain("发现问题", activity["findings"]),
                plain("照片", activity["photos"]),
                plain("照片处理失败", activity["photos_failed"]),
            ],
        ),
    ]
    return charts


def plain(name: str, values: list[int]) -> dict:
    return {"name": name, "values": values, "links": [None] * len(values), "chart": True}


def leader_charts(figures: dict) -> list[dict]:
    waiting = figures["waiting"]
    labels = {
        "red": glossary.COLOURS["red"] + "事项",
        "listed_open": "挂牌督办(未销号)",
        "overdue": "超期未办结",
        "closure_requested": "申请销号待复查",
        "extension_pending": "延期申请待审批",
    }
    charts = [
        chart(
            "waiting",
            "需要您关注的事项",
            "bar",
            "事项",
            list(labels.values()),
            [series("事项数", [waiting[k] for k in labels])],
        )
    ]
    charts += colour_charts(figures)
    charts.append(group_chart("units", "按责任单位", "责任单位", figures["units"]))
    weeks = [week_label(w) for w in figures["closed"]["weeks"]]
    charts.append(
        chart(
            "closed",
            "每周销号事项",
            "line",
            "周",
            weeks,
            [series("销号事项", figures["closed"]["closed"])],
        )
    )
    return charts


def responder_charts(figures: dict) -> list[dict]:
    due = figures["due"]
    spans = due["spans"]
    labels = {
        "this_week": f"本周到期({spans['this_week'][0]:%m-%d}—{spans['this_week'][1]:%m-%d})",
        "next_week": f"下周到期({spans['next_week'][0]:%m-%d}—{spans['next_week'][1]:%m-%d})",
        "overdue": "已超期未办结",
    }
    charts = [
        chart(
            "due",
            "完成时限临近的事项(未销号)",
            "bar",
            "时限",
            list(labels.values()),
            [series("事项数", [due[k] for k in labels], "unit")],
        )
    ]
    return charts + colour_charts(figures, "unit")


def island(charts: list[dict]) -> dict:
    """What dashboards.js reads: the chart specifications, JSON-safe."""
    return {
        "charts": [
            {
                **{k: c[k] for k in ("id", "title", "type", "categories", "stacked")},
                "series": [s for s in c["series"] if s["chart"]],
            }
            for c in charts
            if not c["empty"]
        ]
    }


def filter_values(raw: dict) -> dict:
    return {k: v for k, v in raw.items() if k in DashboardArgsSchema().fields}


@bp.route("/dashboard")
@console_login_required(*VIEWERS)
def dashboard():
    user, today = g.user, local_today()
    if user.role == Role.responder:
        figures = queries.responder_dashboard(user, today)
        charts = responder_charts(figures)
        return page(
            "dashboards/dashboard.html",
            charts=charts,
            data=island(charts),
            figures=figures,
            raw={},
            errors={},
            choices=None,
            office=False,
        )
    raw, args, errors = query_args(DashboardArgsSchema())
    office = item_figures.is_office(user)
    figures, charts, clues = None, [], []
    if args is not None:
        if office:
            figures = queries.supervisor_dashboard(user, args, today)
            charts = supervisor_charts(figures)
            if figures["clues"] is not None:
                clues = clue_charts(figures["clues"])
        else:
            figures = queries.leader_dashboard(user, args, today)
            charts = leader_charts(figures)
    return page(
        "dashboards/dashboard.html",
        422 if errors else 200,
        charts=charts,
        clue_charts=clues,
        data=island(charts + clues),
        figures=figures,
        raw=raw,
        errors=errors,
        choices=items.filter_choices(user),
        office=office,
        kinds=glossary.PLAN_KINDS,
    )


@bp.route("/dashboard/items")
@console_login_required(Role.responder)
def unit_items():
    """The responsible unit's drill-down: its own items behind a number of its dashboard,
    through the ledger's query and filters (its sight: its unit's issued items)."""
    raw, args, errors = query_args(items.ledger_filters_schema())
    result, rows = None, []
    if args is not None:
        result = items.ledger(g.user, {**args, "per_page": UNIT_LIST_MAX})
        rows = result["items"]
    return page(
        "dashboards/unit_items.html",
        422 if errors else 200,
        result=result,
        rows=rows,
        errors=errors,
        limit=UNIT_LIST_MAX,
    )


@bp.app_template_global("dashboard_headline")
def dashboard_headline(user) -> dict:
    """A few counts for the start pages (server/console/templates/start_*.html)."""
    return queries.headline(user, local_today())
