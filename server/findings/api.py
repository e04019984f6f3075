"""/api/findings: the office's triage queue (问题分办)."""

from __future__ import annotations

import uuid

from flask_jwt_extended import current_user
from flask_smorest import Blueprint

from server.auth.guards import api_login_required
from server.findings import operations as triage
from server.findings.schemas import (
    FindingQueueItemSchema,
    FindingQueueSchema,
    MergeSchema,
    TriageArgsSchema,
)
from server.models import Role
from server.schemas import ErrorSchema, ReasonSchema

blp = Blueprint(
    "findings",
    __name__,
    url_prefix="/api/findings",
    description="问题分办:合并重复、驳回(须说明理由)、转为整改事项",
)


@blp.route("/triage")
@api_login_required(blp, Role.supervisor)
@blp.arguments(TriageArgsSchema, location="query")
@blp.response(200, FindingQueueSchema)
def queue(args):
    """Your office's findings waiting for triage (or another triage status)."""
    return triage.triage_queue(current_user, args)


@blp.route("/<uuid:finding_id>/reject", methods=["POST"])
@api_login_required(blp, Role.supervisor)
@blp.arguments(ReasonSchema)
@blp.response(200, FindingQueueItemSchema)
@blp.alt_response(409, schema=ErrorSchema, description="Already triaged")
def reject(body, finding_id: uuid.UUID):
    """Not a problem: rejected with a reason (kept, locked)."""
    finding = triage.get_office_finding(current_user, finding_id)
    return triage.reject_finding(finding, body["reason"], current_user)


@blp.route("/<uuid:finding_id>/merge", methods=["POST"])
@api_login_required(blp, Role.supervisor)
@blp.arguments(MergeSchema)
@blp.response(200, FindingQueueItemSchema)
def merge(body, finding_id: uuid.UUID):
    """A duplicate of another finding of the office."""
    finding = triage.get_office_finding(current_user, finding_id)
    into = triage.get_office_finding(current_user, body["into_id"])
    return triage.merge_finding(finding, into, current_user)


@blp.route("/<uuid:finding_id>/reopen", methods=["POST"])
@api_login_required(blp, Role.supervisor)
@blp.response(200, FindingQueueItemSchema)
def reopen(finding_id: uuid.UUID):
    """Undo a merge or rejection: back to the queue."""
    finding = triage.get_office_finding(current_user, finding_id)
    return triage.reopen_finding(finding, current_user)
