"""Requests and responses of /api/rectifications and /api/findings/triage."""

from __future__ import annotations

from datetime import timedelta

from marshmallow import ValidationError, fields, validate, validates_schema

from server.models import TITLE_MAX, PlanKind, RectificationStatus
from server.rectification.colour import COLOURS
from server.schemas import BaseSchema, PlanRefSchema, RefSchema, UpdateSchema
from server.timeutil import local_today
from server.workdays.calendar import MAX_DAYS

MAX_TEXT = 4000


def _text(required=False, minimum=0, maximum=MAX_TEXT, **kw):
    return fields.String(
        required=required, validate=validate.Length(min=minimum, max=maximum), **kw
    )


MAX_DEADLINE_YEARS = 10  # a sanity bound on typed dates, not a policy


def within_horizon(value) -> None:
    if value is not None and value > local_today() + timedelta(days=366 * MAX_DEADLINE_YEARS):
        raise ValidationError(f"日期不能晚于 {MAX_DEADLINE_YEARS} 年之后")


class DeadlineMixin:
    @validates_schema
    def one_deadline(self, data, **kwargs):
        if data.get("deadline") is not None and data.get("deadline_working_days") is not None:
            raise ValidationError("完成时限请填写日期或工作日数,二选一", "deadline")


class ItemCreateSchema(DeadlineMixin, BaseSchema):
    finding_ids = fields.List(fields.UUID(), load_default=list, validate=validate.Length(max=50))
    unit_id = fields.UUID(required=True, metadata={"description": "责任单位"})
    title = _text(
        load_default="",
        maximum=TITLE_MAX,
        metadata={"description": "Short title for lists; empty: the problem's first sentence"},
    )
    problem = _text(required=True, minimum=2)
    measures = _text(load_default="")
    requirements = _text(load_default="")
    site_id = fields.UUID(allow_none=True)
    supporting_unit_ids = fields.List(
        fields.UUID(), load_default=list, validate=validate.Length(max=20)
    )
    lead_official_id = fields.UUID(allow_none=True, load_default=None)
    responsible_person = _text(load_default="", maximum=60)
    listed = fields.Boolean(load_default=False, metadata={"description": "挂牌督办"})
    deadline = fields.Date(allow_none=True, validate=within_horizon)
    deadline_working_days = fields.Integer(
        allow_none=True, validate=validate.Range(min=1, max=MAX_DAYS)
    )
    report_every_days = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=366))


class ItemUpdateSchema(DeadlineMixin, UpdateSchema):
    version = fields.Integer(required=True)
    unit_id = fields.UUID()
    title = _text(maximum=TITLE_MAX)
    problem = _text(minimum=2)
    measures = _text()
    requirements = _text()
    site_id = fields.UUID(allow_none=True)
    supporting_unit_ids = fields.List(fields.UUID(), validate=validate.Length(max=20))
    lead_official_id = fields.UUID(allow_none=True)
    responsible_person = _text(maximum=60)
    listed = fields.Boolean()
    deadline = fields.Date(allow_none=True, validate=within_horizon)
    deadline_working_days = fields.Integer(
        allow_none=True, validate=validate.Range(min=1, max=MAX_DAYS)
    )
    report_every_days = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=366))


class LedgerArgsSchema(BaseSchema):
    unit_id = fields.UUID()
    region_code = fields.String(validate=validate.Regexp(r"^\d{2,12}$"))
    plan_id = fields.UUID(metadata={"description": "Office only: source or follow-up plan"})
    colour = fields.String(validate=validate.OneOf(COLOURS))
    status = fields.String(validate=validate.OneOf([s.value for s in RectificationStatus]))
    lead_official_id = fields.UUID()
    listed = fields.Boolean(allow_none=True)
    include_drafts = fields.Boolean(load_default=False)
    q = fields.String(validate=validate.Length(max=100))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    # The dashboards' drill-down (docs/dashboards.md): each optional, none changes a list
    # that does not name it. Days are China Standard Time, both ends included.
    open = fields.Boolean(metadata={"description": "true: issued and not closed yet"})
    overdue = fields.Boolean(metadata={"description": "true: past the deadline, not closed"})
    on_time = fields.Boolean(metadata={"description": "true: closed on or before its deadline"})
    extension_pending = fields.Boolean(metadata={"description": "true: an extension waits"})
    open_instruction = fields.Boolean(
        metadata={"description": "true: a leader's 批示 on it (or its finding) awaits an answer"}
    )
    issued_from = fields.Date()
    issued_to = fields.Date()
    closed_from = fields.Date()
    closed_to = fields.Date()
    deadline_from = fields.Date()
    deadline_to = fields.Date()
    plan_kind = fields.String(
        validate=validate.OneOf([k.value for k in PlanKind]),
        metadata={"description": "Office only: the kind of the source plan"},
    )
    verification = fields.String(
        validate=validate.OneOf(["passed", "failed"]),
        metadata={"description": "Office only: items with a 回头看 decided so"},
    )
    verified_from = fields.Date()
    verified_to = fields.Date()

    @validates_schema
    def ranges(self, data, **kwargs):
        for name in ("issued", "closed", "deadline", "verified"):
            start, end = data.get(f"{name}_from"), data.get(f"{name}_to")
            if start and end and start > end:
                raise ValidationError("结束日期不能早于开始日期", f"{name}_to")


