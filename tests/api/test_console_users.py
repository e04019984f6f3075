"""/console/users (issue 15): an admin finds, adds, edits, disables and enables accounts,
resets passwords (the one-time password shown once, in that answer only) and lifts the
failed-login limits; everyone else is refused; forms need the CSRF token. And the forced
password change in the console: every page leads to the password page until it is done."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select

from server.extensions import db
from server.models import AuditEvent, Role, User
from tests.api.test_console import console_login
from tests.factories import PASSWORD

OTP = re.compile(r'<p class="otp" id="one-time-password" translate="no">([^<]+)</p>')


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def csrf_of(page: str) -> str:
    return page.split('name="csrf_token" value="')[1].split('"')[0]


@pytest.fixture
def desk(client, factory, auth):
    """An admin logged into the console; (admin, csrf token)."""
    admin = factory.user(Role.admin, username="admin.desk")
    console_login(client, auth, admin)
    return admin, csrf_of(client.get("/console/users").get_data(as_text=True))


def usernames(page: str) -> list[str]:
    return re.findall(r'data-label="用户名"><a href="[^"]+">([^<]+)</a>', page)


def test_the_list_searches_filters_and_pages(client, factory, desk):
    office, other = factory.unit("督查室甲"), factory.unit("住建局乙")
    for n in range(55):
        factory.user(Role.inspector, office, username=f"field{n:02d}")
    zhao = factory.user(Role.responder, other, username="zhao.liu")
    zhao.display_name = "赵六"
    factory.user(Role.leader, other, username="gone.one", active=False)
    db.session.commit()
    first = text(client.get("/console/users"))
    assert "共 58 个用户" in first and len(usernames(first)) == 50
    assert "第 1 / 2 页" in first and "下一页" in first
    second = text(client.get("/console/users?page=2"))
    assert len(usernames(second)) == 8 and "上一页" in second
    by_name = text(client.get("/console/users", query_string={"q": "赵六"}))
    assert usernames(by_name) == ["zhao.liu"]
    by_username = text(client.get("/console/users", query_string={"q": "FIELD5"}))
    assert usernames(by_username) == [f"field{n}" for n in range(50, 55)]
    by_unit = client.get("/console/users", query_string={"unit_id": str(other.id)})
    assert usernames(text(by_unit)) == ["gone.one", "zhao.liu"]
    by_role = client.get("/console/users", query_string={"role": "leader"})
    assert usernames(text(by_role)) == ["gone.one"]
    disabled = client.get("/console/users", query_string={"status": "disabled"})
    assert usernames(text(disabled)) == ["gone.one"] and "已停用" in text(disabled)
    paged = client.get("/console/users", query_string={"role": "inspector", "page": 2})
    assert usernames(text(paged)) == [f"field{n}" for n in range(50, 55)]
    assert "role=inspector" in text(paged)  # the pager keeps the filter
    bad = client.get("/console/users", query_string={"role": "boss"})
    assert bad.status_code == 422


def test_an_admin_adds_a_user_and_reads_the_password_once(client, factory, desk):
    admin, csrf = desk
    unit = factory.unit("龙山镇人民政府")
    db.session.commit()
    form = {"csrf_token": csrf, "username": "new.responder", "display_name": "新联络员"}
    form |= {"role": "responder", "unit_id": str(unit.id)}
    refused = client.post("/console/users/new", data={**form, "username": "x"})
    assert refused.status_code == 422 and "用户名须为 3–64 位" in text(refused)
    assert 'value="新联络员"' in text(refused)  # kept
    created = client.post("/console/users/new", data=form)
    assert created.status_code == 200 and "用户已创建" in text(created)
    password = OTP.search(text(created)).group(1)
    assert created.headers["Cache-Control"] == "no-store"
    user = db.session.scalar(select(User).where(User.username == "new.responder"))
    assert user.must_change_password and user.unit_id == unit.id and user.role == Role.responder
    assert password not in user.password_hash
    again = client.post("/console/users/new", data=form)
    assert again.status_code == 409 and "用户名已被使用" in text(again)
    assert password not in text(client.get(f"/console/users/{user.id}"))
    assert password not in text(client.get("/console/users"))
    events = db.session.scalars(select(AuditEvent)).all()
    assert "user.create" in {e.action for e in events}
    assert password not in " ".join(str(e.details) for e in events)
    login = {"username": "new.responder", "password": password}
    assert client.post("/api/auth/login", json=login).status_code == 200


def test_an_admin_edits_disables_and_enables(client, factory, auth, desk):
    admin, csrf = desk
    user = factory.user(Role.inspector)
    unit = factory.unit("县水务局")
    db.session.commit()
    phone = auth.login(user)
    url = f"/console/users/{user.id}"
    page = text(client.get(url))
    assert user.username in page and "停用账号" in page and "重置密码" in page
    edit = {"csrf_token": csrf, "display_name": "改名后", "role": "supervisor"}
    saved = client.post(url, data={**edit, "unit_id": str(unit.id)})
    assert saved.status_code == 303
    db.session.expire_all()
    user = db.session.get(User, user.id)
    assert (user.display_name, user.role, user.unit_id) == ("改名后", Role.supervisor, unit.id)
    assert "用户信息已保存" in text(client.get(url))
    empty = client.post(url, data={**edit, "display_name": "", "unit_id": str(unit.id)})
    assert empty.status_code == 422 and "姓名" in text(empty)
    assert db.session.get(User, user.id).display_name == "改名后"

    off = client.post(f"{url}/active", data={"csrf_token": csrf, "active": "0"})
    assert off.status_code == 303 and "账号已停用" in text(client.get(url))
    db.session.expire_all()
    assert db.session.get(User, user.id).active is False
    headers = {"Authorization": f"Bearer {phone['access_token']}"}
    assert client.get("/api/me", headers=headers).status_code == 401
    on = client.post(f"{url}/active", data={"csrf_token": csrf, "active": "1"})
    assert on.status_code == 303 and "启用账号" not in text(client.get(url))
    db.session.expire_all()
    assert db.session.get(User, user.id).active is True
    actions = [
        e.details for e in db.session.scalars(select(AuditEvent)) if e.action == "user.update"
    ]
    assert {"active": False} in actions and {"active": True} in actions


def test_self_lockout_is_refused(client, desk):
    admin, csrf = desk
    url = f"/console/users/{admin.id}"
    page = text(client.get(url))
    assert ">停用账号</button>" not in page and ">重置密码</button>" not in page  # not offered
    off = client.post(f"{url}/active", data={"csrf_token": csrf, "active": "0"})
    assert off.status_code == 409 and "不能停用自己" in text(off)
    demote = {"csrf_token": csrf, "display_name": "我", "role": "leader"}
    demoted = client.post(url, data={**demote, "unit_id": str(admin.unit_id)})
    assert demoted.status_code == 409
    reset = client.post(f"{url}/reset-password", data={"csrf_token": csrf})
    assert reset.status_code == 409 and "修改密码" in text(reset)
    db.session.expire_all()
    me = db.session.get(User, admin.id)
    assert me.active and me.role == Role.admin and not me.must_change_password


def test_reset_shows_the_password_once_and_unlock_lifts_the_limits(client, factory, desk):
    admin, csrf = desk
    user = factory.user(Role.leader)
    db.session.commit()
    for _ in range(3):
        wrong = {"username": user.username, "password": "wrong-password-1"}
        assert client.post("/api/auth/login", json=wrong).status_code == 401
    url = f"/console/users/{user.id}"
    assert "近期失败 3 次" in text(client.get(url))
    unlocked = client.post(f"{url}/unlock", data={"csrf_token": csrf})
    assert unlocked.status_code == 303
    page = text(client.get(url))
    assert "清除 3 次失败记录" in page and "近期无失败" in page

    reset = client.post(f"{url}/reset-password", data={"csrf_token": csrf})
    assert reset.status_code == 200 and "密码已重置" in text(reset)
    password = OTP.search(text(reset)).group(1)
    assert password not in text(client.get(url))  # shown once
    old = {"username": user.username, "password": PASSWORD}
    assert client.post("/api/auth/login", json=old).status_code == 401
    login = client.post("/api/auth/login", json={**old, "password": password})
    assert login.get_json()["must_change_password"] is True


@pytest.mark.parametrize("role", [Role.supervisor, Role.responder, Role.leader, Role.inspector])
def test_other_roles_are_refused(client, factory, auth, role):
    target = factory.user(Role.inspector)
    console_login(client, auth, factory.user(role))
    assert client.get("/console/users").status_code == 403
    assert client.get(f"/console/users/{target.id}").status_code == 403


def test_forms_need_the_csrf_token(client, factory, desk):
    user = factory.user(Role.inspector)
    db.session.commit()
    url = f"/console/users/{user.id}"
    assert client.post(f"{url}/reset-password").status_code == 400
    assert client.post(f"{url}/active", data={"active": "0"}).status_code == 400
    assert client.post("/console/users/new", data={"username": "abc"}).status_code == 400
    db.session.expire_all()
    assert db.session.get(User, user.id).active and not user.must_change_password


def test_a_flagged_account_can_only_change_its_password(client, factory, auth):
    user = factory.user(Role.supervisor)
    user.must_change_password = True
    db.session.commit()
    console_login(client, auth, user)
    for path in ("/console/", "/console/plans", "/console/ledger"):
        response = client.get(path)
        assert response.status_code == 303, path
        assert response.headers["Location"].endswith("/console/password")
    page = text(client.get("/console/password"))
    assert "请设置新密码" in page and "完成后才能使用其他功能" in page
    assert 'class="site-nav"' not in page
    csrf = csrf_of(page)
    held = client.post("/console/notifications/read", data={"csrf_token": csrf})
    assert held.status_code == 303 and held.headers["Location"].endswith("/console/password")
    form = {"csrf_token": csrf, "old_password": PASSWORD, "new_password": "mine-and-new-8"}
    done = client.post("/console/password", data={**form, "confirm_password": "mine-and-new-8"})
    assert done.status_code == 303 and done.headers["Location"].endswith("/console/")
    assert client.get("/console/").status_code == 200
    db.session.expire_all()
    assert db.session.get(User, user.id).must_change_password is False


def test_a_flagged_account_can_log_out(client, factory, auth):
    user = factory.user(Role.responder)
    user.must_change_password = True
    db.session.commit()
    console_login(client, auth, user)
    csrf = csrf_of(client.get("/console/password").get_data(as_text=True))
    out = client.post("/console/logout", data={"csrf_token": csrf})
    assert out.status_code == 302 and "logged_out" in out.headers["Location"]
