"""/console/bulletins…: the office's monthly bulletins (月通报、月排位) and, for the units,
the published ones (月公示). Thin: forms load through schemas/, the rules are in
operations.py, who may read what in access.py, the files in documents.py."""

from __future__ import annotations

import uuid
from datetime import timedelta

from flask import Response, abort, flash, g, redirect, request, send_file, url_for
from marshmallow import ValidationError
from sqlalchemy import select

from server.bulletins import access, documents, operations
from server.bulletins.schemas import BulletinCreateSchema, BulletinEditSchema, TypicalSchema
from server.console.kit import (
    Confirmation,
    confirmation_page,
    confirmed,
    page,
    pages_blueprint,
    present,
    refusal,
)
from server.console.session import console_login_required
from server.errors import ApiError
from server.extensions import db
from server.models import Bulletin, BulletinStatus, Role
from server.timeutil import local_today

bp = pages_blueprint("bulletin_pages", __name__)

S = Role.supervisor
ONE = "/bulletins/<uuid:bulletin_id>"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.route("/bulletins")
@console_login_required(*access.READERS)
def bulletin_list():
    rows = db.session.scalars(
        select(Bulletin)
        .where(access.readable_clause(g.user))
        .order_by(Bulletin.year.desc(), Bulletin.month.desc(), Bulletin.version.desc())
        .limit(240)
    ).all()
    return page("bulletins/list.html", rows=rows)


def _new_page(errors=None, values=None, message=None, status=200):
    previous = local_today().replace(day=1) - timedelta(days=1)  # last month, by default
    values = values or {"month": f"{previous.year}-{previous.month:02d}"}
    return page("bulletins/new.html", status, values=values, errors=errors or {}, message=message)


@bp.route("/bulletins/new", methods=["GET", "POST"])
@console_login_required(S)
def bulletin_new():
    if request.method == "GET":
        return _new_page()
    values = {k: request.form.get(k, "") for k in ("month", "doc_number")}
    try:
        body = BulletinCreateSchema().load(present(request.form, "month", "doc_number"))
        year, month = (int(p) for p in body["month"].split("-"))
        bulletin = operations.create(g.user, year, month, body.get("doc_number", ""))
    except (ValidationError, ApiError) as error:
        refused = refusal(error, "new", values, once=True)
        return _new_page(refused.errors, values, refused.message, refused.status)
    return redirect(url_for("bulletin_pages.bulletin_detail", bulletin_id=bulletin.id), 303)


def publish_question(bulletin: Bulletin) -> Confirmation:
    return Confirmation(
        "发布",
        f"{bulletin.doc_number} {bulletin.title}",
        "发布后内容不可更改,所有责任单位可见;如需更正须另发更正版。",
    )


def render_detail(bulletin: Bulletin, refused=None, status: int = 200):
    manager = access.manages(g.user, bulletin)
    live = None
    if bulletin.frozen is None and manager:
        live = documents.live_content(g.user, bulletin)
    candidates, photos = [], {}
    if manager and bulletin.status == BulletinStatus.draft:
        candidates = operations.candidate_items(g.user, bulletin)
        photos = {i.id: operations.public_photos(g.user, i) for i in candidates}
    data = documents.content(bulletin, live)
    return page(
        "bulletins/detail.html",
        status,
        bulletin=bulletin,
        data=data,
        live=live is not None,
        manager=manager,
        candidates=candidates,
        photos=photos,
        refused=refused,
        successor=operations.successor(bulletin),
        figure_rows=documents.FIGURE_ROWS,
        columns=documents.RANKING_COLUMNS,
        publish_ask=Confirmation(
            "发布",
            f"{bulletin.doc_number} {bulletin.title}",
            "发布后内容不可更改,所有责任单位可见;如需更正须另发更正版。",
        ),
    )


@bp.route(ONE)
@console_login_required(*access.READERS)
def bulletin_detail(bulletin_id: uuid.UUID):
    return render_detail(access.get_readable(g.user, bulletin_id))


def _step(bulletin_id, form, action, values=None):
    bulletin = access.get_managed(g.user, bulletin_id)
    try:
        action(bulletin)
    except (ValidationError, ApiError) as error:
        refused = refusal(error, form, values or {}, once=True)
        bulletin = access.get_managed(g.user, bulletin_id)
        return render_detail(bulletin, refused.as_dict(), refused.status)
    return None


def _back(bulletin_id, done: str):
    flash(done)
    return redirect(url_for("bulletin_pages.bulletin_detail", bulletin_id=bulletin_id), 303)


@bp.route(ONE, methods=["POST"])
@console_login_required(S)
def bulletin_edit(bulletin_id: uuid.UUID):
    values = {k: request.form.get(k, "") for k in ("doc_number", "title", "summary")}

    def act(bulletin):
        access.refuse_unless_draft(bulletin)  # the state first: a frozen one is not a form
        body = BulletinEditSchema().load(present(request.form, *values))
        operations.edit(g.user, bulletin, body)

    return _step(bulletin_id, "edit", act, values) or _back(bulletin_id, "通报已保存")


