"""/console/{units,regions,sites}/import: an admin uploads a CSV or XLSX file, sees every
row's outcome (新增 / 更新 / 无变化, or its errors by row and column), and confirms; nothing
is written before the confirmation. Rows with errors are skipped (the preview says so and
lists them); the valid rows are written in one transaction (server/organisation/imports.py).

Between preview and confirmation the file waits under the instance folder, behind a token
bound to the uploader and to the kind of import, for `import_keep_minutes`; it is removed
once the import is committed, on 取消, or when its time is up. A template (the header and
an example row) is offered for download."""

from __future__ import annotations

import io

from flask import flash, g, redirect, request, send_file, url_for

from server.console.kit import page, pages_blueprint
from server.console.session import console_login_required
from server.models import Role
from server.organisation import files, imports
from server.transaction import after_commit

bp = pages_blueprint("organisation_imports", __name__)

KINDS = {"units": "单位", "regions": "区划名称", "sites": "点位"}
LISTS = {
    "units": "organisation_pages.unit_list",
    "regions": "organisation_pages.region_list",
    "sites": "organisation_pages.site_list",
}
SHOWN_ROWS = 100  # valid rows drawn in a preview (rows with errors are all drawn)
SHOWN_ERRORS = 500
GONE = "导入文件已过期或不存在,请重新上传"


def _page(kind: str, status: int = 200, **context):
    return page(
        "organisation/import.html",
        status,
        kind=kind,
        kind_label=KINDS[kind],
        list_endpoint=LISTS[kind],
        columns=imports.COLUMNS[kind],
        limits=imports.limits(),
        actions=imports.ACTIONS,
        **context,
    )


def import_page(kind: str):
    return _page(kind)


def import_template(kind: str):
    return send_file(
        io.BytesIO(imports.template_csv(kind)),
        mimetype="text/csv",
        as_attachment=True,
        download_name=f"{KINDS[kind]}导入模板.csv",
    )


def import_upload(kind: str):
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _page(kind, 422, error="请选择要导入的 CSV 或 XLSX 文件")
    data = upload.read()
    limits = imports.limits()
    if len(data) > limits["max_bytes"]:
        return _page(kind, 422, error=f"文件超过 {limits['max_bytes']} 字节的上限")
    try:
        table = files.read_table(data, limits["max_rows"])
    except files.FileRefused as refused:
        return _page(kind, 422, error=str(refused))
    preview = imports.build_preview(kind, table)
    if preview.file_errors:
        return _page(kind, 422, error=";".join(preview.file_errors), preview=preview)
    token = None
    if preview.writes:
        token = files.keep(data, kind, upload.filename, g.user.id, limits["keep_minutes"])
    errors = [row for row in preview.rows if row.errors]
    fine = [row for row in preview.rows if not row.errors]
    return _page(
        kind,
        preview=preview,
        filename=upload.filename,
        token=token,
        error_rows=errors[:SHOWN_ERRORS],
        shown_rows=fine[:SHOWN_ROWS],
        shown_max=SHOWN_ROWS,
        errors_max=SHOWN_ERRORS,
    )


def import_confirm(kind: str):
    token = request.form.get("token", "")
    loaded = files.load(token, kind, g.user.id)
    if loaded is None:
        return _page(kind, 410, error=GONE)
    if request.form.get("action") == "cancel":
        files.discard(token)
        flash("已取消导入,未写入任何数据")
        return redirect(url_for(f"organisation_imports.{kind}_import"), 303)
    data, note = loaded
    try:
        table = files.read_table(data, imports.limits()["max_rows"])
    except files.FileRefused as refused:
        files.discard(token)
        return _page(kind, 422, error=str(refused))
    preview = imports.build_preview(kind, table)
    if preview.file_errors:
        files.discard(token)
        return _page(kind, 422, error=";".join(preview.file_errors))
    counts = imports.confirm(preview, note["filename"], g.user)
    after_commit(lambda: files.discard(token))
    flash(
        f"导入完成:新增 {counts['create']} 条,更新 {counts['update']} 条,"
        f"无变化 {counts['same']} 条"
        + (f",跳过有错误的 {counts['error']} 行" if counts["error"] else "")
    )
    return redirect(url_for(LISTS[kind]), 303)


def _view(handler, kind: str):
    """`handler` for one kind of import, admins only (the kind is in the URL's path)."""

    def view():
        return handler(kind)

    view.__name__ = f"{kind}_{handler.__name__}"
    return console_login_required(Role.admin)(view)


for _kind in KINDS:
    _base = f"/{_kind}/import"
    bp.add_url_rule(_base, f"{_kind}_import", _view(import_page, _kind))
    bp.add_url_rule(_base, f"{_kind}_import_upload", _view(import_upload, _kind), methods=["POST"])
    bp.add_url_rule(
        f"{_base}/confirm", f"{_kind}_import_confirm", _view(import_confirm, _kind),
        methods=["POST"],
    )  # fmt: skip
    bp.add_url_rule(
        f"{_base}/template.csv", f"{_kind}_import_template", _view(import_template, _kind)
    )
