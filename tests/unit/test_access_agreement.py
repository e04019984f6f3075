"""Each access question has one rule, written in up to three forms: Python (one record),
SQL (lists, counts, a device's first snapshot) and audience tags (who hears of a change).
On generated data, for every user of every role and every record, the forms must agree:

- the Python form says yes exactly when the SQL form lists the record;
- whoever may see a record is in its audience (else a change would never reach them;
  the audience may be wider: the pull checks the Python form again).

No HTTP here: the rules are called directly."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from server.clues import access as clue_access
from server.extensions import db
from server.models import (
    ContentStatus,
    Finding,
    Interview,
    IntervieweeKind,
    Photo,
    PhotoParent,
    Plan,
    PlanStatus,
    ProgressReport,
    Rectification,
    RectificationStatus,
    Role,
    UnitKind,
    User,
    Verification,
    VerificationMethod,
    VerificationStatus,
    Visit,
    rectification_finding,
)
from server.plans import access as plan_access
from server.rectification import access as item_access
from server.sync_api.principal import principal_for
from server.sync_api.registry import register_handlers

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
registry = register_handlers()


@pytest.fixture
def world(factory):
    """Two offices (each of its own government) and two inspected units; users of every
    role; plans in every status with random teams and leaders; items in every status,
    half of them 挂牌督办, some with open 回头看 visits; field records and photos by the
    teams."""
    rng = random.Random(20261205)
    governments = [factory.unit(name=f"人民政府{n}", kind=UnitKind.government) for n in range(2)]
    offices = [
        factory.unit(name=f"督查室{n}", kind=UnitKind.office, parent=governments[n])
        for n in range(2)
    ]
    units = [factory.unit(name=f"责任单位{n}") for n in range(2)]
    users = [factory.user(Role.admin, offices[0])]
    supervisors = [factory.user(Role.supervisor, office) for office in offices]
    inspectors = [factory.user(Role.inspector, offices[n % 2]) for n in range(4)]
    leaders = [factory.user(Role.leader, governments[n]) for n in range(2)]
    responders = [factory.user(Role.responder, unit) for unit in units]
    users += supervisors + inspectors + leaders + responders
    sites = [factory.site(unit=units[n % 2]) for n in range(4)]
    plans = []
    for office, supervisor in zip(offices, supervisors, strict=True):
        for status in PlanStatus:
            plans.append(
                factory.plan(
                    office,
                    supervisor,
                    team=rng.sample(inspectors, rng.randint(0, 2)),
                    sites=rng.sample(sites, rng.randint(1, 2)),
                    status=status,
                    leader=rng.choice([None, *leaders]),
                )
            )
    for plan in plans:
        for member in plan.team:
            visit = Visit(
                plan_id=plan.id,
                site_id=plan.sites[0].id,
                arrived_at=NOW,
                created_by_id=member.id,
            )
            db.session.add(visit)
            db.session.flush()
            db.session.add(
                Interview(
                    visit_id=visit.id,
                    interviewee_kind=IntervieweeKind.beneficiary,
                    summary="走访群众",
                    created_by_id=member.id,
                )
            )
            finding = factory.finding(
                plan, member, site_id=plan.sites[0].id, visit_id=visit.id, observed_at=NOW
            )
            _photo(factory, PhotoParent.finding, finding.id, plan.id, member)
    for office, supervisor in zip(offices, supervisors, strict=True):
        for status in RectificationStatus:
            for unit in units:
                item = factory.rectification(office, unit, status=status)
                item.lead_official_id = rng.choice([None, *(u.id for u in leaders)])
                item.listed = rng.random() < 0.5  # 挂牌督办: the government's leaders see it
                if status != RectificationStatus.draft:
                    responder = next(r for r in responders if r.unit_id == unit.id)
                    report = ProgressReport(
                        rectification_id=item.id, author_id=responder.id, body="进展", percent=50
                    )
                    db.session.add(report)
                    db.session.flush()
                    _photo(factory, PhotoParent.progress_report, report.id, None, responder)
                if status != RectificationStatus.draft and rng.random() < 0.6:
                    db.session.add(
                        Verification(
                            rectification_id=item.id,
                            method=rng.choice(list(VerificationMethod)),
                            status=rng.choice(list(VerificationStatus)),
                            assigned_by_id=supervisor.id,
                            inspector_id=rng.choice(inspectors).id,
                        )
                    )
    for office, supervisor in zip(offices, supervisors, strict=True):
        # A clue's attachment: the office's supervisors see it on the desk, no device.
        clue = factory.clue(office, supervisor)
        _photo(factory, PhotoParent.clue, clue.id, None, supervisor)
    db.session.flush()
    return users


def _photo(factory, parent_type, parent_id, plan_id, author) -> Photo:
    return factory.photo(
        author,
        parent_type,
        parent_id,
        plan_id,
        captured_at=NOW,
        content_status=ContentStatus.stored,
    )


def _ids(rows) -> set:
    return {row.id for row in rows}


def test_the_plan_rules_agree(world):
    plans = list(db.session.scalars(select(Plan)))
    assert len(plans) >= 2 * len(PlanStatus)
    for user in world:
        desk = _ids(db.session.scalars(select(Plan).where(plan_access.visible_clause(user))))
        device = _ids(db.session.scalars(select(Plan).where(plan_access.device_clause(user))))
        tags = principal_for(user).tags
        for plan in plans:
            who = (user.role.value, plan.status.value)
            assert plan_access.can_see(user, plan) == (plan.id in desk), who
            assert plan_access.reaches_device(user, plan) == (plan.id in device), who
            if plan.id in device:
                # A device only holds what its user may see on the desk too.
                assert plan.id in desk, who
                assert tags & plan_access.device_audience(plan), who


def test_the_item_rules_agree(world):
    items = list(db.session.scalars(select(Rectification)))
    assert len(items) >= 2 * 2 * len(RectificationStatus)
    seen_by_field = 0
    for user in world:
        listed = _ids(
            db.session.scalars(select(Rectification).where(item_access.visible_clause(user)))
        )
        scanned = _ids(
            db.session.scalars(
                select(Rectification).where(item_access.visible_clause(user, scanning=True))
            )
        )
        assert listed == scanned
        tags = principal_for(user).tags
        for item in items:
            who = (user.role.value, item.status.value)
            visible = item_access.can_see(user, item)
            assert visible == (item.id in listed), who
            if visible:
                assert tags & item_access.audience(db.session, item), who
                seen_by_field += user.role in (Role.inspector, Role.leader, Role.responder)
    assert seen_by_field  # the generated data reaches past the offices


@pytest.mark.parametrize("entity", registry.names)
def test_every_synced_entity_agrees_with_its_snapshot(world, entity):
    """For every entity a device pulls: the handler's `visible` says yes exactly for the
    records of the user's first snapshot, and whoever sees one is in its audience."""
    handler = registry[entity]
    records = list(db.session.scalars(select(handler.model)))
    assert records, f"no {entity} generated"
    for user in db.session.scalars(select(User)):
        principal = principal_for(user)
        snapshot = _ids(handler.snapshot(db.session, principal, None, 100_000))
        for record in records:
            if handler.is_deleted(record):
                continue
            visible = bool(handler.visible(db.session, principal, record))
            assert visible == (record.id in snapshot), (entity, user.role.value, record.id)
            if visible:
                assert principal.tags & handler.audience(db.session, record), (entity, user.role)


