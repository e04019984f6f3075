"""Every user changes their own password (issue 15): the current one required, the
password rules checked with Chinese messages, every other login session ended (their
tokens refused) while this one stays, audited; the same through the console page."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from server.extensions import db
from server.models import AuditEvent, Role
from tests.api.test_console import console_login
from tests.factories import PASSWORD

NEW = "new-password-42"


def bearer(tokens) -> dict:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def change(client, tokens, old, new):
    body = {"old_password": old, "new_password": new}
    return client.post("/api/me/password", json=body, headers=bearer(tokens))


@pytest.mark.parametrize("role", [Role.inspector, Role.responder, Role.admin])
def test_a_new_password_ends_the_other_logins_and_keeps_this_one(client, auth, factory, role):
    user = factory.user(role)
    phone, desk = auth.login(user), auth.login(user)
    assert change(client, phone, PASSWORD, NEW).status_code == 204
    assert client.get("/api/me", headers=bearer(phone)).status_code == 200  # this one stays
    assert client.get("/api/me", headers=bearer(desk)).status_code == 401  # the other ends
    refreshed = client.post(
        "/api/auth/refresh", headers={"Authorization": f"Bearer {desk['refresh_token']}"}
    )
    assert refreshed.status_code == 401
    old = {"username": user.username, "password": PASSWORD}
    assert client.post("/api/auth/login", json=old).status_code == 401
    assert client.post("/api/auth/login", json={**old, "password": NEW}).status_code == 200
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "user.password_change")
    ).one()
    assert event.actor_id == user.id and event.details["ended_sessions"] == 1
    assert NEW not in str(event.details) and PASSWORD not in str(event.details)


@pytest.mark.parametrize(
    ("old", "new", "field", "message"),
    [
        ("wrong-password-1", NEW, "old_password", "当前密码不正确"),
        (PASSWORD, "short", "new_password", "新密码须为 8–256 个字符"),
        (PASSWORD, PASSWORD, "new_password", "新密码不能与当前密码相同"),
        ("", NEW, "old_password", None),
    ],
)
def test_a_refused_change_says_why_and_changes_nothing(
    client, auth, factory, old, new, field, message
):
    user = factory.user(Role.supervisor)
    tokens, other = auth.login(user), auth.login(user)
    response = change(client, tokens, old, new)
    assert response.status_code == 422
    fields = response.get_json()["error"]["details"]["fields"]
    assert field in fields and (message is None or message in fields[field])
    assert client.get("/api/me", headers=bearer(other)).status_code == 200
    login = {"username": user.username, "password": PASSWORD}
    assert client.post("/api/auth/login", json=login).status_code == 200


def test_without_a_login_there_is_nothing_to_change(client):
    response = client.post("/api/me/password", json={"old_password": "x", "new_password": NEW})
    assert response.status_code == 401


def csrf_of(html: str) -> str:
    return html.split('name="csrf_token" value="')[1].split('"')[0]


def test_the_console_page_changes_it_and_keeps_the_console_logged_in(client, auth, factory):
    user = factory.user(Role.responder)
    phone = auth.login(user)
    console_login(client, auth, user)
    start = client.get("/console/").get_data(as_text=True)
    assert 'href="/console/password"' in start  # in the header of every page
    form = client.get("/console/password").get_data(as_text=True)
    assert "修改密码" in form and 'autocomplete="current-password"' in form
    csrf = csrf_of(form)

    def post(old, new, confirm):
        data = {"csrf_token": csrf, "old_password": old, "new_password": new}
        return client.post("/console/password", data={**data, "confirm_password": confirm})

    mismatch = post(PASSWORD, NEW, NEW + "x")
    assert mismatch.status_code == 422
    assert "两次输入的新密码不一致" in mismatch.get_data(as_text=True)
    wrong = post("wrong-password-1", NEW, NEW)
    assert wrong.status_code == 422 and "当前密码不正确" in wrong.get_data(as_text=True)
    assert NEW not in wrong.get_data(as_text=True)  # never sent back
    done = post(PASSWORD, NEW, NEW)
    assert done.status_code == 303 and done.headers["Location"].endswith("/console/password")
    page = client.get("/console/password").get_data(as_text=True)
    assert "密码已修改" in page and "1 个登录已退出" in page  # the phone's
    assert client.get("/api/me", headers=bearer(phone)).status_code == 401
    missing_csrf = client.post("/console/password", data={"old_password": NEW})
    assert missing_csrf.status_code == 400
