"""/api/calendar: working-day counts and the yearly holiday schedule."""

from __future__ import annotations

from flask_jwt_extended import current_user
from flask_smorest import Blueprint

from server.auth.guards import api_login_required
from server.models import Role
from server.timeutil import local_today
from server.workdays import operations
from server.workdays.calendar import add_working_days
from server.workdays.schemas import (
    AddWorkingDaysArgs,
    WorkingDateSchema,
    YearImportSchema,
    YearSummarySchema,
)

blp = Blueprint(
    "calendar",
    __name__,
    url_prefix="/api/calendar",
    description="工作日历:法定节假日与调休,按工作日计算期限",
)


@blp.route("/add-working-days")
@api_login_required(blp)
@blp.arguments(AddWorkingDaysArgs, location="query")
@blp.response(200, WorkingDateSchema)
def add_days(args):
    """N working days from a date (day 1 is the first working day after it)."""
    result, confirmed = add_working_days(args["start"], args["days"])
    return {"date": result, "confirmed": confirmed}


@blp.route("/years")
@api_login_required(blp, Role.admin, Role.supervisor)
@blp.response(200, YearSummarySchema(many=True))
def list_years():
    """Which years have a confirmed schedule, and from where."""
    return operations.calendar_years(local_today())


@blp.route("/years", methods=["PUT"])
@api_login_required(blp, Role.admin)
@blp.arguments(YearImportSchema)
@blp.response(200, YearSummarySchema)
def import_year(body):
    """Import a year's State Council schedule; replaces an earlier import of that year."""
    return operations.import_year(body, current_user)
