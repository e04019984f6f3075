"""/console/clues: the office's clue register (线索台账), filing and editing a clue, and
the clue's page with its history, duplicates, forwarding, plans and attachments. The
triage actions on a clue are in triage_pages.py. Supervisors of the office only; the
reporter's contact is shown on these pages and nowhere else."""

from __future__ import annotations

import uuid

from flask import flash, g, redirect, render_template, request, url_for
from marshmallow import ValidationError
from sqlalchemy import select

from server.clues import history, operations, queries
from server.clues.access import get_managed_clue, require_office
from server.clues.schemas import (
    NOTE_MAX,
    REPLY_MAX,
    SUMMARY_MAX,
    ClueSchema,
    ClueUpdateSchema,
    ListArgsSchema,
)
from server.console.kit import keep, page, pages_blueprint, present, query_args, refusal
from server.console.session import console_login_required
from server.errors import ApiError
from server.evidence.intake import received_photos, receives_photos
from server.evidence.queries import photos_of
from server.extensions import db
from server.models import Clue, ClueTopic, PhotoParent, Plan, Role
from server.organisation.queries import region_names
from server.plans.operations import EDITABLE
from server.plans.queries import active_sites, target_units
from server.settings import get_setting
from server.timeutil import local_today
from server.transaction import body_limit

bp = pages_blueprint("clue_pages", __name__)
office_only = console_login_required(Role.supervisor)

FORM = (
    "source", "source_ref", "received_on", "summary", "place", "site_id", "lat", "lon",
    "region_code", "unit_id", "topic_id", "reporter_name", "reporter_contact",
)  # fmt: skip
PHOTOS_MAX = 9  # photos in one upload
# What the 办结 form suggests as the reply, per outcome (the office edits it).
REPLIES = {
    "rectified": "您反映的问题经核查属实,已督促责任单位整改到位。感谢您对督查工作的支持。",
    "not_verified": "您反映的问题经实地核查,未发现所反映的情况。感谢您对督查工作的支持。",
    "forwarded": "您反映的问题已转责任单位办理,请留意其答复。感谢您对督查工作的支持。",
    "rejected": "您反映的事项不属于本督查室受理范围,建议向有关部门反映。",
}


@bp.route("/clues/clue.js")
def clue_js():
    """The summary counter and the suggested replies; the policy allows no inline script."""
    body = render_template("clues/clue.js")
    return body, 200, {"Content-Type": "text/javascript; charset=utf-8"}


# ---- the register ----


