"""Field records devices push: visits, findings, interviews and photo metadata.

Who may see one: its author, the supervisors of its plan's office, admins. Its author may
change it until it is locked (a finding, once triaged)."""

from __future__ import annotations

from marshmallow import ValidationError
from sqlalchemy import or_, select, true

from server.evidence.checks import clock_offset, evaluate_photo, evaluate_visit
from server.field.reference import LIVE, SimpleHandler, plan_visible
from server.field.schemas import FindingData, InterviewData, PhotoData, VisitData
from server.models import (
    ContentStatus,
    Finding,
    Interview,
    Photo,
    PhotoParent,
    Plan,
    Role,
    Unit,
    Verification,
    Visit,
    utcnow,
)
from server.rectification.sync import (
    ACTIVE as ACTIVE_VERIFICATION,
)
from server.rectification.sync import (
    ENDED,
    ENDED_MESSAGE,
    item_photo_audience,
    item_photo_visible,
    item_photos_clause,
    sent_to_verify,
)
from server.sync_api.cache import active_categories, cached_get
from server.sync_api.principal import ADMINS, office_tag, user_tag
from sync import MutationContext, Rejected

INVALID = "提交的数据未通过校验"


def invalid(field: str, message: str) -> Rejected:
    return Rejected("validation_error", INVALID, {field: [message]})


def load_data(schema, data: dict, partial: bool) -> dict:
    try:
        return schema.load(data, partial=partial)
    except ValidationError as error:
        raise Rejected("validation_error", INVALID, error.messages) from None


def iso(value):
    return value.isoformat() if value is not None else None


def truth_fields(record) -> dict:
    """Server-side field-truth checks, shown next to the evidence."""
    return {"distance_to_site_m": record.distance_to_site_m, "flags": list(record.flags or [])}


def ref(value):
    return str(value) if value is not None else None


class FieldRecordHandler(SimpleHandler):
    """Shared rules; subclasses say how to find the record's plan and validate fields."""

    pushable = True
    schema = None
    immutable: tuple[str, ...] = ()

    def loader(self):
        """One schema instance per handler: building one per mutation costs more than
        loading with it."""
        if "_loader" not in self.__dict__:
            self._loader = self.schema()
        return self._loader

    def plan_of(self, session, record) -> Plan | None:
        # Only the plan's own columns are needed: from the identity map when a push holds
        # it (cached_get would load its team and sites as well).
        return session.get(Plan, record.plan_id) if record.plan_id else None

    def visible(self, session, principal, record):
        user = principal.user
        if record.created_by_id == user.id or user.role == Role.admin:
            return True
        plan = self.plan_of(session, record)
        return (
            user.role == Role.supervisor
            and plan is not None
            and plan.office_unit_id == user.unit_id
        )

    def audience(self, session, record):
        tags = {user_tag(record.created_by_id), ADMINS}
        plan = self.plan_of(session, record)
        if plan is not None:
            tags.add(office_tag(plan.office_unit_id))
        return frozenset(tags)

    def snapshot(self, session, principal, after, limit):
        query = select(self.model).where(
            self.model.deleted_at.is_(None), self.sight_clause(principal.user)
        )
        return self._page(session, query, after, limit)

    def sight_clause(self, user):
        """The SQL form of `visible` for a snapshot."""
        if user.role == Role.admin:
            return true()
        if user.role == Role.supervisor:
            return or_(self.model.created_by_id == user.id, self.office_clause(user.unit_id))
        return self.model.created_by_id == user.id

    def office_clause(self, unit_id):
        return self.model.plan_id.in_(select(Plan.id).where(Plan.office_unit_id == unit_id))

    def base_fields(self, record) -> dict:
        return {
            "created_by": str(record.created_by_id),
            "created_at": iso(record.created_at),
            "updated_at": iso(record.updated_at),
        }

    # --- writes
    def create(self, ctx: MutationContext, record_id, data):
        values = load_data(self.loader(), data, partial=False)
        self.check(ctx, values, None)
        record = self.model(
            id=record_id,
            created_by_id=ctx.principal.id,
            client_time=ctx.client_time,
            received_at=ctx.received_at,
            **values,
        )
        ctx.session.add(record)
        return record

    def update(self, ctx, record, data):
        self.ensure_author(ctx, record)
        values = load_data(self.loader(), data, partial=True)
        for name in self.immutable:
            if name in values and values[name] != getattr(record, name):
                raise Rejected("immutable", "该字段创建后不能修改", {name: ["创建后不能修改"]})
        self.check(ctx, values, record)
        for name, value in values.items():
            setattr(record, name, value)

    def delete(self, ctx, record):
        self.ensure_author(ctx, record)
        record.deleted_at = utcnow()

    def ensure_author(self, ctx, record) -> None:
        if record.created_by_id != ctx.principal.id:
            raise Rejected("forbidden", "只能修改自己记录的数据")

    def check(self, ctx, values: dict, record) -> None:
        """Cross-record rules; `values` may be partial for an update."""

    # --- helpers for cross-record rules
    def usable_plan(self, ctx, plan_id) -> Plan:
        plan = cached_get(ctx.session, Plan, plan_id)
        user = ctx.principal.user
        if plan is None or not plan_visible(user, plan):
            raise invalid("plan_id", "督查计划不存在或未分配给您")
        if plan.status not in LIVE:
            raise invalid("plan_id", "该督查计划当前不能记录")
        return plan

    def own_visit(self, ctx, visit_id, field="visit_id") -> Visit:
        visit = cached_get(ctx.session, Visit, visit_id)
        if visit is None or visit.deleted_at or visit.created_by_id != ctx.principal.id:
            raise invalid(field, "签到记录不存在")
        return visit


