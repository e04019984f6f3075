"""/console/exposure…: the office's exposure copies (曝光台). A supervisor makes a draft
from a problem photo behind an issued item, checks the boxes the detector found, adds
(dragging on the photo, or typing x/y/w/h without JavaScript) or removes boxes, and
publishes; everyone in the office's units sees the published copies."""

from __future__ import annotations

import uuid

from flask import g, redirect, request, send_file, url_for
from marshmallow import ValidationError

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
from server.exposure import operations, queries
from server.exposure.access import get_managed_copy, get_visible_copy
from server.exposure.schemas import BoxSchema, CreateSchema
from server.models import Role

bp = pages_blueprint("exposure_pages", __name__)
COPY = "/exposure/<uuid:copy_id>"
EVERYONE = (Role.supervisor, Role.admin, Role.leader, Role.responder, Role.inspector)
PUBLISH = Confirmation("发布", "曝光副本", "发布后所有相关单位均可看到,遮挡区域不能再修改。")


def _list(status: int = 200, refused=None):
    copies = queries.office_copies(g.user)
    candidates = queries.candidate_photos(g.user)
    labels = queries.item_labels([c.photo_id for c in copies] + [p.id for p in candidates])
    return page(
        "exposure/list.html", status, copies=copies, candidates=candidates, labels=labels,
        refused=refused,
    )  # fmt: skip


@bp.route("/exposure")
@console_login_required(Role.supervisor)
def exposure_list():
    return _list()


@bp.route("/exposure", methods=["POST"])
@console_login_required(Role.supervisor)
def create_copy():
    try:
        body = CreateSchema().load(present(request.form, "photo_id"))
    except ValidationError as error:
        refused = refusal(error, "create", {})
        return _list(refused.status, refused.as_dict())
    copy = operations.create_copy(g.user, body["photo_id"])
    return redirect(url_for("exposure_pages.copy_detail", copy_id=copy.id), 303)


def _detail(copy, status: int = 200, refused=None):
    labels = queries.item_labels([copy.photo_id])
    return page(
        "exposure/copy.html", status, copy=copy, label=labels.get(copy.photo_id, ""),
        refused=refused, publish=PUBLISH,
    )  # fmt: skip


@bp.route(COPY)
@console_login_required(Role.supervisor)
def copy_detail(copy_id: uuid.UUID):
    return _detail(get_managed_copy(g.user, copy_id))


@bp.route(f"{COPY}/boxes", methods=["POST"])
@console_login_required(Role.supervisor)
def add_box(copy_id: uuid.UUID):
    copy = get_managed_copy(g.user, copy_id)
    values = {k: request.form.get(k, "") for k in ("x", "y", "w", "h")}
    try:
        box = BoxSchema().load({k: v.strip() for k, v in values.items()})
        operations.add_box(g.user, copy, **box)
    except (ValidationError, ApiError) as error:
        refused = refusal(error, "box", values)
        return _detail(get_managed_copy(g.user, copy_id), refused.status, refused.as_dict())
    return redirect(url_for("exposure_pages.copy_detail", copy_id=copy_id, done="box"), 303)


@bp.route(f"{COPY}/boxes/<box_id>/delete", methods=["POST"])
@console_login_required(Role.supervisor)
def remove_box(copy_id: uuid.UUID, box_id: str):
    copy = get_managed_copy(g.user, copy_id)
    try:
        operations.remove_box(g.user, copy, box_id)
    except ApiError as error:
        refused = refusal(error, "remove", {})
        return _detail(get_managed_copy(g.user, copy_id), refused.status, refused.as_dict())
    return redirect(url_for("exposure_pages.copy_detail", copy_id=copy_id, done="removed"), 303)


@bp.route(f"{COPY}/publish", methods=["POST"])
@console_login_required(Role.supervisor)
def publish(copy_id: uuid.UUID):
    copy = get_managed_copy(g.user, copy_id)
    back = url_for("exposure_pages.copy_detail", copy_id=copy_id)
    if not confirmed():
        return confirmation_page(PUBLISH, back)
    try:
        operations.publish(g.user, copy)
    except ApiError as error:
        refused = refusal(error, "publish", {})
        return _detail(get_managed_copy(g.user, copy_id), refused.status, refused.as_dict())
    return redirect(url_for("exposure_pages.copy_detail", copy_id=copy_id, done="published"), 303)


@bp.route(f"{COPY}/withdraw", methods=["POST"])
@console_login_required(Role.supervisor)
def withdraw(copy_id: uuid.UUID):
    copy = get_managed_copy(g.user, copy_id)
    try:
        operations.withdraw(g.user, copy)
    except ApiError as error:
        refused = refusal(error, "withdraw", {})
        return _detail(get_managed_copy(g.user, copy_id), refused.status, refused.as_dict())
    return redirect(url_for("exposure_pages.copy_detail", copy_id=copy_id, done="withdrawn"), 303)


@bp.route(f"{COPY}/state")
@console_login_required(Role.supervisor)
def copy_state(copy_id: uuid.UUID):
    """The draft's rendering state and boxes, for the page's script to follow."""
    copy = get_managed_copy(g.user, copy_id)
    return {
        "render_state": copy.render_state.value,
        "rendered": copy.rendered,
        "revision": copy.revision,
        "boxes": copy.boxes,
    }


@bp.route(f"{COPY}/image")
@console_login_required(*EVERYONE)
def copy_image(copy_id: uuid.UUID):
    """The rendered copy: the office's in any state; a published one to its units."""
    copy = get_visible_copy(g.user, copy_id)
    path = operations.source_path(copy)
    if path is None:
        raise ApiError(409, "content_pending", "曝光副本尚未生成")
    response = send_file(path, mimetype="image/jpeg", max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/exposure/public")
@console_login_required(*EVERYONE)
def published_list():
    copies = queries.published_copies(g.user)
    labels = queries.item_labels([c.photo_id for c in copies])
    return page("exposure/public.html", copies=copies, labels=labels)