@bp.route("/clues")
@office_only
def clue_list():
    require_office(g.user)
    raw, args, errors = query_args(ListArgsSchema())
    result = queries.register(g.user, args) if args is not None else None
    return page(
        "clues/list.html",
        422 if errors else 200,
        result=result,
        pages=-(-result["total"] // result["per_page"]) if result else 0,
        filters={k: v for k, v in raw.items() if k != "page"},
        narrowed=any(k != "page" for k in raw),
        errors=errors,
        topics=_topics(),
        units=target_units(),
        regions=sorted(region_names().items()),
        today=local_today(),
    )


def _topics(*kept) -> list[ClueTopic]:
    rows = db.session.scalars(
        select(ClueTopic).where(ClueTopic.active).order_by(ClueTopic.sort_order, ClueTopic.code)
    ).all()
    return keep(list(rows), kept)


# ---- filing and editing ----


def _values(clue: Clue | None = None) -> dict:
    if clue is None:
        return {k: "" for k in FORM} | {"source": "hotline", "received_on": str(local_today())}
    values = {k: getattr(clue, k) for k in FORM}
    values = {k: "" if v is None else str(v) for k, v in values.items()}
    return values | {"version": clue.version}


def _form_page(clue, values, refused=None):
    return page(
        "clues/form.html",
        refused.status if refused else 200,
        clue=clue,
        values=values,
        errors=refused.errors if refused else {},
        message=refused.message if refused else None,
        sites=keep(active_sites(), [clue.site] if clue else []),
        units=keep(target_units(), [clue.unit] if clue else []),
        topics=_topics(clue.topic if clue else None),
        summary_max=SUMMARY_MAX,
        today=local_today(),
    )


@bp.route("/clues/new", methods=["GET", "POST"])
@office_only
def clue_new():
    require_office(g.user)
    if request.method == "GET":
        return _form_page(None, _values())
    values = {k: request.form.get(k, "").strip() for k in FORM}
    try:
        clue = operations.create_clue(ClueSchema().load(present(request.form, *FORM)), g.user)
    except (ValidationError, ApiError) as error:
        return _form_page(None, values, refusal(error, values=values, once=True))
    flash(f"已登记线索 {clue.code}")
    return redirect(url_for("clue_pages.clue_detail", clue_id=clue.id), 303)


@bp.route("/clues/<uuid:clue_id>/edit", methods=["GET", "POST"])
@office_only
def clue_edit(clue_id: uuid.UUID):
    clue = get_managed_clue(g.user, clue_id)
    if request.method == "GET":
        return _form_page(clue, _values(clue))
    values = {k: request.form.get(k, "").strip() for k in (*FORM, "version")}
    try:
        data = ClueUpdateSchema().load(present(request.form, *FORM, "version"))
        operations.update_clue(clue, data, g.user)
    except (ValidationError, ApiError) as error:
        refused = refusal(error, values=values, once=True)
        return _form_page(get_managed_clue(g.user, clue_id), values, refused)
    flash("已保存线索")
    return redirect(url_for("clue_pages.clue_detail", clue_id=clue.id), 303)


# ---- the clue's page ----


def _plans(user) -> list[Plan]:
    """The office's plans a clue may join: those still being prepared or carried out."""
    return list(
        db.session.scalars(
            select(Plan)
            .where(Plan.office_unit_id == user.unit_id, Plan.status.in_(EDITABLE))
            .order_by(Plan.window_start.desc(), Plan.code)
        )
    )


def clue_page(clue: Clue, refused=None):
    """The clue with everything known of it; `refused` redraws one of its forms."""
    is_open = clue.status not in operations.ENDED
    return page(
        "clues/detail.html",
        refused.status if refused else 200,
        clue=clue,
        is_open=is_open,
        form=refused.as_dict() if refused else None,
        history=history.entries(clue),
        merged=queries.merged_into(clue),
        candidates=queries.duplicate_candidates(g.user, clue) if is_open else [],
        results=queries.plan_results(clue),
        secret=operations.pending_plans(clue),
        photos=photos_of(PhotoParent.clue, [clue.id]).get(clue.id, []),
        photos_max=PHOTOS_MAX,
        units=target_units(),
        plans=_plans(g.user) if is_open else [],
        sites=active_sites() if is_open else [],
        working_days=get_setting("clue_answer_working_days"),
        replies=REPLIES,
        note_max=NOTE_MAX,
        reply_max=REPLY_MAX,
    )


@bp.route("/clues/<uuid:clue_id>")
@office_only
def clue_detail(clue_id: uuid.UUID):
    return clue_page(get_managed_clue(g.user, clue_id))


# ---- attachments ----


@bp.route("/clues/<uuid:clue_id>/attachments", methods=["POST"])
@body_limit("UPLOAD_MAX_BYTES")
@receives_photos("photos")
@office_only
def clue_attach(clue_id: uuid.UUID):
    """Photos of the clue (a letter, a screenshot, the reporter's own pictures), kept as
    evidence through the same intake as a unit's progress photos."""
    clue = get_managed_clue(g.user, clue_id)
    uploads = received_photos()  # an empty file input sends a part with no file name
    errors = {}
    if not uploads:
        errors["photos"] = ["请选择要上传的照片"]
    elif len(uploads) > PHOTOS_MAX:
        errors["photos"] = [f"每次最多上传 {PHOTOS_MAX} 张照片,本次选择了 {len(uploads)} 张"]
    try:
        if errors:
            raise ValidationError(errors)
        operations.attach_photos(clue, uploads, g.user)
    except (ValidationError, ApiError) as error:
        return clue_page(get_managed_clue(g.user, clue_id), refusal(error, "attach", once=True))
    flash(f"已上传 {len(uploads)} 张照片")
    return redirect(url_for("clue_pages.clue_detail", clue_id=clue.id) + "#attachments", 303)


from server.clues import triage_pages  # noqa: E402,F401  (its routes are on this blueprint)
