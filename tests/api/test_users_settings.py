"""Admin account management and rule settings, with role guards."""

from __future__ import annotations

import uuid

import pytest

from server.extensions import db
from server.models import AuditEvent, Role
from server.settings import SETTINGS, get_setting


@pytest.fixture
def admin_headers(factory, auth):
    return auth.headers(factory.user(Role.admin))


@pytest.mark.parametrize("role", [Role.inspector, Role.supervisor, Role.responder, Role.leader])
def test_only_admins_manage_users(client, factory, auth, role):
    headers = auth.headers(factory.user(role))
    assert client.get("/api/users", headers=headers).status_code == 403
    assert client.post("/api/users", json={}, headers=headers).status_code == 403
    assert client.patch(f"/api/users/{uuid.uuid4()}", json={}, headers=headers).status_code == 403


def test_admin_creates_a_user_who_can_log_in(client, factory, admin_headers):
    unit = factory.unit()
    db.session.commit()
    body = {
        "username": "new.inspector",
        "display_name": "新人",
        "password": "long-enough-1",
        "role": "inspector",
        "unit_id": str(unit.id),
    }
    response = client.post("/api/users", json=body, headers=admin_headers)
    assert response.status_code == 201
    assert "password" not in response.get_json()
    assert "password_hash" not in response.get_json()
    login = client.post(
        "/api/auth/login", json={"username": "new.inspector", "password": "long-enough-1"}
    )
    assert login.status_code == 200
    again = client.post("/api/users", json=body, headers=admin_headers)
    assert again.status_code == 409
    assert again.get_json()["error"]["details"]["fields"]["username"]


def test_create_user_validation(client, factory, admin_headers):
    response = client.post(
        "/api/users",
        headers=admin_headers,
        json={
            "username": "x",
            "display_name": "",
            "password": "short",
            "role": "boss",
            "unit_id": "not-a-uuid",
        },
    )
    assert response.status_code == 422
    assert set(response.get_json()["error"]["details"]["fields"]) == {
        "username",
        "display_name",
        "password",
        "role",
        "unit_id",
    }


def test_create_user_in_unknown_unit(client, admin_headers):
    response = client.post(
        "/api/users",
        headers=admin_headers,
        json={
            "username": "someone",
            "display_name": "某人",
            "password": "long-enough-1",
            "role": "inspector",
            "unit_id": str(uuid.uuid4()),
        },
    )
    assert response.status_code == 422
    assert "unit_id" in response.get_json()["error"]["details"]["fields"]


def test_disabling_through_the_api_rejects_tokens(client, factory, auth, admin_headers):
    user = factory.user(Role.responder)
    tokens = auth.login(user)
    response = client.patch(f"/api/users/{user.id}", json={"active": False}, headers=admin_headers)
    assert response.status_code == 200 and response.get_json()["active"] is False
    me = client.get("/api/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert me.status_code == 401
    actions = db.session.scalars(db.select(AuditEvent.action)).all()
    assert "user.update" in actions


def test_admin_cannot_lock_themself_out(client, factory, auth):
    admin = factory.user(Role.admin)
    headers = auth.headers(admin)
    response = client.patch(f"/api/users/{admin.id}", json={"active": False}, headers=headers)
    assert response.status_code == 409


def test_patch_unknown_user_is_404(client, admin_headers):
    response = client.patch(
        f"/api/users/{uuid.uuid4()}", json={"display_name": "x"}, headers=admin_headers
    )
    assert response.status_code == 404


def test_settings_list_shows_defaults(client, factory, auth):
    headers = auth.headers(factory.user(Role.supervisor))
    rows = client.get("/api/settings", headers=headers).get_json()
    assert {r["key"] for r in rows} == set(SETTINGS)
    radius = next(r for r in rows if r["key"] == "geofence_radius_m")
    assert radius["value"] == radius["default"] == 200 and radius["overridden"] is False


def test_admin_overrides_and_resets_a_setting(app, client, factory, auth):
    admin = factory.user(Role.admin)
    headers = auth.headers(admin)
    response = client.put("/api/settings/feedback_working_days", json={"value": 7}, headers=headers)
    assert response.status_code == 200
    assert response.get_json()["value"] == 7 and response.get_json()["overridden"] is True
    assert get_setting("feedback_working_days") == 7
    reset = client.put("/api/settings/feedback_working_days", json={"value": None}, headers=headers)
    assert reset.get_json()["value"] == 5
    events = db.session.scalars(
        db.select(AuditEvent).where(AuditEvent.action == "setting.change")
    ).all()
    assert [e.details["new"] for e in events] == [7, None]


@pytest.mark.parametrize("value", ["abc", -1, 10_000, True, 2.5])
def test_setting_values_are_checked(client, factory, auth, value):
    headers = auth.headers(factory.user(Role.admin))
    response = client.put(
        "/api/settings/feedback_working_days", json={"value": value}, headers=headers
    )
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "invalid_setting"


def test_supervisor_cannot_change_settings(client, factory, auth):
    headers = auth.headers(factory.user(Role.supervisor))
    response = client.put("/api/settings/geofence_radius_m", json={"value": 300}, headers=headers)
    assert response.status_code == 403


def test_unknown_setting_is_404(client, factory, auth):
    headers = auth.headers(factory.user(Role.admin))
    assert client.put("/api/settings/nope", json={"value": 1}, headers=headers).status_code == 404


def test_environment_overrides_the_default(app, monkeypatch):
    monkeypatch.setenv("ZHICHA_RULE_GEOFENCE_RADIUS_M", "350")
    assert get_setting("geofence_radius_m") == 350


def test_settings_doc_is_up_to_date(app):
    result = app.test_cli_runner().invoke(args=["settings-doc", "--check"])
    assert result.exit_code == 0, result.output
