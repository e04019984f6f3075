"""flask seed-demo is idempotent, prints the accounts and writes demo-accounts.json."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import func, select

from server.extensions import db
from server.models import Plan, PlanMode, PlanStatus, Role, Site, Unit, User


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
    plan = db.session.scalars(select(Plan)).one()
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
    bad = runner.invoke(args=["create-unit", "--code", "X", "--name", "x", "--region-code", "52"])
    assert bad.exit_code != 0 and "6 digits" in bad.output
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
