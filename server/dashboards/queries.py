"""Each role's dashboard (supervisor and admin, lead official, responsible unit; the start
pages' headline), put together from the item figures (dashboards.item_figures) and the
office's own figures, kept here: new findings per week by triage status, counted through
the triage queue's office scope (findings.operations.office_findings) and the triage
filters; field activity (check-ins, findings, photos taken and photos whose processing
failed, per week) of the office's plans; and the year's compliance with the policy floors,
as the plans domain counts it. docs/dashboards.md says what each figure means."""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import date

from sqlalchemy import func, select

from server.clues.figures import clue_figures
from server.dashboards.item_figures import (
    Period,
    closed_per_week,
    colours,
    due_soon,
    item_filters,
    item_states,
    per_week,
    period_of,
    verifications,
    waiting_for_leader,
)
from server.extensions import db
from server.findings.operations import office_findings
from server.models import ContentStatus, Finding, Photo, Plan, Role, TriageStatus, User, Visit
from server.plans import queries as plan_queries
from server.rectification import queries as items

COMPLIANCE = ("unannounced", "routine_special", "random_targets")


# ---- the office's own figures: findings, field activity, plans ----


def _findings(user: User, args: dict):
    """The findings the reader's triage queue holds (the office's; every one for an
    admin), narrowed by plan and kind."""
    if user.role == Role.admin:
        query = select(Finding).join(Plan, Plan.id == Finding.plan_id)
        query = query.where(Finding.deleted_at.is_(None))
    else:
        query = office_findings(user)
    if args.get("plan_id"):
        query = query.where(Finding.plan_id == args["plan_id"])
    if args.get("kind"):
        query = query.where(Plan.kind == args["kind"])
    return query


def findings_per_week(user: User, args: dict, period: Period) -> dict:
    """New findings per week (by when they were observed), by triage status."""
    weeks = period.weeks()
    day = items.local_day(Finding.observed_at)
    scope = _findings(user, args).where(
        *items.between_days(Finding.observed_at, period.start, period.end)
    )
    rows = db.session.execute(
        scope.with_only_columns(day, Finding.triage_status, func.count()).group_by(
            day, Finding.triage_status
        )
    ).all()
    by_status = defaultdict(list)
    for d, status, n in rows:
        by_status[str(status)].append((d, n))
    triage = {k: args[k] for k in ("plan_id",) if args.get(k)}
    if args.get("kind"):
        triage["plan_kind"] = args["kind"]
    target = "triage" if user.role == Role.supervisor else None
    series = {}
    for status in TriageStatus:
        counts = per_week(by_status.get(status.value, []), weeks)
        series[status.value] = [
            {
                "count": n,
                "filters": {**triage, "status": status.value, "observed_from": a, "observed_to": b},
                "target": target,
            }
            for n, (a, b) in zip(counts, weeks, strict=True)
        ]
    totals = [
        {
            "count": sum(series[s.value][i]["count"] for s in TriageStatus),
            "filters": {**triage, "status": "all", "observed_from": a, "observed_to": b},
            "target": target,
        }
        for i, (a, b) in enumerate(weeks)
    ]
    return {"weeks": weeks, "by_status": series, "total": totals}


def _office_plans(user: User, args: dict):
    query = select(Plan.id)
    if user.role != Role.admin:
        query = query.where(Plan.office_unit_id == user.unit_id)
    if args.get("plan_id"):
        query = query.where(Plan.id == args["plan_id"])
    if args.get("kind"):
        query = query.where(Plan.kind == args["kind"])
    return query


def field_activity(user: User, args: dict, period: Period, findings: dict) -> dict:
    """Per week: check-ins (签到), findings (from findings_per_week), photos taken and
    photos whose processing failed, of the office's plans."""
    weeks, plans = period.weeks(), _office_plans(user, args)
    visit_day = items.local_day(Visit.arrived_at)
    visits = db.session.execute(
        select(visit_day, func.count())
        .where(
            Visit.plan_id.in_(plans),
            Visit.deleted_at.is_(None),
            *items.between_days(Visit.arrived_at, period.start, period.end),
        )
        .group_by(visit_day)
    ).all()
    photo_day = items.local_day(Photo.captured_at)
    photos = db.session.execute(
        select(
            photo_day,
            func.count(),
            func.count().filter(Photo.content_status == ContentStatus.failed),
        )
        .where(
            Photo.plan_id.in_(plans),
            Photo.deleted_at.is_(None),
            *items.between_days(Photo.captured_at, period.start, period.end),
        )
        .group_by(photo_day)
    ).all()
    return {
        "weeks": weeks,
        "visits": per_week(visits, weeks),
        "findings": [c["count"] for c in findings["total"]],
        "photos": per_week([(d, n) for d, n, _ in photos], weeks),
        "photos_failed": per_week([(d, f) for d, _, f in photos], weeks),
    }


def compliance(user: User, year: int) -> dict:
    """The year's inspection ratios against the policy floors, as the plans domain counts
    them (plans.queries.yearly_figures), with the shortfall: how many more plans (or
    drawn targets) at that total would meet the floor."""
    figures = plan_queries.yearly_figures(plan_queries.figures_office(user, None), year)
    for key in COMPLIANCE:
        share = figures[key]
        needed = math.ceil(share["goal"] * share["total"] - 1e-9)
        share["shortfall"] = max(0, needed - share["count"])
    return figures


# ---- per role ----


def supervisor_dashboard(user: User, args: dict, today: date) -> dict:
    period = period_of(args, today)
    filters = item_filters(args, period)
    findings = findings_per_week(user, args, period)
    return {
        "period": period,
        "filters": filters,
        **item_states(user, filters, today, ("unit_id", "region_code")),
        "closed": closed_per_week(user, filters, period, today),
        "findings": findings,
        "verifications": verifications(user, filters, period, today),
        "activity": field_activity(user, args, period, findings),
        "compliance": compliance(user, period.end.year),
        # The office's clues (issue 17): a supervisor's own office only.
        "clues": clue_figures(user, args, period) if user.role == Role.supervisor else None,
    }


def leader_dashboard(user: User, args: dict, today: date) -> dict:
    period = period_of(args, today)
    filters = item_filters(args, period)
    return {
        "period": period,
        "filters": filters,
        "waiting": waiting_for_leader(user, filters, today),
        **item_states(user, filters, today, ("unit_id",)),
        "closed": closed_per_week(user, filters, period, today),
    }


def responder_dashboard(user: User, today: date) -> dict:
    """The unit's own items only (its sight is the ledger's: issued items of its unit)."""
    figures = colours(user, {}, today)
    return {**figures, "due": due_soon(user, {}, today, figures["overdue"])}


def headline(user: User, today: date) -> dict:
    """A few counts for the start pages: by colour, overdue, due this week."""
    figures = colours(user, {}, today)
    due = due_soon(user, {}, today, figures["overdue"])
    return {
        "colours": {c: figures["colours"][c]["all"]["count"] for c in items.COLOURS},
        "listed": sum(figures["colours"][c]["listed"]["count"] for c in items.COLOURS),
        "overdue": due["overdue"]["count"],
        "this_week": due["this_week"]["count"],
        "week": due["spans"]["this_week"],
    }
