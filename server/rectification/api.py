"""/api/rectifications: items, the ledger, the three lists, the unit's responses,
verifications and summons. Thin: guards, schemas, one operation each."""

from __future__ import annotations

import uuid

from flask_jwt_extended import current_user
from flask_smorest import Blueprint
from marshmallow import fields

from server.auth.guards import api_login_required
from server.errors import ApiError
from server.evidence.intake import accept_photo, received_photos, receives_photos
from server.extensions import db
from server.models import (
    PhotoParent,
    ProgressReport,
    Rectification,
    Role,
)
from server.rectification import forms, operations, queries, reminders, views, workflow
from server.rectification import verification as verifying
from server.rectification.access import get_managed_item, get_responded_item, get_visible_item
from server.rectification.schemas import (
    ClosureRequestSchema,
    ColourCountsSchema,
    ExtensionCreateSchema,
    ExtensionDecisionSchema,
    ExtensionSchema,
    ItemCreateSchema,
    ItemSchema,
    ItemUpdateSchema,
    LedgerArgsSchema,
    LedgerPageSchema,
    ProgressReportSchema,
    ProgressSchema,
    SummonsCreateSchema,
    SummonsSchema,
    ThreeListsArgsSchema,
    ThreeListsSchema,
    VerificationCreateSchema,
    VerificationDecisionSchema,
)
from server.schemas import BaseSchema, ErrorSchema, ReasonSchema
from server.settings import get_setting
from server.transaction import body_limit

blp = Blueprint(
    "rectifications",
    __name__,
    url_prefix="/api/rectifications",
    description="整改事项:三个清单、交办、签收、进展、延期、复查(回头看)与销号;工作台账",
)
NOT_VISIBLE = "Not found, or not visible to you (the two are indistinguishable)"
S, R = Role.supervisor, Role.responder


def _detail(item):
    return views.detail(item, current_user)


@blp.route("")
@api_login_required(blp)
@blp.arguments(LedgerArgsSchema, location="query")
@blp.response(200, LedgerPageSchema)
def ledger(args):
    """The ledger (工作台账): items you may see, listed (挂牌督办) first, with colours."""
    page = queries.ledger(current_user, args)
    page["items"] = [views.summary(i, page["today"]) for i in page["items"]]
    return page


@blp.route("/colours")
@api_login_required(blp)
@blp.arguments(LedgerArgsSchema, location="query")
@blp.response(200, ColourCountsSchema)
def colours(args):
    """How many red, yellow and green items the same filters give."""
    return queries.colour_counts(current_user, args)


@blp.route("/three-lists")
@api_login_required(blp)
@blp.arguments(ThreeListsArgsSchema, location="query")
@blp.response(200, ThreeListsSchema)
def three_lists(args):
    """问题清单、措施清单、责任清单: per plan, per unit or everything you may see."""
    return queries.three_lists(current_user, args)


@blp.route("", methods=["POST"])
@api_login_required(blp, S)
@blp.arguments(ItemCreateSchema)
@blp.response(201, ItemSchema)
@blp.alt_response(422, schema=ErrorSchema, description="A field is missing or wrong")
def create(body):
    """A draft item for your office, from zero or more of its findings (triage)."""
    return _detail(operations.create_item(body, current_user))


@blp.route("/<uuid:item_id>")
@api_login_required(blp)
@blp.response(200, ItemSchema)
@blp.alt_response(404, schema=ErrorSchema, description=NOT_VISIBLE)
def get_item(item_id: uuid.UUID):
    """One item with its reports, extension requests and history. The office also reads
    its source plan, findings and verifications; nobody else does."""
    return _detail(get_visible_item(current_user, item_id))


@blp.route("/<uuid:item_id>", methods=["PATCH"])
@api_login_required(blp, S)
@blp.arguments(ItemUpdateSchema)
@blp.response(200, ItemSchema)
@blp.alt_response(409, schema=ErrorSchema, description="Stale version or closed item")
def update(body, item_id: uuid.UUID):
    """Edit a draft; once issued only the lead official, responsible person, listing and
    report cadence change (the deadline moves by extension)."""
    return _detail(
        operations.update_item(get_managed_item(current_user, item_id), body, current_user)
    )


@blp.route("/<uuid:item_id>", methods=["DELETE"])
@api_login_required(blp, S)
@blp.response(204)
def delete(item_id: uuid.UUID):
    """Discard a draft; its findings go back to the triage queue."""
    operations.delete_draft(get_managed_item(current_user, item_id), current_user)


@blp.route("/<uuid:item_id>/issue", methods=["POST"])
@api_login_required(blp, S)
@blp.response(200, ItemSchema)
@blp.alt_response(409, schema=ErrorSchema, description="Not a draft")
def issue(item_id: uuid.UUID):
    """交办: the unit receives the item; a deadline in working days counts from today."""
    return _detail(operations.issue_item(get_managed_item(current_user, item_id), current_user))


@blp.route("/<uuid:item_id>/acknowledge", methods=["POST"])
@api_login_required(blp, R)
@blp.response(200, ItemSchema)
@blp.alt_response(409, schema=ErrorSchema, description="Not waiting for receipt")
def acknowledge(item_id: uuid.UUID):
    """签收 (the responsible unit)."""
    return _detail(workflow.acknowledge(get_responded_item(current_user, item_id), current_user))


@blp.route("/<uuid:item_id>/progress", methods=["POST"])
@api_login_required(blp, R)
@blp.arguments(ProgressSchema)
@blp.response(201, ProgressReportSchema)
@blp.alt_response(409, schema=ErrorSchema, description="Not acknowledged, or closed")
def report_progress(body, item_id: uuid.UUID):
    """A progress report (整改进展); add photos with …/progress/<report_id>/photos."""
    item = get_responded_item(current_user, item_id)
    return _report(item, workflow.report_progress(item, body, current_user))


