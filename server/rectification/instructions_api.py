"""/api/instructions: leaders' 批示 on items and findings, and the answers (回复批示).
Each item's 批示 are also in GET /api/rectifications/{id} (`instructions`)."""

from __future__ import annotations

import uuid

from flask_jwt_extended import current_user
from flask_smorest import Blueprint

from server.auth.guards import api_login_required
from server.models import Role
from server.rectification import instructions
from server.rectification.instruction_schemas import (
    InstructionAnswerSchema,
    InstructionCreateSchema,
    WrittenPageSchema,
)
from server.rectification.schemas import InstructionSchema
from server.schemas import ErrorSchema
from server.timeutil import local_today

blp = Blueprint(
    "instructions", __name__, url_prefix="/api/instructions", description="领导批示与回复"
)
L, R, S = Role.leader, Role.responder, Role.supervisor


@blp.route("")
@api_login_required(blp, L)
@blp.response(200, WrittenPageSchema)
def written():
    """Your 批示, unanswered first, with their state."""
    return {"items": instructions.written_by(current_user)}


@blp.route("", methods=["POST"])
@api_login_required(blp, L)
@blp.arguments(InstructionCreateSchema)
@blp.response(201, InstructionSchema)
@blp.alt_response(404, schema=ErrorSchema, description="No such item or finding for you")
def write(body):
    """A 批示 on an item you can see, or on a finding of such an item; due in
    leader_instruction_working_days working days. The unit of each issued item it shows
    on, and the office, are notified."""
    done = instructions.write(
        current_user, body["text"], body.get("rectification_id"), body.get("finding_id")
    )
    return instructions.view(done, local_today())


@blp.route("/<uuid:instruction_id>/answer", methods=["POST"])
@api_login_required(blp, R, S)
@blp.arguments(InstructionAnswerSchema)
@blp.response(200, InstructionSchema)
@blp.alt_response(404, schema=ErrorSchema, description="Not found, or not visible to you")
@blp.alt_response(409, schema=ErrorSchema, description="Already answered")
def answer(body, instruction_id: uuid.UUID):
    """回复批示: the responsible unit (or the office) answers; it is closed and its author
    notified."""
    done = instructions.answer(current_user, instruction_id, body["answer"])
    return instructions.view(done, local_today())
