"""Every token case answers 401 with the JSON envelope; revocation lives in the database."""

from __future__ import annotations

import base64
import json
import time
from datetime import timedelta

import jwt as pyjwt
import pytest
from flask_jwt_extended import create_access_token

from server import create_app
from server.accounts.operations import set_active
from server.extensions import db
from server.models import AuditEvent, AuthSession, Role
from tests.factories import PASSWORD


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def assert_401(response, code=None):
    assert response.status_code == 401
    body = response.get_json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    if code:
        assert body["error"]["code"] == code
    return body


def test_login_returns_tokens_and_user(client, factory, auth):
    user = factory.user(Role.supervisor)
    body = auth.login(user)
    assert set(body) == {"access_token", "refresh_token", "user", "must_change_password"}
    assert body["must_change_password"] is False is body["user"]["must_change_password"]
    assert body["user"]["username"] == user.username
    assert body["user"]["role"] == "supervisor"
    assert body["user"]["start_page"] == "/console/"
    header = pyjwt.get_unverified_header(body["access_token"])
    claims = pyjwt.decode(body["access_token"], options={"verify_signature": False})
    assert header["alg"] == "HS256"
    assert claims["sub"] == str(user.id) and isinstance(claims["sub"], str)
    assert claims["type"] == "access"
    assert claims["exp"] - claims["iat"] == 15 * 60
    refresh = pyjwt.decode(body["refresh_token"], options={"verify_signature": False})
    assert refresh["exp"] - refresh["iat"] == 30 * 24 * 3600


def test_me_with_valid_token(client, factory, auth):
    user = factory.user(Role.inspector)
    response = client.get("/api/me", headers=auth.headers(user))
    assert response.status_code == 200
    assert response.get_json()["id"] == str(user.id)
    assert response.get_json()["start_page"] == "/"


def test_wrong_password_and_unknown_user_look_the_same(client, factory):
    user = factory.user()
    db.session.commit()
    wrong = client.post("/api/auth/login", json={"username": user.username, "password": "nope"})
    unknown = client.post("/api/auth/login", json={"username": "ghost", "password": "nope"})
    assert_401(wrong, "bad_credentials")
    assert_401(unknown, "bad_credentials")
    assert wrong.get_json()["error"]["message"] == unknown.get_json()["error"]["message"]


def test_inactive_user_cannot_log_in(client, factory):
    user = factory.user(active=False)
    db.session.commit()
    response = client.post(
        "/api/auth/login", json={"username": user.username, "password": PASSWORD}
    )
    assert_401(response, "bad_credentials")


def test_missing_token(client):
    assert_401(client.get("/api/me"), "token_missing")


@pytest.mark.parametrize(
    "header", ["Bearer", "Bearer not-a-jwt", "Bearer a.b.c", "Token abc", "Bearer " + "x" * 5000]
)
def test_malformed_token(client, header):
    response = client.get("/api/me", headers={"Authorization": header})
    assert_401(response)


def _claims_of(client, factory, auth):
    user = factory.user()
    tokens = auth.login(user)
    return tokens, pyjwt.decode(tokens["access_token"], options={"verify_signature": False})


def test_expired_token(app, client, factory, auth):
    tokens, claims = _claims_of(client, factory, auth)
    expired = create_access_token(
        claims["sub"],
        additional_claims={"sid": claims["sid"]},
        expires_delta=timedelta(seconds=-30),
    )
    assert_401(client.get("/api/me", headers=bearer(expired)), "token_expired")


def test_token_signed_with_another_key(app, client, factory, auth):
    _, claims = _claims_of(client, factory, auth)
    forged = pyjwt.encode(claims, "another-secret-" + "k" * 40, algorithm="HS256")
    assert_401(client.get("/api/me", headers=bearer(forged)), "token_invalid")


