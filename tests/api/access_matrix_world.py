"""The world of the authorisation matrix (tests/api/test_access_matrix.py): one persona per
role on the home side (a county office, its unit, its leader and team), the same again on
a foreign side (another office and another unit), and objects of every kind on both sides,
each named so the matrix's table can say who may see it.

Home side: plan_home (active; the inspector on its team, the leader leads it) with a draw,
plan_home_draft (a draft: its team and leader may not see it yet), finding_home and its
photo, item_home (issued to the responder's unit, led by the leader, the inspector sent
back to verify it) with a verification and its photo, a pending extension, a progress
report and that report's photo, a leader's 批示 (instruction_home), a negative-list entry
of the unit (entry_home); an exposure copy of the finding's photo, a draft (exposure_home)
and a published one; item_home_draft; clue_home (forwarded to the unit and behind
plan_home's site) and clue_home_office (the office's alone);
item_home_done (in progress, the inspector's visit to it over). Foreign side: the same
under another office and unit.
Every persona has a notification and a tus upload of its own; a stranger has one too."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from server.extensions import db
from server.models import (
    Bulletin,
    BulletinStatus,
    ExportJob,
    ExportStatus,
    ExposureCopy,
    ExposureStatus,
    ExtensionRequest,
    Instruction,
    Notification,
    Photo,
    PhotoParent,
    PlanStatus,
    PointsEntry,
    ProgressReport,
    RectificationStatus,
    Region,
    Role,
    UnitKind,
    Verification,
    VerificationMethod,
    VerificationStatus,
)
from server.models.base import utcnow
from server.plans.draws import draw_for_plan
from server.plans.schemas import DrawRequestSchema
from server.timeutil import local_today
from sync.models import Upload
from tests.api.rect_helpers import make_finding
from tests.factories import Factory

ROLES = ("admin", "supervisor", "leader", "responder", "inspector")
UNKNOWN = "unknown"  # an id that was never used, of every kind


def build_world(factory) -> tuple[dict, dict]:
    """(personas by role, object ids by name), committed."""
    government = factory.unit("县政府", kind=UnitKind.government)
    office = factory.unit("县委督查室", kind=UnitKind.office, parent=government)
    foreign_office = factory.unit("州督查室", kind=UnitKind.office, region_code="522701")
    unit, foreign_unit = factory.unit("县住建局"), factory.unit("州林业局")
    me = {
        "admin": factory.user(Role.admin, office),
        "supervisor": factory.user(Role.supervisor, office),
        "leader": factory.user(Role.leader, government),
        "responder": factory.user(Role.responder, unit),
        "inspector": factory.user(Role.inspector, office),
    }
    them = {
        "supervisor": factory.user(Role.supervisor, foreign_office),
        "leader": factory.user(Role.leader, government),
        "responder": factory.user(Role.responder, foreign_unit),
        "inspector": factory.user(Role.inspector, foreign_office),
        "stranger": factory.user(Role.inspector, foreign_office),
    }
    ids: dict[str, object] = {"office_home": office.id, "office_foreign": foreign_office.id}
    ids.update(unit_home=unit.id, unit_foreign=foreign_unit.id)
    ids["user_home"] = me["responder"].id
    ids["region_home"] = _region("522730", "龙里县")
    for side, people, home_office, home_unit in (
        ("home", me, office, unit),
        ("foreign", them, foreign_office, foreign_unit),
    ):
        _side(factory, ids, side, people, home_office, home_unit)
    _bulletins(ids, office, foreign_office, me["supervisor"], them["supervisor"])
    for role, user in me.items():  # each persona's own, looked up as "notification_own"
        ids[f"notification_own:{role}"] = _notification(user).id
        ids[f"upload_own:{role}"] = _upload(user).id
        ids[f"export_own:{role}"] = _export(user).id
    ids["notification_other"] = _notification(them["stranger"]).id
    ids["export_other"] = _export(them["supervisor"]).id
    ids["upload_other"] = _upload(them["stranger"]).id
    db.session.commit()
    return me, {name: str(value) for name, value in ids.items()}


def _side(factory, ids, side, people, office, unit) -> None:
    supervisor, inspector = people["supervisor"], people["inspector"]
    site = factory.site(unit)
    factory.site(unit)  # a candidate for the draw
    plans = {}
    for suffix, status in (("", PlanStatus.draft), ("_draft", PlanStatus.draft)):
        plans[suffix] = factory.plan(
            office, supervisor, team=[inspector], sites=[site], leader=people["leader"],
            status=status,
        )  # fmt: skip
    draw = draw_for_plan(
        plans[""].id, DrawRequestSchema().load({"pool": "site", "targets": 1}), supervisor
    )
    plans[""].status = PlanStatus.active
    finding = make_finding(plans[""], inspector, site)
    items = {
        "": factory.rectification(office, unit, RectificationStatus.issued, plans[""]),
        "_draft": factory.rectification(office, unit, RectificationStatus.draft, plans[""]),
        "_done": factory.rectification(office, unit, RectificationStatus.in_progress),
    }
    for item in items.values():
        item.lead_official_id = people["leader"].id
        item.deadline = local_today() + timedelta(days=60)
    item = items[""]
    verification = Verification(
        rectification_id=item.id,
        method=VerificationMethod.field,
        status=VerificationStatus.assigned,
        assigned_by_id=supervisor.id,
        inspector_id=inspector.id,
    )
    extension = ExtensionRequest(
        rectification_id=item.id,
        requested_by_id=people["responder"].id,
        reason="雨季无法施工,申请延期",
        previous_deadline=item.deadline,
        requested_deadline=item.deadline + timedelta(days=30),
    )
    report = ProgressReport(
        rectification_id=item.id, author_id=people["responder"].id, body="已开始整改", percent=30
    )
    finished = Verification(  # the inspector's visit to the other item is over
        rectification_id=items["_done"].id,
        method=VerificationMethod.field,
        status=VerificationStatus.failed,
        assigned_by_id=supervisor.id,
        inspector_id=inspector.id,
    )
    instruction = Instruction(
        rectification_id=item.id,
        author_id=people["leader"].id,
        text="请抓紧整改",
        due_date=local_today() + timedelta(days=21),
    )
    entry = PointsEntry(
        office_unit_id=office.id, unit_id=unit.id, year=local_today().year,
        occurred_on=local_today(), points=-2, rule="manual", reason="台账不实",
        created_by_id=supervisor.id,
    )  # fmt: skip
    db.session.add_all([verification, finished, extension, report, instruction, entry])
    db.session.flush()
    _clues(factory, ids, side, supervisor, office, unit, plans[""], site)
    ids.update(
        {
            f"site_{side}": site.id,
            f"plan_{side}": plans[""].id,
            f"plan_{side}_draft": plans["_draft"].id,
            f"draw_{side}": draw.id,
            f"finding_{side}": finding.id,
            f"item_{side}": item.id,
            f"item_{side}_draft": items["_draft"].id,
            f"item_{side}_done": items["_done"].id,
            f"verification_{side}": verification.id,
            f"extension_{side}": extension.id,
            f"report_{side}": report.id,
            f"instruction_{side}": instruction.id,
            f"entry_{side}": entry.id,
            f"photo_{side}": _photo(inspector, PhotoParent.finding, finding.id, plans[""].id).id,
            f"photo_report_{side}": _photo(
                people["responder"], PhotoParent.progress_report, report.id, None
            ).id,
            f"photo_verification_{side}": _photo(
                inspector, PhotoParent.verification, verification.id, None
            ).id,
        }
    )
    for suffix, status in (("", ExposureStatus.draft), ("_published", ExposureStatus.published)):
        copy = ExposureCopy(
            photo_id=ids[f"photo_{side}"], office_unit_id=office.id, status=status,
            created_by_id=supervisor.id, boxes=[], revision=0,
        )  # fmt: skip
        db.session.add(copy)
        db.session.flush()
        ids[f"exposure_{side}{suffix}"] = copy.id


def _clues(factory, ids, side, supervisor, office, unit, plan, site) -> None:
    """Clues of the office: clue_<side> forwarded to the side's unit (and behind the
    active plan's site), clue_<side>_office not forwarded (the office's alone)."""
    from server.clues import operations as clues

    forwarded = factory.clue(office, supervisor, site_id=site.id)
    clues.forward_clue(forwarded, {"unit_id": unit.id}, supervisor)
    clues.link_to_plan(forwarded, plan.id, site.id, supervisor)
    ids[f"clue_{side}"] = forwarded.id
    ids[f"clue_{side}_office"] = factory.clue(office, supervisor).id


def _bulletins(ids, office, foreign_office, supervisor, foreign_supervisor) -> None:
    """Last month's bulletin of each office, published (a version the units read), and a
    draft of the home office's (the month before) with one typical problem."""
    first = local_today().replace(day=1)
    last = first - timedelta(days=1)
    earlier = last.replace(day=1) - timedelta(days=1)
    for name, unit, author, day, status in (
        ("bulletin_home", office, supervisor, last, BulletinStatus.published),
        ("bulletin_home_draft", office, supervisor, earlier, BulletinStatus.draft),
        ("bulletin_foreign", foreign_office, foreign_supervisor, last, BulletinStatus.published),
    ):
        bulletin = Bulletin(
            office_unit_id=unit.id,
            year=day.year,
            month=day.month,
            status=status,
            doc_number=f"督通〔{day.year}〕{day.month}号",
            title=f"{day.year}年{day.month}月督查通报",
            summary="",
            # One typical problem (the home item), so the draft's entry 0 can be removed.
            typical=[{"item_id": str(ids["item_home"]), "text": "典型问题", "photo_ids": []}],
            frozen=None if status == BulletinStatus.draft else {"figures": {}, "ranking": []},
            created_by_id=author.id,
        )
        db.session.add(bulletin)
        db.session.flush()
        ids[name] = bulletin.id