def _report(item: Rectification, report: ProgressReport) -> dict:
    return next(r for r in views.progress_reports(item) if r["id"] == report.id)


class PhotoFileSchema(BaseSchema):
    photo = fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


@blp.route("/<uuid:item_id>/progress/<uuid:report_id>/photos", methods=["POST"])
@body_limit("UPLOAD_MAX_BYTES")
@receives_photos("photo")
@api_login_required(blp, R)
@blp.arguments(PhotoFileSchema, location="files")
@blp.response(201, ProgressReportSchema)
@blp.alt_response(413, schema=ErrorSchema, description="File too large")
@blp.alt_response(422, schema=ErrorSchema, description="Not a photo")
def add_report_photo(files, item_id: uuid.UUID, report_id: uuid.UUID):
    """One photo for your progress report, through the evidence pipeline (multipart)."""
    item = get_responded_item(current_user, item_id)
    report = db.session.get(ProgressReport, report_id)
    if report is None or report.rectification_id != item.id or report.author_id != current_user.id:
        raise ApiError(404, "not_found", "进展报告不存在")
    existing = views.photo_refs(PhotoParent.progress_report, [report.id]).get(report.id, [])
    most = get_setting("max_photos_per_report")
    if len(existing) >= most:
        raise ApiError(
            422,
            "validation_error",
            f"每次报送最多 {most} 张照片",
            {"fields": {"photo": ["照片过多"]}},
        )
    (received,) = received_photos()  # the schema requires the one file
    accept_photo(received, PhotoParent.progress_report, report.id, current_user)
    return _report(item, report)


@blp.route("/<uuid:item_id>/extensions", methods=["POST"])
@api_login_required(blp, R)
@blp.arguments(ExtensionCreateSchema)
@blp.response(201, ExtensionSchema)
@blp.alt_response(409, schema=ErrorSchema, description="One is already pending")
def request_extension(body, item_id: uuid.UUID):
    """延期申请, with a reason and the new date."""
    item = get_responded_item(current_user, item_id)
    return workflow.request_extension(item, body, current_user)


@blp.route("/<uuid:item_id>/extensions/<uuid:extension_id>/decision", methods=["POST"])
@api_login_required(blp, S)
@blp.arguments(ExtensionDecisionSchema)
@blp.response(200, ExtensionSchema)
def decide_extension(body, item_id: uuid.UUID, extension_id: uuid.UUID):
    """Approve (the deadline moves) or refuse with a reason."""
    item = get_managed_item(current_user, item_id)
    return workflow.decide_extension(item, forms.extension_of(extension_id), body, current_user)


@blp.route("/<uuid:item_id>/closure-request", methods=["POST"])
@api_login_required(blp, R)
@blp.arguments(ClosureRequestSchema)
@blp.response(200, ItemSchema)
def request_closure(body, item_id: uuid.UUID):
    """申请销号, with an account of the finished work."""
    item = get_responded_item(current_user, item_id)
    workflow.request_closure(item, body, current_user)
    return _detail(item)


@blp.route("/<uuid:item_id>/return", methods=["POST"])
@api_login_required(blp, S)
@blp.arguments(ReasonSchema)
@blp.response(200, ItemSchema)
def return_item(body, item_id: uuid.UUID):
    """退回 a closure request with a reason; the unit goes on with the work."""
    item = get_managed_item(current_user, item_id)
    return _detail(workflow.return_item(item, body["reason"], current_user))


@blp.route("/<uuid:item_id>/verifications", methods=["POST"])
@api_login_required(blp, S)
@blp.arguments(VerificationCreateSchema)
@blp.response(200, ItemSchema)
@blp.alt_response(409, schema=ErrorSchema, description="Another verification is open")
def verify(body, item_id: uuid.UUID):
    """Verify at the desk (decides at once) or send an inspector back (回头看)."""
    item = get_managed_item(current_user, item_id)
    if body["method"] == "desk":
        verifying.record_desk_verification(item, body, current_user)
    else:
        verifying.assign_field_verification(item, body, current_user)
    return _detail(item)


@blp.route("/<uuid:item_id>/verifications/<uuid:verification_id>/decision", methods=["POST"])
@api_login_required(blp, S)
@blp.arguments(VerificationDecisionSchema)
@blp.response(200, ItemSchema)
def decide_verification(body, item_id: uuid.UUID, verification_id: uuid.UUID):
    """Pass → closed (销号); fail → returned with the reason."""
    item = get_managed_item(current_user, item_id)
    verifying.decide(item, forms.verification_of(item, verification_id), body, current_user)
    return _detail(item)


@blp.route("/<uuid:item_id>/verifications/<uuid:verification_id>", methods=["DELETE"])
@api_login_required(blp, S)
@blp.response(200, ItemSchema)
def cancel_verification(item_id: uuid.UUID, verification_id: uuid.UUID):
    """Call off a field verification not yet decided."""
    item = get_managed_item(current_user, item_id)
    verifying.cancel_verification(item, forms.verification_of(item, verification_id), current_user)
    return _detail(item)


@blp.route("/summons")
@api_login_required(blp, S, R, Role.admin)
@blp.response(200, SummonsSchema(many=True))
def list_summons():
    """约谈 records: the office's, or those of your own unit."""
    return reminders.summons_for(current_user)


@blp.route("/summons", methods=["POST"])
@api_login_required(blp, S)
@blp.arguments(SummonsCreateSchema)
@blp.response(201, SummonsSchema)
def record_summons(body):
    """Record a summons (约谈) of a unit's head; the unit is told."""
    return reminders.record_summons(body, current_user)
