"""/console/unit/clues: the clues forwarded to a responsible unit (转办线索), phone first.

The unit sees each clue only as `access.UnitView` (what was reported, where, the
office's note, the deadline and its own answer), never the Clue itself: the templates
get views, so nothing the office does with a clue afterwards (planning it into an
unannounced inspection, merging, closing) can change a byte of these pages. The count
on the start page is read from the forwarding fields alone for the same reason."""

from __future__ import annotations

import uuid

from flask import flash, g, redirect, request, url_for
from marshmallow import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from server.clues import operations
from server.clues.access import UnitView, forwarded_clause, get_forwarded_clue
from server.clues.schemas import REPLY_MAX, AnswerSchema
from server.console.kit import page, pages_blueprint, present, refusal
from server.console.session import console_login_required
from server.errors import ApiError
from server.extensions import db
from server.models import Clue, Role, User
from server.timeutil import local_today

bp = pages_blueprint("clue_unit_pages", __name__)

LIST_LIMIT = 200  # per section (待答复, 已答复); the unit is told when there are more


def _waiting_clause():
    return Clue.answered_at.is_(None)


def waiting_count(user: User) -> int:
    """Clues forwarded to the user's unit and not yet answered: forwarding fields only,
    so the number is the same whatever the office has done with them since."""
    return db.session.scalar(
        select(func.count(Clue.id)).where(forwarded_clause(user), _waiting_clause())
    )


@bp.app_template_global("unit_clues_waiting")
def unit_clues_waiting(user: User) -> int:
    return waiting_count(user) if user.role == Role.responder else 0


def _views(user: User, waiting: bool) -> tuple[list[UnitView], int]:
    where = [
        forwarded_clause(user),
        _waiting_clause() if waiting else Clue.answered_at.is_not(None),
    ]
    total = db.session.scalar(select(func.count(Clue.id)).where(*where))
    if waiting:  # the nearest deadline first; the forwarding order breaks ties
        order = (Clue.answer_due.is_(None), Clue.answer_due, Clue.forwarded_at, Clue.code)
    else:
        order = (Clue.answered_at.desc(), Clue.code)
    query = select(Clue).where(*where).options(selectinload(Clue.topic))
    rows = db.session.scalars(query.order_by(*order).limit(LIST_LIMIT))
    return [UnitView.of(clue) for clue in rows], total


@bp.route("/unit/clues")
@console_login_required(Role.responder)
def unit_clue_list():
    waiting, waiting_total = _views(g.user, True)
    answered, answered_total = _views(g.user, False)
    return page(
        "clues/unit_list.html",
        waiting=waiting,
        waiting_total=waiting_total,
        answered=answered,
        answered_total=answered_total,
        today=local_today(),
        limit=LIST_LIMIT,
    )


def _detail(clue_id: uuid.UUID, refused=None):
    view = UnitView.of(get_forwarded_clue(g.user, clue_id))
    return page(
        "clues/unit_detail.html",
        refused.status if refused else 200,
        view=view,
        today=local_today(),
        form=refused.as_dict() if refused else None,
        answer_max=REPLY_MAX,
    )


@bp.route("/unit/clues/<uuid:clue_id>")
@console_login_required(Role.responder)
def unit_clue_detail(clue_id: uuid.UUID):
    return _detail(clue_id)


@bp.route("/unit/clues/<uuid:clue_id>/answer", methods=["POST"])
@console_login_required(Role.responder)
def unit_clue_answer(clue_id: uuid.UUID):
    clue = get_forwarded_clue(g.user, clue_id)
    values = {"answer": request.form.get("answer", "")}
    try:
        data = AnswerSchema().load(present(request.form, "answer"))
        operations.answer_clue(clue, data["answer"], g.user)
    except (ValidationError, ApiError) as error:
        return _detail(clue_id, refusal(error, "answer", values, once=True))
    flash("已答复,督查室将收到通知")
    return redirect(url_for("clue_unit_pages.unit_clue_detail", clue_id=clue_id), 303)
