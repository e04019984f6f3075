"""The actions on a clue's page (/console/clues/<id>/…): merge a duplicate, reject, forward
to a unit, make it the reason for a plan's target (and take it off again), and close it
with an outcome and a reply. Merging, rejecting and closing cannot be undone: they ask
once (kit.Confirmation). A refusal redraws the clue's page with the message next to the
form it came from."""

from __future__ import annotations

import uuid

from flask import flash, g, redirect, request, url_for
from marshmallow import ValidationError
from sqlalchemy import select

from server.clues import operations
from server.clues.access import get_managed_clue
from server.clues.pages import bp, clue_page, office_only
from server.clues.schemas import (
    CloseSchema,
    ForwardSchema,
    MergeSchema,
    PlanLinkSchema,
    RejectSchema,
)
from server.console.kit import Confirmation, confirmation_page, confirmed, present, refusal
from server.errors import ApiError, field_error
from server.extensions import db
from server.glossary import CLUE_OUTCOMES
from server.models import Clue
from server.plans.access import get_managed_plan


def _back(clue_id: uuid.UUID, anchor: str = ""):
    return redirect(url_for("clue_pages.clue_detail", clue_id=clue_id) + anchor, 303)


def _shown(clue_id: uuid.UUID) -> uuid.UUID:
    """The clue whose page a form was on (合并到此 is posted on the duplicate's route
    from the page of the clue it joins)."""
    try:
        shown = uuid.UUID(request.form.get("shown_id", ""))
    except ValueError:
        return clue_id
    return shown


def _refused(clue_id: uuid.UUID, form: str, names: tuple, error: Exception):
    values = {name: request.form.get(name, "") for name in names}
    refused = refusal(error, form, values, once=True)
    return clue_page(get_managed_clue(g.user, _shown(clue_id)), refused)


def _ask(action: str, subject: str, consequence: str, clue_id: uuid.UUID):
    back = url_for("clue_pages.clue_detail", clue_id=_shown(clue_id))
    return confirmation_page(Confirmation(action, subject, consequence), back)


def _into(clue: Clue) -> Clue:
    """The clue to merge into: by id (a suggestion's button) or by its code (typed)."""
    code = request.form.get("into_code", "").strip()
    if not request.form.get("into_id") and code:
        into = db.session.scalar(
            select(Clue).where(Clue.office_unit_id == clue.office_unit_id, Clue.code == code)
        )
        if into is None:
            raise field_error("into_code", f"本督查室没有编号为 {code} 的线索")
        return into
    data = MergeSchema().load(present(request.form, "into_id"))
    return get_managed_clue(g.user, data["into_id"])


@bp.route("/clues/<uuid:clue_id>/merge", methods=["POST"])
@office_only
def clue_merge(clue_id: uuid.UUID):
    clue = get_managed_clue(g.user, clue_id)
    form = request.form.get("form_name", "merge")[:60]
    try:
        into = _into(clue)
        if not confirmed():
            return _ask(
                "合并", f"{clue.code} 并入 {into.code}",
                f"{clue.code} 将作为 {into.code} 的重复线索结束,随其办结答复,不能撤销。", clue_id,
            )  # fmt: skip
        operations.merge_clue(clue, into, g.user)
    except (ValidationError, ApiError) as error:
        return _refused(clue_id, form, ("into_id", "into_code"), error)
    flash(f"已将 {clue.code} 合并到 {into.code}")
    return _back(into.id)


@bp.route("/clues/<uuid:clue_id>/reject", methods=["POST"])
@office_only
def clue_reject(clue_id: uuid.UUID):
    clue = get_managed_clue(g.user, clue_id)
    names = ("reason", "reply")
    try:
        data = RejectSchema().load(present(request.form, *names))
        if not confirmed():
            return _ask(
                "不予采用", f"{clue.code} {clue.summary[:40]}",
                "线索将以“不予受理”结束,不能撤销。", clue_id,
            )  # fmt: skip
        operations.reject_clue(clue, data["reason"], data["reply"], g.user)
    except (ValidationError, ApiError) as error:
        return _refused(clue_id, "reject", names, error)
    flash(f"线索 {clue.code} 不予采用")
    return _back(clue.id)


@bp.route("/clues/<uuid:clue_id>/forward", methods=["POST"])
@office_only
def clue_forward(clue_id: uuid.UUID):
    clue = get_managed_clue(g.user, clue_id)
    names = ("unit_id", "working_days", "note")
    try:
        data = ForwardSchema().load(present(request.form, *names))
        operations.forward_clue(clue, data, g.user)
    except (ValidationError, ApiError) as error:
        return _refused(clue_id, "forward", names, error)
    flash(f"已转办{clue.forwarded_unit.name},{clue.answer_due.isoformat()} 前答复")
    return _back(clue.id, "#forwarding")


@bp.route("/clues/<uuid:clue_id>/plan", methods=["POST"])
@office_only
def clue_plan(clue_id: uuid.UUID):
    clue = get_managed_clue(g.user, clue_id)
    names = ("plan_id", "site_id")
    try:
        data = PlanLinkSchema().load(present(request.form, *names))
        plan = operations.link_to_plan(clue, data["plan_id"], data["site_id"], g.user)
    except (ValidationError, ApiError) as error:
        if isinstance(error, ApiError) and error.status == 404:  # a plan of another office
            error = field_error("plan_id", "请选择本督查室尚未结束的计划")
        return _refused(clue_id, "plan", names, error)
    flash(f"已纳入暗访计划 {plan.code}")
    return _back(clue.id, "#plans")


@bp.route("/clues/<uuid:clue_id>/plan/<uuid:plan_id>/remove", methods=["POST"])
@office_only
def clue_unplan(clue_id: uuid.UUID, plan_id: uuid.UUID):
    clue = get_managed_clue(g.user, clue_id)
    plan = get_managed_plan(g.user, plan_id)  # another office's plan: not found
    try:
        operations.unlink_from_plan(clue, plan.id, g.user)
    except ApiError as error:
        refused = refusal(error, f"unplan-{plan.id}")
        # A plan the clue is not behind has no form of its own: the message goes on top.
        refused.message = "".join(refused.errors.get("plan_id", [])) or refused.message
        return clue_page(get_managed_clue(g.user, clue_id), refused)
    flash(f"已将线索移出计划 {plan.code}")
    return _back(clue.id, "#plans")


@bp.route("/clues/<uuid:clue_id>/close", methods=["POST"])
@office_only
def clue_close(clue_id: uuid.UUID):
    clue = get_managed_clue(g.user, clue_id)
    names = ("outcome", "reply")
    try:
        data = CloseSchema().load(present(request.form, *names))
        if not confirmed():
            return _ask(
                "办结", f"{clue.code}:{CLUE_OUTCOMES[data['outcome']]}",
                "办结后线索不能再办理,答复内容将作为对来源的回复。", clue_id,
            )  # fmt: skip
        operations.close_clue(clue, data["outcome"], data["reply"], g.user)
    except (ValidationError, ApiError) as error:
        return _refused(clue_id, "close", names, error)
    flash(f"线索 {clue.code} 已办结")
    return _back(clue.id)