class VisitHandler(FieldRecordHandler):
    name, model, schema = "visit", Visit, VisitData
    immutable = ("plan_id", "site_id")
    # A new visit reads only reference data (plan, site): no flush needed before it.
    batchable_ops = frozenset({"create"})

    def serialize(self, v):
        return {
            "plan_id": str(v.plan_id),
            "site_id": str(v.site_id),
            "arrived_at": iso(v.arrived_at),
            "lat": v.lat,
            "lon": v.lon,
            "accuracy_m": v.accuracy_m,
            "note": v.note,
            **truth_fields(v),
            **self.base_fields(v),
        }

    def create(self, ctx, record_id, data):
        visit = super().create(ctx, record_id, data)
        visit.device_clock_offset_s = clock_offset(ctx.device_time, ctx.received_at)
        evaluate_visit(ctx.session, visit)
        return visit

    def update(self, ctx, record, data):
        super().update(ctx, record, data)
        evaluate_visit(ctx.session, record)

    def check(self, ctx, values, record):
        if record is None:
            plan = self.usable_plan(ctx, values["plan_id"])
            if values["site_id"] not in {s.id for s in plan.sites}:
                raise invalid("site_id", "该点位不在此督查计划中")


class FindingHandler(FieldRecordHandler):
    name, model, schema = "finding", Finding, FindingData
    immutable = ("plan_id",)
    # A new finding reads its visit with session.get (autoflushing): no flush before it.
    batchable_ops = frozenset({"create"})

    def serialize(self, f):
        return {
            "plan_id": str(f.plan_id),
            "site_id": ref(f.site_id),
            "visit_id": ref(f.visit_id),
            "title": f.title,
            "description": f.description,
            "category": f.category,
            "severity": f.severity.value,
            "unit_id": ref(f.unit_id),
            "lat": f.lat,
            "lon": f.lon,
            "accuracy_m": f.accuracy_m,
            "observed_at": iso(f.observed_at),
            "locked": f.locked,
            **self.base_fields(f),
        }

    def update(self, ctx, record, data):
        self.ensure_unlocked(record)
        super().update(ctx, record, data)

    def delete(self, ctx, record):
        self.ensure_unlocked(record)
        super().delete(ctx, record)

    @staticmethod
    def ensure_unlocked(record: Finding) -> None:
        if record.locked:
            raise Rejected("locked", "该问题已由督查室分办,不能再修改")

    def check(self, ctx, values, record):
        session = ctx.session
        plan = (
            self.usable_plan(ctx, values["plan_id"])
            if record is None
            else cached_get(session, Plan, record.plan_id)
        )
        if values.get("site_id") and values["site_id"] not in {s.id for s in plan.sites}:
            raise invalid("site_id", "该点位不在此督查计划中")
        if values.get("visit_id"):
            visit = self.own_visit(ctx, values["visit_id"])
            if visit.plan_id != plan.id:
                raise invalid("visit_id", "签到记录不属于此督查计划")
        if "category" in values and values["category"] not in active_categories(session):
            raise invalid("category", "问题类别不存在")
        if values.get("unit_id") and cached_get(session, Unit, values["unit_id"]) is None:
            raise invalid("unit_id", "单位不存在")


