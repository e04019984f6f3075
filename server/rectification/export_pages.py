"""/console/ledger/export.xlsx, /console/three-lists/export.xlsx and /console/exports
(导出任务): the XLSX exports of the ledger and the three lists.

A small export downloads at once; a large one (more rows than export_inline_max_rows)
answers with a page that offers to run it as a job, and the job page shows its progress
and the download link. Rules and files: rectification/exports.py."""

from __future__ import annotations

import io
import uuid
from datetime import datetime

from flask import Response, g, redirect, request, send_file, url_for
from marshmallow import ValidationError

from server.console.kit import flat_messages, page, pages_blueprint
from server.console.session import console_login_required
from server.errors import ApiError
from server.jobs import enqueue
from server.models import ExportStatus, Role
from server.rectification import exports
from server.rectification.schemas import LedgerArgsSchema, ThreeListsArgsSchema
from server.timeutil import CHINA
from server.transaction import after_commit

bp = pages_blueprint("export_pages", __name__)

# Whoever sees rows of the ledger: the office, leaders, admins, and a unit (its own).
EXPORTERS = (Role.supervisor, Role.leader, Role.admin, Role.responder)
SCHEMAS = {"ledger": LedgerArgsSchema, "three_lists": ThreeListsArgsSchema}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
IGNORED = ("page", "per_page", "include_drafts")  # an export has no pages, never drafts


def _filters(kind: str, source) -> tuple[dict, dict]:
    """(the kept filters, the loaded args) from a query string or the job form; 422 on a
    bad filter, as the CSV export answers."""
    schema = SCHEMAS[kind]()
    raw = {
        k: v.strip()
        for k, v in source.items()
        if k in schema.fields and k not in IGNORED and v.strip()
    }
    try:
        return raw, schema.load(raw)
    except ValidationError as error:
        message = "筛选条件有误:" + ";".join(flat_messages(error.messages))
        raise ApiError(422, message=message) from None


def _download(kind: str):
    raw, args = _filters(kind, request.args)
    large, total = exports.is_large(g.user, args)
    if large:
        return page(
            "exports/large.html", kind=kind, title=exports.KINDS[kind], total=total, filters=raw
        )
    out = io.BytesIO()
    exports.write_inline(out, g.user, kind, args)
    out.seek(0)
    response: Response = send_file(
        out, mimetype=XLSX, as_attachment=True, download_name=f"{kind}-{_stamp()}.xlsx"
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _stamp() -> str:
    return datetime.now(CHINA).strftime("%Y%m%d-%H%M")


@bp.route("/ledger/export.xlsx")
@console_login_required(*EXPORTERS)
def ledger_xlsx():
    return _download("ledger")


@bp.route("/three-lists/export.xlsx")
@console_login_required(*EXPORTERS)
def three_lists_xlsx():
    return _download("three_lists")


@bp.route("/exports", methods=["POST"])
@console_login_required(*EXPORTERS)
def export_new():
    kind = request.form.get("kind", "")
    if kind not in SCHEMAS:
        raise ApiError(422, message="导出类型有误")
    raw, args = _filters(kind, request.form)
    _, total = exports.is_large(g.user, args)
    job = exports.request_export(g.user, kind, raw, total)
    export_id = str(job.id)
    from server.rectification.jobs import export_xlsx_job

    after_commit(lambda: enqueue(export_xlsx_job, export_id))
    return redirect(url_for("export_pages.export_list", new=export_id), 303)


@bp.route("/exports")
@console_login_required(*EXPORTERS)
def export_list():
    jobs = exports.jobs_of(g.user)
    busy = any(j.status in (ExportStatus.queued, ExportStatus.running) for j in jobs)
    return page(
        "exports/exports.html",
        jobs=jobs,
        kinds=exports.KINDS,
        busy=busy,
        new=request.args.get("new", ""),
    )


@bp.route("/exports/<uuid:export_id>.xlsx")
@console_login_required(*EXPORTERS)
def export_download(export_id: uuid.UUID):
    job, path = exports.own_file(g.user, export_id)
    finished = job.finished_at.astimezone(CHINA).strftime("%Y%m%d-%H%M")
    response = send_file(
        path, mimetype=XLSX, as_attachment=True, download_name=f"{job.kind}-{finished}.xlsx"
    )
    response.headers["Cache-Control"] = "no-store"
    return response