class ThreeListsArgsSchema(BaseSchema):
    plan_id = fields.UUID()
    unit_id = fields.UUID()
    status = fields.String(validate=validate.OneOf([s.value for s in RectificationStatus]))


class ProgressSchema(BaseSchema):
    body = _text(required=True, minimum=2)
    percent = fields.Integer(required=True, validate=validate.Range(min=0, max=100))


class ClosureRequestSchema(BaseSchema):
    body = _text(required=True, minimum=2)


class ExtensionCreateSchema(BaseSchema):
    requested_deadline = fields.Date(required=True, validate=within_horizon)
    reason = _text(required=True, minimum=5, maximum=2000)


class ExtensionDecisionSchema(BaseSchema):
    approve = fields.Boolean(required=True)
    reason = _text(load_default="", maximum=2000)


class VerificationCreateSchema(BaseSchema):
    method = fields.String(required=True, validate=validate.OneOf(["desk", "field"]))
    inspector_id = fields.UUID(metadata={"description": "field: who goes back (回头看)"})
    instructions = _text(load_default="", maximum=2000)
    passed = fields.Boolean(metadata={"description": "desk: the decision"})
    reason = _text(load_default="", maximum=2000)

    @validates_schema
    def by_method(self, data, **kwargs):
        if data["method"] == "field" and not data.get("inspector_id"):
            raise ValidationError("实地复查须指定复查人员", "inspector_id")
        if data["method"] == "desk" and data.get("passed") is None:
            raise ValidationError("书面核查须给出结论", "passed")


class VerificationDecisionSchema(BaseSchema):
    passed = fields.Boolean(required=True)
    reason = _text(load_default="", maximum=2000)


class SummonsCreateSchema(BaseSchema):
    unit_id = fields.UUID(required=True)
    rectification_id = fields.UUID(allow_none=True)
    held_on = fields.Date(required=True)
    person = _text(required=True, minimum=2, maximum=60)
    reason = _text(required=True, minimum=2, maximum=2000)


# ---- responses ----


class SiteRefSchema(RefSchema):
    address = fields.String()


class ItemFields(BaseSchema):
    """The item's own columns, shared by every form of it."""

    code = fields.String()
    title = fields.String()
    problem = fields.String()
    listed = fields.Boolean()
    status = fields.String()
    deadline = fields.Date(allow_none=True)
    deadline_confirmed = fields.Boolean()
    return_count = fields.Integer()
    progress_percent = fields.Integer()
    last_progress_at = fields.DateTime(allow_none=True)


class ItemDetailFields(ItemFields):
    measures = fields.String()
    requirements = fields.String()
    responsible_person = fields.String()
    issued_at = fields.DateTime(allow_none=True)
    acknowledged_at = fields.DateTime(allow_none=True)
    closure_requested_at = fields.DateTime(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)


class ItemSummarySchema(ItemFields):
    id = fields.UUID()
    unit = fields.Nested(RefSchema)
    region_code = fields.String()
    lead_official = fields.Nested(RefSchema, allow_none=True)
    status_label = fields.String()
    colour = fields.String(allow_none=True, metadata={"description": "red | yellow | green"})
    version = fields.Integer()


class ProgressReportSchema(BaseSchema):
    id = fields.UUID()
    body = fields.String()
    percent = fields.Integer()
    closure = fields.Boolean()
    author = fields.Nested(RefSchema)
    created_at = fields.DateTime()
    photos = fields.List(fields.Dict())


class ExtensionSchema(BaseSchema):
    id = fields.UUID()
    reason = fields.String()
    previous_deadline = fields.Date(allow_none=True)
    requested_deadline = fields.Date()
    status = fields.String()
    decision_reason = fields.String()
    decided_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()