def test_alg_none_is_refused(app, client, factory, auth):
    _, claims = _claims_of(client, factory, auth)

    def b64(data: dict) -> str:
        raw = json.dumps(data, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    for alg in ("none", "None", "NONE"):
        token = f"{b64({'alg': alg, 'typ': 'JWT'})}.{b64(claims)}."
        assert_401(client.get("/api/me", headers=bearer(token)), "token_invalid")


def test_other_algorithm_with_the_right_key_is_refused(app, client, factory, auth):
    _, claims = _claims_of(client, factory, auth)
    token = pyjwt.encode(claims, app.config["JWT_SECRET_KEY"], algorithm="HS512")
    assert_401(client.get("/api/me", headers=bearer(token)), "token_invalid")


def test_refresh_token_cannot_be_used_as_access(client, factory, auth):
    tokens = auth.login(factory.user())
    assert_401(client.get("/api/me", headers=bearer(tokens["refresh_token"])), "token_invalid")


def test_access_token_cannot_refresh(client, factory, auth):
    tokens = auth.login(factory.user())
    assert_401(
        client.post("/api/auth/refresh", headers=bearer(tokens["access_token"])), "token_invalid"
    )


def test_refresh_gives_a_working_access_token(client, factory, auth):
    tokens = auth.login(factory.user())
    response = client.post("/api/auth/refresh", headers=bearer(tokens["refresh_token"]))
    assert response.status_code == 200
    assert set(response.get_json()) == {"access_token", "must_change_password"}
    me = client.get("/api/me", headers=bearer(response.get_json()["access_token"]))
    assert me.status_code == 200


def test_logout_revokes_access_and_refresh(client, factory, auth):
    user = factory.user()
    tokens = auth.login(user)
    other = auth.login(user)  # a second device keeps working
    assert (
        client.post("/api/auth/logout", headers=bearer(tokens["access_token"])).status_code == 204
    )
    assert_401(client.get("/api/me", headers=bearer(tokens["access_token"])), "token_revoked")
    assert_401(
        client.post("/api/auth/refresh", headers=bearer(tokens["refresh_token"])), "token_revoked"
    )
    assert client.get("/api/me", headers=bearer(other["access_token"])).status_code == 200


def test_logout_with_the_refresh_token(client, factory, auth):
    tokens = auth.login(factory.user())
    assert (
        client.post("/api/auth/logout", headers=bearer(tokens["refresh_token"])).status_code == 204
    )
    assert_401(client.get("/api/me", headers=bearer(tokens["access_token"])), "token_revoked")


def test_disabling_a_user_rejects_all_their_tokens(client, factory, auth):
    user = factory.user()
    first, second = auth.login(user), auth.login(user)
    set_active(user, False)
    db.session.commit()
    for tokens in (first, second):
        assert_401(client.get("/api/me", headers=bearer(tokens["access_token"])), "token_revoked")
        assert_401(client.post("/api/auth/refresh", headers=bearer(tokens["refresh_token"])))


def test_revocation_survives_a_restart(app, client, factory, auth, tmp_path):
    user = factory.user()
    tokens = auth.login(user)
    client.post("/api/auth/logout", headers=bearer(tokens["access_token"]))
    restarted = create_app(
        {
            k: app.config[k]
            for k in (
                "ENV",
                "INSTANCE_DIR",
                "DATABASE_URL",
                "SECRET_KEY",
                "JWT_SECRET_KEY",
                "PASSWORD_HASH_METHOD",
            )
        }
    )
    response = restarted.test_client().get("/api/me", headers=bearer(tokens["access_token"]))
    assert_401(response, "token_revoked")


def test_token_of_an_expired_session_is_refused(client, factory, auth):
    tokens = auth.login(factory.user())
    session = db.session.scalars(db.select(AuthSession)).one()
    session.expires_at = session.created_at - timedelta(seconds=1)
    db.session.commit()
    assert_401(client.get("/api/me", headers=bearer(tokens["access_token"])), "token_revoked")


def test_failed_logins_are_audited(client, factory):
    user = factory.user()
    db.session.commit()
    client.post("/api/auth/login", json={"username": user.username, "password": "bad"})
    event = db.session.scalars(
        db.select(AuditEvent).where(AuditEvent.action == "auth.login_failed")
    ).one()
    assert event.details["username"] == user.username
    assert event.client_addr == "127.0.0.1"
    assert event.at.tzinfo is not None


def test_login_rate_limit_per_username_and_address(app, client, factory):
    user = factory.user()
    db.session.commit()
    limit = app.config["LOGIN_MAX_FAILURES_PER_USER_ADDRESS"]
    for _ in range(limit):
        response = client.post(
            "/api/auth/login", json={"username": user.username, "password": "bad"}
        )
        assert response.status_code == 401
    blocked = client.post("/api/auth/login", json={"username": user.username, "password": PASSWORD})
    assert blocked.status_code == 429
    retry = int(blocked.headers["Retry-After"])
    assert 0 < retry <= app.config["LOGIN_WINDOW_SECONDS"]
    assert blocked.get_json()["error"]["code"] == "too_many_login_attempts"
    # Another client address is not blocked for this username.
    other = client.post(
        "/api/auth/login",
        json={"username": user.username, "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "10.0.0.9"},
    )
    assert other.status_code == 200


def test_login_rate_limit_per_address(app, client, factory):
    app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"] = 3
    user = factory.user()
    db.session.commit()
    for n in range(3):
        client.post("/api/auth/login", json={"username": f"guess{n}", "password": "x"})
    blocked = client.post("/api/auth/login", json={"username": user.username, "password": PASSWORD})
    assert blocked.status_code == 429 and "Retry-After" in blocked.headers


def test_rate_limit_window_passes(app, client, factory):
    app.config["LOGIN_WINDOW_SECONDS"] = 1
    app.config["LOGIN_MAX_FAILURES_PER_USER_ADDRESS"] = 1
    user = factory.user()
    db.session.commit()
    client.post("/api/auth/login", json={"username": user.username, "password": "bad"})
    assert (
        client.post(
            "/api/auth/login", json={"username": user.username, "password": PASSWORD}
        ).status_code
        == 429
    )
    time.sleep(1.1)
    assert (
        client.post(
            "/api/auth/login", json={"username": user.username, "password": PASSWORD}
        ).status_code
        == 200
    )
