"""flask seed-demo is idempotent, prints the accounts and writes demo-accounts.json."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from server.audit_chain import verify_chain
from server.extensions import db
from server.models import (
    Draw,
    Finding,
    Plan,
    PlanMode,
    PlanStatus,
    Rectification,
    RectificationStatus,
    Region,
    Role,
    Severity,
    Site,
    TriageStatus,
    Unit,
    UnitKind,
    User,
    Verification,
    VerificationMethod,
    VerificationStatus,
    Visit,
)
from server.plans.queries import yearly_figures
from server.rectification.colour import ColourRules, colour_of, red_reasons
from server.timeutil import local_today
from tests.conftest import _empty_all_tables


def counts():
    return {
        m.__name__: db.session.scalar(select(func.count()).select_from(m))
        for m in (Unit, User, Site, Plan)
    }


def run(app, *args):
    result = app.test_cli_runner().invoke(args=["seed-demo", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_seed_is_idempotent_and_accounts_work(app, client):
    output = run(app)
    first = counts()
    path = Path(app.config["INSTANCE_DIR"]) / "demo-accounts.json"
    accounts = json.loads(path.read_text())
    run(app)
    assert counts() == first
    assert json.loads(path.read_text()) == accounts  # passwords kept
    assert {a["role"] for a in accounts} == {r.value for r in Role}
    for account in accounts:
        assert set(account) == {"username", "password", "role", "unit_id", "unit_name"}
        assert account["username"] in output and account["password"] in output
        response = client.post(
            "/api/auth/login",
            json={"username": account["username"], "password": account["password"]},
        )
        assert response.status_code == 200, account
        assert response.get_json()["user"]["unit_id"] == account["unit_id"]
    responders = [a for a in accounts if a["role"] == "responder"]
    assert len({a["unit_id"] for a in responders}) >= 2


def test_seed_has_an_active_unannounced_plan_with_the_demo_inspector(app):
    run(app)
    plan = db.session.scalars(select(Plan).where(Plan.code == "DC-2026-001")).one()
    assert plan.status == PlanStatus.active and plan.mode != PlanMode.open
    assert "inspector" in {u.username for u in plan.team}
    target_units = {s.unit_id for s in plan.sites}
    responder_units = set(
        db.session.scalars(select(User.unit_id).where(User.role == Role.responder))
    )
    assert target_units & responder_units
    assert plan.window_start <= plan.window_end


def test_if_empty_skips_a_database_with_users(app):
    run(app)
    before = counts()
    output = run(app, "--if-empty")
    assert "跳过" in output
    assert counts() == before


def test_lost_accounts_file_resets_demo_passwords(app, client):
    run(app)
    path = Path(app.config["INSTANCE_DIR"]) / "demo-accounts.json"
    old = {a["username"]: a["password"] for a in json.loads(path.read_text())}
    path.unlink()
    run(app)
    new = {a["username"]: a["password"] for a in json.loads(path.read_text())}
    assert new.keys() == old.keys() and new != old
    response = client.post(
        "/api/auth/login", json={"username": "inspector", "password": new["inspector"]}
    )
    assert response.status_code == 200


def test_first_admin_from_the_command_line(app, client):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["create-unit", "--code", "DCS", "--name", "某县督查室", "--region-code", "522730"]
    )
    assert result.exit_code == 0, result.output
    for code in ("52", "5227301"):
        bad = ["create-unit", "--code", "X", "--name", "x", "--region-code", code]
        bad = runner.invoke(args=bad)
        assert bad.exit_code != 0 and "6, 9 or 12 digits" in bad.output
    township = ["create-unit", "--code", "T", "--name", "某镇", "--region-code", "522730100"]
    assert runner.invoke(args=[*township, "--kind", "township"]).exit_code == 0
    result = runner.invoke(
        args=[
            "create-user",
            "--username",
            "root.admin",
            "--display-name",
            "管理员",
            "--role",
            "admin",
            "--unit-code",
            "DCS",
        ],
        input="long-password-1\nlong-password-1\n",
    )
    assert result.exit_code == 0, result.output
    short = runner.invoke(
        args=[
            "create-user",
            "--username",
            "other",
            "--display-name",
            "x",
            "--role",
            "admin",
            "--unit-code",
            "DCS",
        ],
        input="short\nshort\n",
    )
    assert short.exit_code != 0 and "password" in short.output
    login = client.post(
        "/api/auth/login", json={"username": "root.admin", "password": "long-password-1"}
    )
    assert login.status_code == 200


def months(values) -> set[str]:
    """The months of dates, or of times (counted in China)."""
    return {
        (v if isinstance(v, date) and not isinstance(v, datetime) else local_today(v)).strftime(
            "%Y-%m"
        )
        for v in values
        if v is not None
    }


def test_seed_gives_the_county_a_year_of_work(app):
    run(app)
    today = local_today()
    year_ago = {(today - timedelta(days=d)).strftime("%Y-%m") for d in range(0, 366, 28)}
    assert len(year_ago) >= 12

    sites = db.session.scalars(select(Site)).all()
    assert len(sites) >= 36
    for site in sites:  # inside 龙里县, in one of its townships
        assert 26.25 < site.lat < 26.65 and 106.8 < site.lon < 107.2, site.name
        assert len(site.region_code) == 9 and site.region_code.startswith("522730")
    units = db.session.scalars(select(Unit)).all()
    for unit in units:  # county departments the county's code, townships their own
        township = unit.kind == UnitKind.township
        assert len(unit.region_code) == (9 if township else 6), unit.name
        assert unit.region_code.startswith("522730")

    plans = db.session.scalars(select(Plan)).all()
    assert len(plans) >= 24
    assert months(p.window_start for p in plans) >= year_ago - {today.strftime("%Y-%m")}
    assert db.session.scalar(select(func.count()).select_from(Draw)) >= 8
    for year in {p.window_start.year for p in plans}:
        office = plans[0].office_unit
        figures = yearly_figures(office, year)
        if figures["plans"] >= 10:  # a whole year's worth meets the policy floors
            assert figures["unannounced"]["met"] and figures["routine_special"]["met"]
            assert figures["random_targets"]["met"]

    visits = db.session.scalars(select(Visit)).all()
    findings = db.session.scalars(select(Finding)).all()
    assert len(visits) >= 50 and len(findings) >= 60
    assert len(months(f.observed_at for f in findings)) >= 12
    assert {f.severity for f in findings} == set(Severity)
    assert len({f.category for f in findings}) >= 7
    assert {f.triage_status for f in findings} == set(TriageStatus)
    assert any(len(f.description) > 120 for f in findings)  # triage folds these
    for visit in visits:
        assert visit.distance_to_site_m < 100

    items = db.session.scalars(select(Rectification)).all()
    assert len(items) >= 50
    assert len(months(i.issued_at for i in items)) >= 12
    colours = [colour_of(i, today) for i in items]
    for colour in ("red", "yellow", "green"):
        assert colours.count(colour) >= 3, colours
    rules = ColourRules.current()
    for item, colour in zip(items, colours, strict=True):  # stored red_from agrees
        assert (colour == "red") == bool(red_reasons(item, today, rules)), item.code
    reasons = {r for i in items for r in red_reasons(i, today, rules)}
    assert {"overdue", "returned"} <= reasons
    assert sum(i.listed for i in items) >= 5
    assert len({i.unit_id for i in items}) >= 10
    assert len({i.region_code for i in items}) >= 5  # the dashboard's townships
    closed = [i for i in items if i.status == RectificationStatus.closed]
    assert sum(local_today(i.closed_at) <= i.deadline for i in closed) >= 10  # on time
    assert sum(local_today(i.closed_at) > i.deadline for i in closed) >= 3  # late
    for item in items:
        if item.issued_at:
            assert item.issued_at <= item.updated_at
            assert item.deadline > local_today(item.issued_at)
        if item.closed_at:
            assert item.issued_at < item.closed_at
    verifications = db.session.scalars(select(Verification)).all()
    outcomes = {(v.method, v.status) for v in verifications}
    assert (VerificationMethod.field, VerificationStatus.passed) in outcomes  # 回头看
    assert (VerificationMethod.field, VerificationStatus.failed) in outcomes
    assert (VerificationMethod.desk, VerificationStatus.passed) in outcomes
    assert verify_chain(db.session)["ok"]


def test_seed_is_deterministic(app):
    """Seeded random: an empty database seeded twice (the same day) gets the same year."""
    run(app)
    first = _shape()
    db.session.rollback()
    _empty_all_tables()
    run(app)
    assert _shape() == first


def _shape():
    findings = db.session.scalars(
        select(Finding).where(Finding.visit_id.is_not(None)).order_by(Finding.observed_at)
    ).all()
    items = db.session.scalars(select(Rectification).order_by(Rectification.code)).all()
    return (
        [(f.title, local_today(f.observed_at), str(f.triage_status)) for f in findings],
        [(i.code, i.problem, str(i.status), i.deadline, i.listed) for i in items],
    )


def test_seed_names_the_county_and_every_code_its_units_and_sites_carry(app):
    run(app)
    names = dict(db.session.execute(select(Region.code, Region.name)).all())
    assert names["522730"] == "龙里县" and names["522730100"] == "龙山镇"
    codes = set(db.session.scalars(select(Unit.region_code))) | set(
        db.session.scalars(select(Site.region_code))
    )
    assert codes <= set(names)
    db.session.get(Region, "522730100").name = "龙山镇(改)"
    db.session.commit()
    run(app)  # a name an admin changed is kept
    assert db.session.get(Region, "522730100").name == "龙山镇(改)"
    assert len(db.session.scalars(select(Region)).all()) == len(names)


def test_seed_gives_the_office_clues_at_every_step(app):
    from server.clues.queries import duplicate_candidates
    from server.models import Clue, ClueOutcome, ClueSource, ClueStatus

    run(app)
    clues = db.session.scalars(select(Clue).order_by(Clue.code)).all()
    assert 8 <= len(clues) <= 12
    statuses = [c.status for c in clues]
    assert statuses.count(ClueStatus.received) >= 2
    for status in (ClueStatus.answered, ClueStatus.forwarded, ClueStatus.planned,
                   ClueStatus.rejected):  # fmt: skip
        assert status in statuses, status
    assert statuses.count(ClueStatus.closed) == 2
    assert sum(c.source == ClueSource.hotline for c in clues) >= 6
    assert all(c.reporter_contact.startswith("139****") for c in clues)  # obviously fake
    today = local_today()
    forwarded = [c for c in clues if c.status == ClueStatus.forwarded]
    assert any(c.answer_due < today for c in forwarded)  # one overdue
    # The demo responder (住建局) has one waiting for its answer.
    waiting = [c for c in forwarded if c.answer_due >= today]
    assert [c.forwarded_unit.code for c in waiting] == ["LL-ZJJ"]
    answered = next(c for c in clues if c.status == ClueStatus.answered)
    assert answered.answer and answered.answer_due >= local_today(answered.forwarded_at)
    planned = next(c for c in clues if c.status == ClueStatus.planned)
    assert planned.targets[0].plan.status == PlanStatus.active and planned.forwarded_at is None
    rectified = next(c for c in clues if c.outcome == ClueOutcome.rectified)
    assert rectified.reply and rectified.targets
    assert rectified.targets[0].plan.status == PlanStatus.findings_issued
    supervisor = db.session.scalar(select(User).where(User.username == "supervisor"))
    duplicated = [c for c in clues if duplicate_candidates(supervisor, c)]
    assert len(duplicated) >= 2  # two work orders about the same pavement
    assert all(c.received_on <= today for c in clues)
    run(app)  # idempotent
    assert db.session.scalar(select(func.count()).select_from(Clue)) == len(clues)
    assert verify_chain(db.session)["ok"]