class VerificationSchema(BaseSchema):
    id = fields.UUID()
    method = fields.String()
    status = fields.String()
    inspector = fields.Nested(RefSchema, allow_none=True)
    instructions = fields.String()
    report = fields.String()
    opinion = fields.String(allow_none=True)
    reported_at = fields.DateTime(allow_none=True)
    lat = fields.Float(allow_none=True)
    lon = fields.Float(allow_none=True)
    decision_reason = fields.String()
    decided_at = fields.DateTime(allow_none=True)
    photos = fields.List(fields.Dict())
    version = fields.Integer()


class HistorySchema(BaseSchema):
    action = fields.String()
    at = fields.DateTime()
    actor = fields.String(allow_none=True)
    from_status = fields.String(allow_none=True)
    to_status = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)


class InstructionSchema(BaseSchema):
    """A leader's 批示 as shown on an item (its own, or its finding's: on_finding)."""

    id = fields.UUID()
    text = fields.String()
    on_finding = fields.Boolean()
    author = fields.Nested(RefSchema)
    created_at = fields.DateTime()
    due_date = fields.Date(allow_none=True)
    state = fields.String(metadata={"description": "open | overdue | answered"})
    answer = fields.String()
    answered_at = fields.DateTime(allow_none=True)
    answered_by = fields.Nested(RefSchema, allow_none=True)
    can_answer = fields.Boolean(metadata={"description": "the caller may answer it now"})


class ItemSchema(ItemSummarySchema, ItemDetailFields):
    site = fields.Nested(SiteRefSchema, allow_none=True)
    supporting_units = fields.List(fields.Nested(RefSchema))
    deadline_working_days = fields.Integer(allow_none=True)
    report_every_days = fields.Integer(allow_none=True)
    red_reasons = fields.List(fields.String())
    created_at = fields.DateTime()
    progress_reports = fields.List(fields.Nested(ProgressReportSchema))
    extension_requests = fields.List(fields.Nested(ExtensionSchema))
    history = fields.List(fields.Nested(HistorySchema))
    instructions = fields.List(fields.Nested(InstructionSchema))
    # The office's view only: never in a responder's or leader's answer.
    source_plan = fields.Nested(PlanRefSchema, allow_none=True)
    follow_up_plans = fields.List(fields.Nested(PlanRefSchema))
    finding_ids = fields.List(fields.UUID())
    verifications = fields.List(fields.Nested(VerificationSchema))


class LedgerPageSchema(BaseSchema):
    items = fields.List(fields.Nested(ItemSummarySchema))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()
    today = fields.Date()


class ColourCountsSchema(BaseSchema):
    red = fields.Integer()
    yellow = fields.Integer()
    green = fields.Integer()


class ProblemRowSchema(BaseSchema):
    code = fields.String()
    title = fields.String()
    problem = fields.String()
    unit = fields.String(metadata={"description": "lead responsible unit"})
    listed = fields.Boolean()


class MeasureRowSchema(BaseSchema):
    code = fields.String()
    measures = fields.String()
    requirements = fields.String()
    deadline = fields.Date(allow_none=True)
    deadline_confirmed = fields.Boolean()


class ResponsibilityRowSchema(BaseSchema):
    code = fields.String()
    lead_official = fields.String(allow_none=True)
    unit = fields.String()
    supporting_units = fields.List(fields.String())
    responsible_person = fields.String()
    deadline = fields.Date(allow_none=True)
    deadline_confirmed = fields.Boolean()


class ThreeListsSchema(BaseSchema):
    """问题清单、措施清单、责任清单: the same items in the same order (by code)."""

    problems = fields.List(fields.Nested(ProblemRowSchema))
    measures = fields.List(fields.Nested(MeasureRowSchema))
    responsibility = fields.List(fields.Nested(ResponsibilityRowSchema))
    total = fields.Integer()
    truncated = fields.Boolean()


class SummonsSchema(BaseSchema):
    id = fields.UUID()
    unit = fields.Nested(RefSchema)
    rectification_id = fields.UUID(allow_none=True)
    held_on = fields.Date()
    person = fields.String()
    reason = fields.String()
    created_at = fields.DateTime()


class NotificationSchema(BaseSchema):
    id = fields.UUID()
    kind = fields.String()
    rectification_id = fields.UUID(allow_none=True)
    title = fields.String()
    body = fields.String()
    created_at = fields.DateTime()
    read_at = fields.DateTime(allow_none=True)


class NotificationPageSchema(BaseSchema):
    items = fields.List(fields.Nested(NotificationSchema))
    unread = fields.Integer()
