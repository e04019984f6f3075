"""Console pages: a cookie bound to the login session, CSRF on forms, one start page per role."""

from __future__ import annotations

import pytest

from server.extensions import db
from server.models import AuditEvent, Role


def console_login(client, auth, user):
    tokens = auth.login(user)
    response = client.post(
        "/console/session", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert response.status_code == 204
    return tokens, response


def test_console_without_session_redirects_to_login(client):
    response = client.get("/console/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/?next=/console/")


def test_session_exchange_needs_a_bearer_token(client):
    response = client.post("/console/session")
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "token_missing"


def test_console_cookie_is_httponly_and_samesite(client, factory, auth):
    _, response = console_login(client, auth, factory.user(Role.supervisor))
    cookie = response.headers["Set-Cookie"]
    assert "zhicha_console=" in cookie
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


@pytest.mark.parametrize(
    ("role", "heading"),
    [
        (Role.supervisor, "督查工作台"),
        (Role.responder, "整改事项"),
        (Role.leader, "领导视图"),
        (Role.admin, "系统管理"),
        (Role.inspector, "请使用外勤应用"),
    ],
)
def test_each_role_lands_on_its_start_page(client, factory, auth, role, heading):
    user = factory.user(role)
    console_login(client, auth, user)
    page = client.get("/console/").get_data(as_text=True)
    assert heading in page
    assert user.display_name in page
    assert 'lang="zh-CN"' in page


def test_no_start_page_offers_what_is_not_there(client, factory, auth):
    # Bulletins (月度通报) and exposure (曝光台) replaced the last "尚未开放" cards.
    for role in Role:
        console_login(client, auth, factory.user(role))
        page = client.get("/console/", follow_redirects=True).get_data(as_text=True)
        assert "<h1" in page and "尚未开放" not in page, role


def test_admin_page_is_a_hub_with_real_counts(client, factory, auth):
    # The links and counts in detail: tests/api/test_console_settings.py.
    admin = factory.user(Role.admin)
    factory.user(Role.leader)
    console_login(client, auth, admin)
    page = client.get("/console/").get_data(as_text=True)
    assert "用户 <strong>2</strong> 人启用" in page
    assert 'href="/console/users"' in page and 'href="/console/settings"' in page


def test_logout_form_needs_csrf(client, factory, auth):
    tokens, _ = console_login(client, auth, factory.user(Role.supervisor))
    assert client.post("/console/logout").status_code == 400
    assert client.post("/console/logout", data={"csrf_token": "forged"}).status_code == 400
    assert client.get("/console/").status_code == 200  # still logged in


def test_logout_revokes_the_whole_login_session(client, factory, auth):
    tokens, _ = console_login(client, auth, factory.user(Role.supervisor))
    page = client.get("/console/").get_data(as_text=True)
    csrf = page.split('name="csrf_token" value="')[1].split('"')[0]
    response = client.post("/console/logout", data={"csrf_token": csrf})
    assert response.status_code == 302 and response.headers["Location"].startswith("/")
    assert client.get("/console/").status_code == 302
    me = client.get("/api/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert me.status_code == 401
    logouts = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "auth.logout"))
    assert len(logouts.all()) == 1


def test_field_app_login_page_is_chinese(client):
    page = client.get("/").get_data(as_text=True)
    assert "登录" in page and 'lang="zh-CN"' in page
    assert client.get("/pwa/app.js").status_code == 200