@bp.route(f"{ONE}/typical", methods=["POST"])
@console_login_required(S)
def typical_add(bulletin_id: uuid.UUID):
    values = {"item_id": request.form.get("item_id", ""), "text": request.form.get("text", "")}

    def act(bulletin):
        access.refuse_unless_draft(bulletin)
        body = TypicalSchema().load(
            {**present(request.form, "item_id", "text"),
             "photo_ids": request.form.getlist("photo_ids")}
        )  # fmt: skip
        operations.add_typical(g.user, bulletin, body["item_id"], body["text"], body["photo_ids"])

    return _step(bulletin_id, "typical", act, values) or _back(bulletin_id, "已添加典型问题")


@bp.route(f"{ONE}/typical/<int:index>/delete", methods=["POST"])
@console_login_required(S)
def typical_remove(bulletin_id: uuid.UUID, index: int):
    def act(bulletin):
        operations.remove_typical(g.user, bulletin, index)

    return _step(bulletin_id, "typical", act) or _back(bulletin_id, "已移除典型问题")


@bp.route(f"{ONE}/review", methods=["POST"])
@console_login_required(S)
def bulletin_review(bulletin_id: uuid.UUID):
    def act(bulletin):
        operations.review(g.user, bulletin)

    return _step(bulletin_id, "review", act) or _back(bulletin_id, "通报已审核,数据已固定")


@bp.route(f"{ONE}/reopen", methods=["POST"])
@console_login_required(S)
def bulletin_reopen(bulletin_id: uuid.UUID):
    def act(bulletin):
        operations.reopen(g.user, bulletin)

    return _step(bulletin_id, "review", act) or _back(bulletin_id, "通报已退回草稿")


@bp.route(f"{ONE}/publish", methods=["POST"])
@console_login_required(S)
def bulletin_publish(bulletin_id: uuid.UUID):
    bulletin = access.get_managed(g.user, bulletin_id)
    if not confirmed():
        ask = Confirmation(
            "发布",
            f"{bulletin.doc_number} {bulletin.title}",
            "发布后内容不可更改,所有责任单位可见。",
        )
        return confirmation_page(
            ask, url_for("bulletin_pages.bulletin_detail", bulletin_id=bulletin_id)
        )

    def act(bulletin):
        operations.publish(g.user, bulletin)

    return _step(bulletin_id, "publish", act) or _back(bulletin_id, "通报已发布")


@bp.route(f"{ONE}/correct", methods=["POST"])
@console_login_required(S)
def bulletin_correct(bulletin_id: uuid.UUID):
    made = {}

    def act(bulletin):
        made["new"] = operations.correct(g.user, bulletin)

    refused = _step(bulletin_id, "correct", act)
    return refused or _back(made["new"].id, "已创建更正版草稿")


def _download_data(bulletin: Bulletin) -> dict:
    # Only the office reads a draft (access.py), with its figures as they are now.
    live = documents.live_content(g.user, bulletin) if bulletin.frozen is None else None
    return documents.content(bulletin, live)


@bp.route(f"{ONE}/bulletin.pdf")
@console_login_required(*access.READERS)
def bulletin_pdf(bulletin_id: uuid.UUID):
    bulletin = access.get_readable(g.user, bulletin_id)
    body = documents.stored_pdf(bulletin, _download_data(bulletin))
    name = documents.file_name(bulletin, "pdf")
    return Response(
        body,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.route(f"{ONE}/bulletin.xlsx")
@console_login_required(*access.READERS)
def bulletin_xlsx(bulletin_id: uuid.UUID):
    bulletin = access.get_readable(g.user, bulletin_id)
    body = documents.render_xlsx(bulletin, _download_data(bulletin))
    name = documents.file_name(bulletin, "xlsx")
    return Response(
        body, mimetype=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@bp.route(f"{ONE}/photos/<uuid:photo_id>")
@console_login_required(*access.READERS)
def bulletin_photo(bulletin_id: uuid.UUID, photo_id: uuid.UUID):
    """The copy of a photo the bulletin's typical problems show (for the office's
    draft: the photos chosen so far; otherwise: as frozen)."""
    bulletin = access.get_readable(g.user, bulletin_id)
    typical = (bulletin.frozen or {}).get("typical")
    if typical is None:
        typical = bulletin.typical if access.manages(g.user, bulletin) else []
    chosen = {p for t in typical for p in t.get("photo_ids", [])}
    if str(photo_id) not in chosen and not _candidate(bulletin, photo_id):
        abort(404)
    path = documents.photo_file(photo_id)  # the exposure copy, else the public copy
    if path is None:
        abort(404)
    response = send_file(path, mimetype="image/jpeg")
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


def _candidate(bulletin: Bulletin, photo_id: uuid.UUID) -> bool:
    """The office picking photos for a draft sees the public copies it may choose from."""
    if bulletin.status != BulletinStatus.draft or not access.manages(g.user, bulletin):
        return False
    items = operations.candidate_items(g.user, bulletin)
    return any(p.id == photo_id for i in items for p in operations.public_photos(g.user, i))
