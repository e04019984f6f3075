"""The base of the field records' sync handlers (visits, findings, interviews, photos).

Who may see one: its author, the supervisors of its plan's office, admins. Its author may
change it until it is locked (a finding, once triaged)."""

from __future__ import annotations

from marshmallow import ValidationError
from sqlalchemy import or_, select, true

from server.models import (
    Finding,
    PhotoParent,
    Plan,
    Role,
    Verification,
    Visit,
    utcnow,
)
from server.plans.access import LIVE, reaches_device
from server.sync_api.cache import cached_get
from server.sync_api.principal import ADMINS, office_tag, user_tag
from server.sync_api.reference import SimpleHandler
from sync import MutationContext, Rejected

INVALID = "提交的数据未通过校验"


def invalid(field: str, message: str) -> Rejected:
    return Rejected("validation_error", INVALID, {field: [message]})


def load_data(schema, data: dict, partial: bool) -> dict:
    try:
        return schema.load(data, partial=partial)
    except ValidationError as error:
        raise Rejected("validation_error", INVALID, error.messages) from None


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
        if plan is None or not reaches_device(user, plan):
            raise invalid("plan_id", "督查计划不存在或未分配给您")
        if plan.status not in LIVE:
            raise invalid("plan_id", "该督查计划当前不能记录")
        return plan

    def own_visit(self, ctx, visit_id, field="visit_id") -> Visit:
        visit = cached_get(ctx.session, Visit, visit_id)
        if visit is None or visit.deleted_at or visit.created_by_id != ctx.principal.id:
            raise invalid(field, "签到记录不存在")
        return visit


PARENTS = {
    PhotoParent.finding.value: Finding,
    PhotoParent.visit.value: Visit,
    PhotoParent.verification.value: Verification,
}
