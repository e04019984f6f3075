"""Plan payloads. The console's forms load through these same schemas."""

from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates_schema

from server.models import DrawPool, PlanKind, PlanMode, PlanStatus
from server.schemas import BaseSchema, RefSchema, UpdateSchema

MAX_IDS = 500  # per list in one request: a plan is not a bulk import
ID_LIST = {"validate": validate.Length(max=MAX_IDS)}


def _ids():
    return fields.List(fields.UUID(), **ID_LIST)


class PlanFieldsSchema(BaseSchema):
    title = fields.String(validate=validate.Length(min=2, max=200))
    matter = fields.String(validate=validate.Length(min=2, max=2000))
    matter_category = fields.String(validate=validate.Length(min=1, max=40))
    mode = fields.String(validate=validate.OneOf([m.value for m in PlanMode]))
    kind = fields.String(validate=validate.OneOf([k.value for k in PlanKind]))
    window_start = fields.Date()
    window_end = fields.Date()
    leader_id = fields.UUID(allow_none=True)
    team_ids = _ids()
    site_ids = _ids()
    unit_ids = _ids()
    rectification_ids = _ids()
    repeat_justification = fields.String(allow_none=True, validate=validate.Length(max=2000))

    @validates_schema
    def window_in_order(self, data, **kwargs):
        start, end = data.get("window_start"), data.get("window_end")
        if start and end and end < start:
            raise ValidationError("结束日期不能早于开始日期", "window_end")


class PlanCreateSchema(PlanFieldsSchema):
    """The same fields; a new plan must name these."""

    REQUIRED = ("title", "matter", "matter_category", "mode", "kind", "window_start", "window_end")

    def on_bind_field(self, field_name: str, field_obj: fields.Field) -> None:
        super().on_bind_field(field_name, field_obj)
        field_obj.required = field_obj.required or field_name in self.REQUIRED


class PlanUpdateSchema(PlanFieldsSchema, UpdateSchema):
    version = fields.Integer(required=True, metadata={"description": "The version you edited"})


MERGED = ("team_ids", "site_ids", "unit_ids", "rectification_ids")


class PlanMergeSchema(BaseSchema):
    team_ids = _ids()
    site_ids = _ids()
    unit_ids = _ids()
    rectification_ids = _ids()
    note = fields.String(validate=validate.Length(max=2000))

    @validates_schema
    def something_to_merge(self, data, **kwargs):
        if not any(data.get(name) for name in MERGED):
            raise ValidationError("请至少选择一名人员或一个点位、单位、整改事项")


class StatusChangeSchema(BaseSchema):
    status = fields.String(required=True, validate=validate.OneOf([s.value for s in PlanStatus]))
    version = fields.Integer(required=True)


class DrawRequestSchema(BaseSchema):
    pool = fields.String(required=True, validate=validate.OneOf([p.value for p in DrawPool]))
    targets = fields.Integer(required=True, validate=validate.Range(min=1, max=MAX_IDS))
    inspectors = fields.Integer(load_default=0, validate=validate.Range(min=0, max=MAX_IDS))
    target_ids = fields.List(
        fields.UUID(),
        validate=validate.Length(max=100_000),
        metadata={"description": "Candidate targets; all active ones when left out"},
    )
    inspector_ids = fields.List(
        fields.UUID(),
        validate=validate.Length(max=100_000),
        metadata={"description": "Candidate inspectors; all active inspectors when left out"},
    )
    seed = fields.String(
        validate=validate.Regexp(
            r"^[A-Za-z0-9_.:-]{4,128}$", error="随机种子须为 4–128 位字母或数字"
        ),
        metadata={"description": "e.g. a publicly drawn number; a random one when left out"},
    )


