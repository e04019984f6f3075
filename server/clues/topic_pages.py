"""/console/clue-topics: the list of clue topics (诉求分类) with how many clues each has,
for supervisors and admins: add (the code typed, or made from the name), rename and
reorder, deactivate and reactivate (server/clues/topics.py). A topic is named in the URL
by its code, which never changes."""

from __future__ import annotations

from flask import flash, g, redirect, request, url_for
from marshmallow import ValidationError
from sqlalchemy import select

from server.clues import topics
from server.console.kit import page, pages_blueprint, present, refusal
from server.console.session import console_login_required
from server.errors import ApiError, not_found
from server.extensions import db
from server.models import ClueTopic, Role

bp = pages_blueprint("clue_topic_pages", __name__)

KEEPERS = (Role.supervisor, Role.admin)
NOT_FOUND = "分类不存在"


def _topic(code: str) -> ClueTopic:
    topic = db.session.scalar(select(ClueTopic).where(ClueTopic.code == code))
    if topic is None:
        raise not_found(NOT_FOUND)
    return topic


def _page(status=200, form=None):
    return page(
        "clues/topics.html", status, rows=topics.topics_with_counts(g.user),
        form=form or {"form": None, "values": {}, "errors": {}, "message": None},
        most=topics.TOPICS_MAX,
    )  # fmt: skip


@bp.route("/clue-topics")
@console_login_required(*KEEPERS)
def topic_list():
    return _page()


@bp.route("/clue-topics", methods=["POST"])
@console_login_required(*KEEPERS)
def topic_create():
    names = ("name", "code", "sort_order")
    values = {k: request.form.get(k, "").strip() for k in names}
    try:
        data = topics.TopicSchema().load(present(request.form, *names))
        topic = topics.create_topic(data, g.user)
    except (ValidationError, ApiError) as error:
        refused = refusal(error, "new", values, once=True)
        return _page(refused.status, refused.as_dict())
    flash(f"已添加分类“{topic.name}”(代码 {topic.code})")
    return redirect(url_for("clue_topic_pages.topic_list"), 303)


@bp.route("/clue-topics/<code>", methods=["POST"])
@console_login_required(*KEEPERS)
def topic_update(code: str):
    topic = _topic(code)
    names = ("name", "sort_order")
    values = {k: request.form.get(k, "").strip() for k in names}
    try:
        data = topics.RenameSchema().load(present(request.form, *names))
        topics.update_topic(topic, data, g.user)
    except (ValidationError, ApiError) as error:
        refused = refusal(error, topic.code, values, once=True)
        return _page(refused.status, refused.as_dict())
    flash(f"已保存分类“{topic.name}”")
    return redirect(url_for("clue_topic_pages.topic_list"), 303)


@bp.route("/clue-topics/<code>/active", methods=["POST"])
@console_login_required(*KEEPERS)
def topic_active(code: str):
    topic = _topic(code)
    wanted = request.form.get("active", "")
    if wanted not in ("0", "1"):
        refused = refusal(None, topic.code, {}, {"active": ["请选择停用或启用"]})
        return _page(refused.status, refused.as_dict())
    topics.set_active(topic, wanted == "1", g.user)
    flash(f"已{'启用' if topic.active else '停用'}分类“{topic.name}”")
    return redirect(url_for("clue_topic_pages.topic_list"), 303)