def _photo(author, parent_type, parent_id, plan_id) -> Photo:
    return Factory().photo(author, parent_type, parent_id, plan_id)


def _region(code: str, name: str) -> str:
    db.session.add(Region(code=code, name=name))
    db.session.flush()
    return code


def _notification(user) -> Notification:
    note = Notification(
        recipient_id=user.id,
        kind="due_soon",
        title="整改事项即将到期",
        dedupe_key=f"matrix:{user.id}",
    )
    db.session.add(note)
    db.session.flush()
    return note


def _export(user) -> ExportJob:
    """A finished XLSX export of the user's, its file on disk."""
    from server.rectification import exports

    job = ExportJob(requester_id=user.id, kind="ledger", status=ExportStatus.done)
    db.session.add(job)
    db.session.flush()
    job.file_name = exports.file_name(job)
    (exports.export_dir() / job.file_name).write_bytes(b"PK matrix")
    job.finished_at = utcnow()
    job.expires_at = job.finished_at + timedelta(hours=1)
    return job


def _upload(user) -> Upload:
    """A finished upload of the user's (the content is evidence now: it stays)."""
    upload = Upload(
        photo_id=uuid.uuid4(),
        user_id=user.id,
        length=1000,
        sha256="b" * 64,
        status="complete",
        completed_at=datetime.now(UTC),
    )
    db.session.add(upload)
    db.session.flush()
    return upload
