"""Issue 15 through the API and the command line: accounts created without a password get
a one-time password shown once; an admin's reset; the forced password change (everything
refused but the account's own login and password, and an inspector's sync and uploads);
the password rules read from the settings; `flask reset-password`."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest
from sqlalchemy import select

from server.extensions import db
from server.models import AuditEvent, LoginAttempt, Role, User
from tests.api.sync_helpers import Device, finding_data, mutation, photo_data
from tests.conftest import PHOTOS
from tests.factories import PASSWORD

NEW = "my-own-secret-7"
JPEG = (PHOTOS / "jpg_gps_DSCN0010.jpg").read_bytes()


def bearer(tokens) -> dict:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def login(client, username, password):
    return client.post("/api/auth/login", json={"username": username, "password": password})


def audit_text() -> str:
    return " ".join(str(e.details) for e in db.session.scalars(select(AuditEvent)))


@pytest.fixture
def admin(factory, auth):
    user = factory.user(Role.admin)
    return user, auth.headers(user)


def test_a_new_account_without_a_password_gets_one_shown_once(client, factory, admin):
    _, headers = admin
    unit = factory.unit()
    db.session.commit()
    body = {"username": "zhang.san", "display_name": "张三", "role": "supervisor"}
    response = client.post("/api/users", json={**body, "unit_id": str(unit.id)}, headers=headers)
    assert response.status_code == 201
    created = response.get_json()
    password = created["one_time_password"]
    assert created["must_change_password"] is True
    assert re.fullmatch(r"[A-Za-z2-9]{4}(-[A-Za-z2-9]{4}){2}", password)
    assert re.search(r"[0-9]", password) and re.search(r"[A-Za-z]", password)
    listed = client.get("/api/users", headers=headers).get_json()
    assert password not in str(listed)  # never again
    stored = db.session.scalar(select(User).where(User.username == "zhang.san"))
    assert password not in stored.password_hash
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "user.create")).one()
    assert event.details["one_time_password"] is True and password not in audit_text()

    tokens = login(client, "zhang.san", password).get_json()
    assert tokens["must_change_password"] is True and tokens["user"]["must_change_password"]


def test_a_password_the_admin_types_must_also_be_changed(client, factory, admin):
    _, headers = admin
    unit = factory.unit()
    target = factory.user(Role.responder)
    db.session.commit()
    body = {"username": "li.si", "display_name": "李四", "role": "responder"}
    body |= {"unit_id": str(unit.id), "password": "typed-by-admin-1"}
    created = client.post("/api/users", json=body, headers=headers).get_json()
    assert created["one_time_password"] is None and created["must_change_password"] is True
    patched = client.patch(
        f"/api/users/{target.id}", json={"password": "typed-by-admin-2"}, headers=headers
    )
    assert patched.get_json()["must_change_password"] is True


def test_the_forced_change_gate(client, factory, auth, admin):
    _, headers = admin
    user = factory.user(Role.supervisor)
    db.session.commit()
    reset = client.post(f"/api/users/{user.id}/reset-password", headers=headers)
    password = reset.get_json()["one_time_password"]
    tokens = login(client, user.username, password).get_json()
    for path in ("/api/plans", "/api/rectifications", "/api/notifications", "/api/sync/pull"):
        refused = client.get(path, headers=bearer(tokens))
        assert refused.status_code == 403, path
        assert refused.get_json()["error"]["code"] == "password_change_required"
    me = client.get("/api/me", headers=bearer(tokens))
    assert me.status_code == 200 and me.get_json()["must_change_password"] is True
    refreshed = client.post(
        "/api/auth/refresh", headers={"Authorization": f"Bearer {tokens['refresh_token']}"}
    )
    assert refreshed.status_code == 200 and refreshed.get_json()["must_change_password"] is True

    body = {"old_password": password, "new_password": NEW}
    assert client.post("/api/me/password", json=body, headers=bearer(tokens)).status_code == 204
    assert client.get("/api/plans", headers=bearer(tokens)).status_code == 200
    assert client.get("/api/me", headers=bearer(tokens)).get_json()["must_change_password"] is False
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "user.password_change")
    ).one()
    assert event.details["was_required"] is True
    assert client.post("/api/auth/logout", headers=bearer(tokens)).status_code == 204


def test_an_inspector_keeps_syncing_while_the_password_must_change(client, auth, world, admin):
    """Nothing recorded on a phone may be lost: push, pull and photo uploads keep working."""
    _, headers = admin
    device = Device(client, auth, world.inspector)
    reset = client.post(f"/api/users/{world.inspector.id}/reset-password", headers=headers)
    password = reset.get_json()["one_time_password"]
    device.headers = bearer(login(client, world.inspector.username, password).get_json())
    finding = mutation("finding", finding_data(world))
    record = mutation("photo", photo_data(finding["id"], JPEG))
    assert [r["status"] for r in device.push(finding, record)] == ["applied", "applied"]
    assert finding["id"] in {c["id"] for c in device.pull()}
    sha = base64.b64encode(hashlib.sha256(JPEG).hexdigest().encode()).decode()
    photo_id = base64.b64encode(record["id"].encode()).decode()
    upload = client.post(
        "/api/uploads",
        headers={
            **device.headers,
            "Tus-Resumable": "1.0.0",
            "Upload-Length": str(len(JPEG)),
            "Upload-Metadata": f"photo_id {photo_id},sha256 {sha}",
        },
    )
    assert upload.status_code == 201
    done = client.patch(
        upload.headers["Location"],
        data=JPEG,
        headers={
            **device.headers,
            "Tus-Resumable": "1.0.0",
            "Upload-Offset": "0",
            "Content-Type": "application/offset+octet-stream",
        },
    )
    assert done.status_code == 204
    refused = client.get("/api/plans", headers=device.headers)
    assert refused.get_json()["error"]["code"] == "password_change_required"


def test_a_reset_ends_logins_and_lifts_the_limits(client, factory, auth, admin):
    me, headers = admin
    user = factory.user(Role.inspector)
    db.session.commit()
    phone = auth.login(user)
    for _ in range(2):
        assert login(client, user.username, "wrong-password-1").status_code == 401
    response = client.post(f"/api/users/{user.id}/reset-password", headers=headers)
    assert response.status_code == 200
    body = response.get_json()
    assert body["username"] == user.username and body["user_id"] == str(user.id)
    assert client.get("/api/me", headers=bearer(phone)).status_code == 401
    assert not db.session.scalars(
        select(LoginAttempt).where(
            LoginAttempt.username == user.username, LoginAttempt.succeeded.is_(False)
        )
    ).all()
    assert login(client, user.username, PASSWORD).status_code == 401
    assert login(client, user.username, body["one_time_password"]).status_code == 200
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "user.reset_password")
    ).one()
    assert event.actor_id == me.id and event.details["ended_sessions"] == 1
    assert event.details["cleared_failures"] == 2
    assert body["one_time_password"] not in audit_text()
    own = client.post(f"/api/users/{me.id}/reset-password", headers=headers)
    assert own.status_code == 409 and own.get_json()["error"]["code"] == "self_lockout"
    other = auth.headers(factory.user(Role.supervisor))
    assert client.post(f"/api/users/{user.id}/reset-password", headers=other).status_code == 403


def change(client, tokens, new):
    body = {"old_password": PASSWORD, "new_password": new}
    return client.post("/api/me/password", json=body, headers=bearer(tokens))


def test_password_rules_come_from_the_settings(client, factory, auth, admin):
    _, headers = admin
    user = factory.user(Role.leader)
    unit = factory.unit()
    db.session.commit()
    tokens = auth.login(user)
    letters_only = change(client, tokens, "onlyletters")
    assert letters_only.status_code == 422
    messages = letters_only.get_json()["error"]["details"]["fields"]["new_password"]
    assert messages == ["新密码须同时包含字母和数字"]

    def put(key, value):
        response = client.put(f"/api/settings/{key}", json={"value": value}, headers=headers)
        assert response.status_code == 200, response.get_json()

    put("password_min_length", 12)
    short = change(client, tokens, "abc-12345")
    assert (
        "新密码须为 12–256 个字符" in short.get_json()["error"]["details"]["fields"]["new_password"]
    )
    body = {"username": "wang.wu", "display_name": "王五", "role": "leader"}
    body |= {"unit_id": str(unit.id)}
    refused = client.post("/api/users", json={**body, "password": "abc-12345"}, headers=headers)
    assert refused.get_json()["error"]["details"]["fields"]["password"] == [
        "密码须为 12–256 个字符"
    ]
    put("password_min_length", 20)
    generated = client.post("/api/users", json=body, headers=headers).get_json()
    assert len(generated["one_time_password"].replace("-", "")) >= 20
    put("password_letters_and_digits", 0)
    assert change(client, tokens, "only-letters-and-long").status_code == 204


def test_reset_password_from_the_command_line(app, client, factory):
    admin = factory.user(Role.admin)
    db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["reset-password", admin.username])
    assert result.exit_code == 0, result.output
    password = re.search(r"one-time password: (\S+)", result.output).group(1)
    assert login(client, admin.username, PASSWORD).status_code == 401
    tokens = login(client, admin.username, password).get_json()
    assert tokens["must_change_password"] is True
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "user.reset_password")
    ).one()
    assert event.actor_id is None and event.details["via"] == "cli"
    assert password not in audit_text()
    unknown = runner.invoke(args=["reset-password", "nobody"])
    assert unknown.exit_code != 0 and "nobody" in unknown.output