class ListArgsSchema(BaseSchema):
    status = fields.String(validate=validate.OneOf([s.value for s in PlanStatus]))
    mode = fields.String(validate=validate.OneOf([m.value for m in PlanMode]))
    kind = fields.String(validate=validate.OneOf([k.value for k in PlanKind]))
    year = fields.Integer(validate=validate.Range(min=2000, max=2100))
    q = fields.String(validate=validate.Length(max=100))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class FiguresArgsSchema(BaseSchema):
    year = fields.Integer(validate=validate.Range(min=2000, max=2100))
    office_id = fields.UUID(metadata={"description": "Admins: which office (default: yours)"})


# ---- responses ----


class MemberSchema(BaseSchema):
    id = fields.UUID()
    display_name = fields.String()
    unit_name = fields.String(attribute="unit.name")
    region_code = fields.String(attribute="unit.region_code")


class TargetSiteSchema(BaseSchema):
    id = fields.UUID()
    name = fields.String()
    address = fields.String()
    unit_id = fields.UUID()
    region_code = fields.String()


class TargetUnitSchema(BaseSchema):
    id = fields.UUID()
    name = fields.String()
    region_code = fields.String()


class RecheckSchema(BaseSchema):
    id = fields.UUID()
    code = fields.String()
    problem = fields.String()
    unit_id = fields.UUID()
    status = fields.String()


class DrawSchema(BaseSchema):
    id = fields.UUID()
    created_at = fields.DateTime()
    created_by_id = fields.UUID()
    algorithm = fields.String()
    seed = fields.String()
    pool = fields.String()
    inputs = fields.Dict()
    result = fields.Dict()


class DrawCheckSchema(BaseSchema):
    draw = fields.Nested(DrawSchema)
    rerun_result = fields.Dict()
    matches = fields.Boolean()


class PlanSummarySchema(BaseSchema):
    id = fields.UUID()
    code = fields.String()
    title = fields.String()
    mode = fields.String()
    kind = fields.String()
    status = fields.String()
    window_start = fields.Date()
    window_end = fields.Date()
    office_unit_id = fields.UUID()
    version = fields.Integer()


class PlanSchema(PlanSummarySchema):
    matter = fields.String()
    matter_category = fields.String(attribute="matter_category.code", allow_none=True)
    leader = fields.Nested(MemberSchema, allow_none=True)
    team = fields.List(fields.Nested(MemberSchema))
    sites = fields.List(fields.Nested(TargetSiteSchema))
    target_units = fields.List(fields.Nested(TargetUnitSchema))
    rechecks = fields.List(fields.Nested(RecheckSchema))
    repeat_justification = fields.String(allow_none=True)
    created_by_id = fields.UUID()
    approved_by_id = fields.UUID(allow_none=True)
    approved_at = fields.DateTime(allow_none=True)
    findings_issued_at = fields.DateTime(allow_none=True)
    draws = fields.List(fields.Nested(DrawSchema))
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class PlanDeviceSchema(PlanSummarySchema):
    """A plan as its team's devices pull it: no office, no version."""

    class Meta(BaseSchema.Meta):
        exclude = ("id", "office_unit_id", "version")

    matter = fields.String()
    site_ids = fields.Function(lambda plan: [str(s.id) for s in plan.sites])
    team_ids = fields.Function(lambda plan: [str(u.id) for u in plan.team])


class SiteDeviceSchema(TargetSiteSchema):
    """A site as devices pull it: where it is and how near counts as there."""

    class Meta(BaseSchema.Meta):
        exclude = ("id",)

    lat = fields.Float(allow_none=True)
    lon = fields.Float(allow_none=True)
    radius_m = fields.Integer()


class PlanPageSchema(BaseSchema):
    items = fields.List(fields.Nested(PlanSummarySchema))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


class ShareSchema(BaseSchema):
    count = fields.Integer()
    total = fields.Integer()
    share = fields.Float(allow_none=True)
    goal = fields.Float()
    met = fields.Boolean(allow_none=True)


class FiguresSchema(BaseSchema):
    year = fields.Integer()
    office = fields.Nested(RefSchema)
    plans = fields.Integer()
    unannounced = fields.Nested(ShareSchema)
    routine_special = fields.Nested(ShareSchema)
    random_targets = fields.Nested(ShareSchema)
