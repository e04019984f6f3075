"""All models, imported here so Alembic and the app see the whole metadata."""

from server.models.audit import AuditChainHead, AuditEvent
from server.models.auth import AuthSession, LoginAttempt
from server.models.base import Base, utcnow
from server.models.calendar import CalendarDay, CalendarYear
from server.models.field import (
    Category,
    ContentStatus,
    Finding,
    Interview,
    IntervieweeKind,
    LocationSource,
    Photo,
    PhotoParent,
    Severity,
    Visit,
)
from server.models.plan import (
    KIND_LABELS,
    MODE_LABELS,
    STATUS_LABELS,
    Draw,
    DrawPool,
    Plan,
    PlanKind,
    PlanMode,
    PlanStatus,
    plan_member,
    plan_rectification,
    plan_site,
    plan_unit,
)
from server.models.rectification import OPEN_FOR_RECHECK, Rectification, RectificationStatus
from server.models.setting import SettingOverride
from server.models.site import Site
from server.models.unit import Unit, UnitKind
from server.models.user import ROLE_LABELS, Role, User

__all__ = [
    "AuditChainHead",
    "AuditEvent",
    "CalendarDay",
    "CalendarYear",
    "Category",
    "ContentStatus",
    "Finding",
    "Interview",
    "IntervieweeKind",
    "LocationSource",
    "Photo",
    "PhotoParent",
    "Severity",
    "Visit",
    "AuthSession",
    "Base",
    "LoginAttempt",
    "Draw",
    "DrawPool",
    "KIND_LABELS",
    "MODE_LABELS",
    "OPEN_FOR_RECHECK",
    "Plan",
    "PlanKind",
    "PlanMode",
    "PlanStatus",
    "ROLE_LABELS",
    "Rectification",
    "RectificationStatus",
    "STATUS_LABELS",
    "Role",
    "SettingOverride",
    "Site",
    "Unit",
    "UnitKind",
    "User",
    "plan_member",
    "plan_rectification",
    "plan_site",
    "plan_unit",
    "utcnow",
]
