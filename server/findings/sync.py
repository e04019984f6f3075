"""Findings as devices push and pull them; a finding is locked once triaged."""

from __future__ import annotations

from server.findings.schemas import FindingData, FindingRecord
from server.models import (
    Finding,
    Plan,
    Unit,
)
from server.sync_api.cache import active_categories, cached_get
from server.sync_api.handlers import FieldRecordHandler, invalid
from sync import Rejected


class FindingHandler(FieldRecordHandler):
    name, model, schema, pulled = "finding", Finding, FindingData, FindingRecord
    immutable = ("plan_id",)
    # A new finding reads its visit with session.get (autoflushing): no flush before it.
    batchable_ops = frozenset({"create"})

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