class InterviewHandler(FieldRecordHandler):
    name, model, schema = "interview", Interview, InterviewData
    immutable = ("visit_id",)
    batchable_ops = frozenset({"create"})  # as a finding: its visit through session.get

    def plan_of(self, session, record):
        visit = cached_get(session, Visit, record.visit_id)
        return session.get(Plan, visit.plan_id) if visit else None

    def office_clause(self, unit_id):
        return Interview.visit_id.in_(
            select(Visit.id)
            .join(Plan, Plan.id == Visit.plan_id)
            .where(Plan.office_unit_id == unit_id)
        )

    def serialize(self, i):
        return {
            "visit_id": str(i.visit_id),
            "interviewee_kind": i.interviewee_kind.value,
            "summary": i.summary,
            **self.base_fields(i),
        }

    def check(self, ctx, values, record):
        if record is None:
            self.own_visit(ctx, values["visit_id"])


PARENTS = {
    PhotoParent.finding.value: Finding,
    PhotoParent.visit.value: Visit,
    PhotoParent.verification.value: Verification,
}


def _photo_parent(ctx, values):
    """The record a new photo belongs to, if the pushing user may add photos to it."""
    model = PARENTS.get(values["parent_type"])
    if model is None:  # progress-report photos come through the unit portal
        raise invalid("parent_type", "此类照片不能从设备提交")
    parent = ctx.session.get(model, values["parent_id"])
    if model is Verification:
        own = parent is not None and parent.inspector_id == ctx.principal.id
        if own and parent.status not in ACTIVE_VERIFICATION:
            raise Rejected(ENDED, ENDED_MESSAGE, {"parent_id": ["照片所属的复查已结束"]})
        usable = own
    else:
        usable = (
            parent is not None
            and not parent.deleted_at
            and parent.created_by_id == ctx.principal.id
        )
    if not usable:
        raise invalid("parent_id", "照片所属的记录不存在")
    return parent


class PhotoHandler(FieldRecordHandler):
    name, model, schema = "photo", Photo, PhotoData

    def visible(self, session, principal, record):
        if super().visible(session, principal, record):
            return True
        if record.plan_id is None:  # attached to a rectification item
            return item_photo_visible(session, principal.user, record)
        return sent_to_verify(session, principal.user, record)

    def audience(self, session, record):
        return super().audience(session, record) | item_photo_audience(session, record)

    def sight_clause(self, user):
        # Photos of items (progress reports, verifications) have no plan. The finding
        # photos an inspector is sent back to compare reach them inside the visit instead.
        return or_(super().sight_clause(user), item_photos_clause(user))

    def serialize(self, p):
        return {
            "parent_type": p.parent_type.value,
            "parent_id": str(p.parent_id),
            "sha256": p.sha256,
            "size_bytes": p.size_bytes,
            "mime_type": p.mime_type,
            "captured_at": iso(p.captured_at),
            "lat": p.lat,
            "lon": p.lon,
            "accuracy_m": p.accuracy_m,
            "location_source": p.location_source.value,
            "capture_source": p.capture_source,
            "content_status": p.content_status.value,
            "content_error": p.content_error,
            "exif_lat": p.exif_lat,
            "exif_lon": p.exif_lon,
            "exif_taken_at": p.exif_taken_at,
            "width": p.width,
            "height": p.height,
            # A unit's progress photo goes to the unit too: the office's checks on it stay
            # with the office (see views.progress_reports).
            **(
                truth_fields(p)
                if p.parent_type != PhotoParent.progress_report
                else {"distance_to_site_m": None, "flags": []}
            ),
            **self.base_fields(p),
        }

    def create(self, ctx, record_id, data):
        values = load_data(self.loader(), data, partial=False)
        max_bytes = ctx.session.info.get("upload_max_bytes")
        if max_bytes and values["size_bytes"] > max_bytes:
            raise invalid("size_bytes", f"照片超过上限 {max_bytes} 字节")
        parent = _photo_parent(ctx, values)
        photo = Photo(
            id=record_id,
            created_by_id=ctx.principal.id,
            plan_id=getattr(parent, "plan_id", None),
            client_time=ctx.client_time,
            received_at=ctx.received_at,
            device_clock_offset_s=clock_offset(ctx.device_time, ctx.received_at),
            **values,
        )
        ctx.session.add(photo)
        for neighbour in evaluate_photo(ctx.session, photo):
            ctx.changed("photo", neighbour)
        return photo

    def update(self, ctx, record, data):
        raise Rejected("immutable", "照片信息提交后不能修改")

    def delete(self, ctx, record):
        if record.content_status != ContentStatus.pending:
            raise Rejected("immutable", "照片内容已上传,作为证据不能删除")
        super().delete(ctx, record)
