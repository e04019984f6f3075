"""/console/clues/import: an office's supervisor uploads the 12345 platform's work-order
export (CSV or XLSX), sees every row's outcome (新增 / 已存在(跳过), or its errors by row
and column) and confirms; nothing is written before 确认导入 (server/clues/imports.py).
The file waits under the instance folder behind a token bound to the uploader for
`import_keep_minutes` (server/organisation/files.py), as the organisation imports do."""

from __future__ import annotations

import io

from flask import current_app, flash, g, redirect, request, send_file, url_for
from werkzeug.exceptions import HTTPException

from server.clues import import_format, imports
from server.clues.access import require_office
from server.console.kit import page, pages_blueprint
from server.console.session import console_login_required
from server.extensions import db
from server.models import Role
from server.organisation import files
from server.transaction import after_commit

bp = pages_blueprint("clue_import_pages", __name__)

KIND = "clues"
SHOWN_ROWS = 100  # rows to be filed drawn in a preview (rows with errors are all drawn)
SHOWN_ERRORS = 500
GONE = "导入文件已过期或不存在,请重新上传"
REGISTER = "/console/clues"  # the register (its own pages); linked when it is routed
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _register_url() -> str | None:
    try:
        current_app.url_map.bind("").match(REGISTER)
    except HTTPException:
        return None
    return REGISTER


def _page(status: int = 200, **context):
    return page(
        "clues/import.html",
        status,
        columns=import_format.COLUMNS,
        limits=imports.limits(),
        actions=imports.ACTIONS,
        register_url=_register_url(),
        channels=import_format.CHANNELS,
        **context,
    )


@bp.route("/clues/import")
@console_login_required(Role.supervisor)
def clue_import():
    require_office(g.user)
    return _page()


@bp.route("/clues/import/template.csv")
@console_login_required(Role.supervisor)
def clue_import_template_csv():
    return send_file(
        io.BytesIO(import_format.template_csv()), mimetype="text/csv", as_attachment=True,
        download_name="12345工单导入模板.csv",
    )  # fmt: skip


@bp.route("/clues/import/template.xlsx")
@console_login_required(Role.supervisor)
def clue_import_template_xlsx():
    return send_file(
        io.BytesIO(import_format.template_xlsx()), mimetype=XLSX, as_attachment=True,
        download_name="12345工单导入模板.xlsx",
    )  # fmt: skip


@bp.route("/clues/import", methods=["POST"])
@console_login_required(Role.supervisor)
def clue_import_upload():
    require_office(g.user)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _page(422, error="请选择要导入的 CSV 或 XLSX 文件")
    data = upload.read()
    limits = imports.limits()
    if len(data) > limits["max_bytes"]:
        return _page(422, error=f"文件超过 {limits['max_bytes']} 字节的上限")
    try:
        table = files.read_table(data, limits["max_rows"])
    except files.FileRefused as refused:
        return _page(422, error=str(refused))
    preview = imports.build_preview(table, g.user.unit_id)
    if preview.file_errors:
        return _page(422, error=";".join(preview.file_errors))
    token = None
    if preview.writes:
        token = files.keep(data, KIND, upload.filename, g.user.id, limits["keep_minutes"])
    return _page(
        preview=preview,
        filename=upload.filename,
        token=token,
        error_rows=[row for row in preview.rows if row.errors][:SHOWN_ERRORS],
        shown_rows=[row for row in preview.rows if not row.errors][:SHOWN_ROWS],
        shown_max=SHOWN_ROWS,
        errors_max=SHOWN_ERRORS,
    )


@bp.route("/clues/import/confirm", methods=["POST"])
@console_login_required(Role.supervisor)
def clue_import_confirm():
    require_office(g.user)
    token = request.form.get("token", "")
    loaded = files.load(token, KIND, g.user.id)
    if loaded is None:
        return _page(410, error=GONE)
    if request.form.get("action") == "cancel":
        files.discard(token)
        flash("已取消导入,未写入任何数据")
        return redirect(url_for("clue_import_pages.clue_import"), 303)
    data, note = loaded
    try:
        table = files.read_table(data, imports.limits()["max_rows"])
    except files.FileRefused as refused:
        files.discard(token)
        return _page(422, error=str(refused))
    preview = imports.build_preview(table, g.user.unit_id)
    if preview.file_errors:
        files.discard(token)
        return _page(422, error=";".join(preview.file_errors))
    # Committed in chunks (see imports.confirm); the last chunk, the audit entry and the
    # file's removal with the request.
    counts = imports.confirm(preview, note["filename"], g.user, db.session.commit)
    after_commit(lambda: files.discard(token))
    flash(
        f"导入完成:新增线索 {counts['create']} 条,已存在跳过 {counts['exists']} 条"
        + (f",有错误跳过 {counts['error']} 行" if counts["error"] else "")
    )
    return redirect(url_for("clue_import_pages.clue_import"), 303)
