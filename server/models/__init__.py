"""All models, imported here so Alembic and the app see the whole metadata."""

from server.models.audit import AuditChainHead, AuditEvent
from server.models.auth import AuthSession, LoginAttempt
from server.models.base import Base, utcnow
from server.models.bulletin import Bulletin, BulletinStatus
from server.models.calendar import CalendarDay, CalendarYear
from server.models.clue import Clue, ClueOutcome, ClueSource, ClueStatus, ClueTopic, PlanClue
from server.models.export import ExportJob, ExportStatus
from server.models.exposure import ExposureCopy, ExposureStatus, RenderState
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
    TriageStatus,
    Visit,
)
from server.models.instruction import Instruction
from server.models.notification import Notification
from server.models.plan import (
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
from server.models.points import MANUAL, ObjectionStatus, PointsEntry
from server.models.rectification import (
    OPEN_FOR_RECHECK,
    TITLE_MAX,
    Rectification,
    RectificationStatus,
    default_title,
    rectification_finding,
    rectification_supporting_unit,
)
from server.models.rectification_records import (
    ExtensionRequest,
    ExtensionStatus,
    ProgressReport,
    Summons,
    Verification,
    VerificationMethod,
    VerificationStatus,
)
from server.models.region import Region
from server.models.setting import SettingOverride
from server.models.site import Site
from server.models.unit import Unit, UnitKind
from server.models.user import Role, User

__all__ = [
    "Clue",
    "ClueOutcome",
    "ClueSource",
    "ClueStatus",
    "ClueTopic",
    "PlanClue",
    "MANUAL",
    "ObjectionStatus",
    "PointsEntry",
    "ExposureCopy",
    "ExposureStatus",
    "RenderState",
    "ExportJob",
    "ExportStatus",
    "TITLE_MAX",
    "default_title",
    "Instruction",
    "Bulletin",
    "BulletinStatus",
    "Region",
    "ExtensionRequest",
    "ExtensionStatus",
    "Notification",
    "ProgressReport",
    "Summons",
    "TriageStatus",
    "Verification",
    "VerificationMethod",
    "VerificationStatus",
    "rectification_finding",
    "rectification_supporting_unit",
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
    "OPEN_FOR_RECHECK",
    "Plan",
    "PlanKind",
    "PlanMode",
    "PlanStatus",
    "Rectification",
    "RectificationStatus",
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
