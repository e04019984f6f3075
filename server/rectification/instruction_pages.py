"""The console's side of leaders' 批示 (server/rectification/instructions.py): the leader
writes one on the item's page (the unit's page, which he reads), the unit answers on its
portal page, the office on its item page; the leader's start page lists his 批示.
Forms load through the API's schemas; a refusal redraws the item page with the message
next to the field."""

from __future__ import annotations

import uuid

from flask import flash, g, redirect, request, url_for
from marshmallow import ValidationError

from server.console.kit import pages_blueprint, present, refusal
from server.console.session import console_login_required
from server.errors import ApiError, not_found
from server.models import Role
from server.rectification import instructions
from server.rectification.access import get_managed_item, get_responded_item, get_visible_item
from server.rectification.instruction_schemas import (
    InstructionAnswerSchema,
    InstructionCreateSchema,
)
from server.rectification.pages import render_detail
from server.rectification.portal_pages import item_page

bp = pages_blueprint("instruction_pages", __name__)

UNIT_ITEM = "/unit/items/<uuid:item_id>"
ANSWER = "instructions/<uuid:instruction_id>/answer"


@bp.app_template_global("leader_instructions")
def leader_instructions(user) -> list[dict]:
    """The leader's start page: his 批示 with their state."""
    return instructions.written_by(user, limit=20)


def _subject(item, raw: str) -> dict:
    """The form's 批示对象: the item itself, or one of the findings it was made from."""
    if raw in ("", "item"):
        return {"rectification_id": str(item.id)}
    if raw not in {str(f.id) for f in item.findings}:
        raise not_found("问题不存在")
    return {"finding_id": raw}


@bp.route(f"{UNIT_ITEM}/instructions", methods=["POST"])
@console_login_required(Role.leader)
def write_instruction(item_id: uuid.UUID):
    item = get_visible_item(g.user, item_id)
    values = {"text": request.form.get("text", ""), "subject": request.form.get("subject", "")}
    try:
        body = InstructionCreateSchema().load(
            {**present(request.form, "text"), **_subject(item, values["subject"])}
        )
        instructions.write(
            g.user, body["text"], body.get("rectification_id"), body.get("finding_id")
        )
    except (ValidationError, ApiError) as error:
        refused = refusal(error, "instruction", values, once=True)
        return item_page(get_visible_item(g.user, item_id), refused.status, refused.as_dict())
    return redirect(url_for("portal_pages.portal_item", item_id=item_id, done="instruction"), 303)


def _answer(item, instruction_id, redraw):
    instructions.answerable(g.user, instruction_id, through=item)  # 404 before the form
    form = f"answer-{instruction_id}"
    values = {"answer": request.form.get("answer", "")}
    try:
        body = InstructionAnswerSchema().load(present(request.form, "answer"))
        instructions.answer(g.user, instruction_id, body["answer"], through=item)
    except (ValidationError, ApiError) as error:
        return redraw(refusal(error, form, values, once=True))
    return None


@bp.route(f"{UNIT_ITEM}/{ANSWER}", methods=["POST"])
@console_login_required(Role.responder)
def unit_answer(item_id: uuid.UUID, instruction_id: uuid.UUID):
    def redraw(refused):
        item = get_responded_item(g.user, item_id)
        return item_page(item, refused.status, refused.as_dict())

    refused = _answer(get_responded_item(g.user, item_id), instruction_id, redraw)
    url = url_for("portal_pages.portal_item", item_id=item_id, done="answered")
    return refused or redirect(url + "#instructions", 303)


@bp.route(f"/rectifications/<uuid:item_id>/{ANSWER}", methods=["POST"])
@console_login_required(Role.supervisor)
def office_answer(item_id: uuid.UUID, instruction_id: uuid.UUID):
    def redraw(refused):
        item = get_managed_item(g.user, item_id)
        # The message is shown in the 批示's own card (next to its form), not on top.
        return render_detail(item, refused.as_dict(), None, refused.status)

    refused = _answer(get_managed_item(g.user, item_id), instruction_id, redraw)
    if refused:
        return refused
    flash("批示已回复")
    url = url_for("rectification_pages.rectification_detail", item_id=item_id)
    return redirect(url + "#instructions", 303)