@pytest.mark.parametrize("copies", [False, True])
def test_the_item_photo_rules_agree(world, copies):
    """item_photo_visible and item_photos_clause, for photo records (`copies` False) and
    for the copies a unit gets of its issued items' problem photos (`copies` True), with
    items made from random findings (some of them drafts)."""
    rng = random.Random(15)
    findings = list(db.session.scalars(select(Finding)))
    for item in db.session.scalars(select(Rectification)):
        for finding in rng.sample(findings, rng.randint(0, 2)):
            db.session.execute(
                rectification_finding.insert().values(
                    rectification_id=item.id, finding_id=finding.id
                )
            )
    db.session.flush()
    photos = list(db.session.scalars(select(Photo)))
    unit_copies = 0
    for user in world:
        listed = _ids(
            db.session.scalars(select(Photo).where(item_access.item_photos_clause(user, copies)))
        )
        for photo in photos:
            visible = item_access.item_photo_visible(db.session, user, photo, copies)
            assert visible == (photo.id in listed), (user.role.value, photo.parent_type.value)
            unit_copies += visible and photo.parent_type == PhotoParent.finding
    assert bool(unit_copies) == copies  # only the copies question reaches finding photos


def test_the_clue_photo_rules_agree(world):
    """clue_photo_visible and clue_photos_clause; and the photo sync handler never offers
    a clue's photo to anyone (its author and the admins included)."""
    photos = list(db.session.scalars(select(Photo)))
    handler = registry["photo"]
    seen = 0
    for user in world:
        listed = _ids(db.session.scalars(select(Photo).where(clue_access.clue_photos_clause(user))))
        principal = principal_for(user)
        for photo in photos:
            visible = clue_access.clue_photo_visible(user, photo)
            assert visible == (photo.id in listed), (user.role.value, photo.parent_type.value)
            seen += visible
            if photo.parent_type == PhotoParent.clue:
                assert not handler.visible(db.session, principal, photo), user.role.value
    assert seen == 2  # each office's supervisor, their office's attachment
