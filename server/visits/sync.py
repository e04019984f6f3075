"""Check-ins (visits) and interviews as devices push and pull them."""

from __future__ import annotations

from sqlalchemy import select

from server.evidence.checks import clock_offset, evaluate_visit
from server.models import (
    Interview,
    Plan,
    Visit,
)
from server.sync_api.cache import cached_get
from server.sync_api.handlers import FieldRecordHandler, invalid
from server.visits.schemas import InterviewData, InterviewRecord, VisitData, VisitRecord


class VisitHandler(FieldRecordHandler):
    name, model, schema, pulled = "visit", Visit, VisitData, VisitRecord
    immutable = ("plan_id", "site_id")
    # A new visit reads only reference data (plan, site): no flush needed before it.
    batchable_ops = frozenset({"create"})

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


class InterviewHandler(FieldRecordHandler):
    name, model, schema, pulled = "interview", Interview, InterviewData, InterviewRecord
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

    def check(self, ctx, values, record):
        if record is None:
            self.own_visit(ctx, values["visit_id"])
