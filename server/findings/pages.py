"""/console/triage and /console/findings/…: the supervisor's triage queue (问题分办).
Findings are merged, rejected or reopened here; turning them into an item is the
rectification domain's form (/console/rectifications/new)."""

from __future__ import annotations

import uuid

from flask import flash, g, redirect, request, url_for
from marshmallow import ValidationError

from server.console.kit import field_errors, page, pages_blueprint, present, refusal
from server.console.session import console_login_required
from server.errors import ApiError
from server.findings import operations as triage
from server.findings import queries
from server.findings.schemas import MergeSchema, TriageArgsSchema
from server.glossary import TRIAGE_STATUSES
from server.models import Role
from server.schemas import ReasonSchema

bp = pages_blueprint("finding_pages", __name__)

QUEUE_FILTERS = (
    "status",
    "plan_id",
    "severity",
    "plan_kind",
    "observed_from",
    "observed_to",
    "q",
    "page",
)
NARROWING = ("plan_id", "severity", "plan_kind", "observed_from", "observed_to", "q")


def _render_queue(filters: dict, failed=None, message=None, status=200):
    try:
        args, errors = TriageArgsSchema().load(filters), {}
    except ValidationError as error:
        args, errors = None, field_errors(error.messages)
    result = triage.triage_queue(g.user, args) if args is not None else None
    items = result["items"] if result else []
    tab = (args or {}).get("status") or triage.QUEUE_DEFAULT
    return page(
        "findings/triage.html",
        422 if errors else status,
        result=result,
        items=items,
        pages=-(-result["total"] // result["per_page"]) if result else 0,
        tab=str(tab),
        filters=filters,
        narrowed={k: v for k, v in filters.items() if k in NARROWING},
        paged={k: v for k, v in filters.items() if k != "page"},
        plans=queries.office_plans(g.user),
        targets=queries.merge_targets(g.user) if tab == "pending" else [],
        errors=errors,
        failed=failed,
        message=message,
        **queries.queue_context(items),
    )


@bp.route("/triage")
@console_login_required(Role.supervisor)
def triage_queue():
    return _render_queue(present(request.args, *QUEUE_FILTERS))


def _finding_action(finding_id: uuid.UUID, form: str, run, done: str, kept=()):
    filters = present(request.form, *QUEUE_FILTERS)
    finding = triage.get_office_finding(g.user, finding_id)
    try:
        run(finding)
    except (ValidationError, ApiError) as error:
        values = {k: request.form.get(k, "") for k in kept}
        refused = refusal(error, f"{form}-{finding_id}", values)
        return _render_queue(filters, refused.as_dict(), refused.message, refused.status)
    flash(f"{done}:{finding.title}")
    return redirect(url_for("finding_pages.triage_queue", **filters), 303)


@bp.route("/findings/<uuid:finding_id>/reject", methods=["POST"])
@console_login_required(Role.supervisor)
def finding_reject(finding_id: uuid.UUID):
    def run(finding):
        body = ReasonSchema().load(present(request.form, "reason"))
        triage.reject_finding(finding, body["reason"], g.user)

    done = TRIAGE_STATUSES["rejected"]
    return _finding_action(finding_id, "reject", run, done, kept=("reason",))


@bp.route("/findings/<uuid:finding_id>/merge", methods=["POST"])
@console_login_required(Role.supervisor)
def finding_merge(finding_id: uuid.UUID):
    def run(finding):
        body = MergeSchema().load(present(request.form, "into_id"))
        into = triage.get_office_finding(g.user, body["into_id"])
        triage.merge_finding(finding, into, g.user)

    return _finding_action(finding_id, "merge", run, TRIAGE_STATUSES["merged"], kept=("into_id",))


@bp.route("/findings/<uuid:finding_id>/reopen", methods=["POST"])
@console_login_required(Role.supervisor)
def finding_reopen(finding_id: uuid.UUID):
    def run(finding):
        triage.reopen_finding(finding, g.user)

    return _finding_action(finding_id, "reopen", run, f"已恢复为{TRIAGE_STATUSES['pending']}")
