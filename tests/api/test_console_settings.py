"""The console's rule settings page (/console/settings) and the admin's start page (issue
15): every setting with its value in force beside its default; an admin changes one or
restores its default through the audited operation, a bad value is refused next to its
field with nothing stored; supervisors read, others are refused; the deployment
configuration is shown to the admin read-only, with its secrets masked."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select

from server.extensions import db
from server.models import AuditEvent, Role, SettingOverride
from server.settings import SETTINGS, forget_cached_overrides, get_setting
from server.system.deployment import masked_url
from tests.api.test_console import console_login

URL = "/console/settings"
KEY = "feedback_working_days"  # 5 working days, 1 to 365, whole numbers
SHARE = "unannounced_share_goal"  # 0.6, 0 to 1


def open_page(client, auth, user) -> tuple[str, str]:
    """Log in, open the page: its text and the form's CSRF token."""
    console_login(client, auth, user)
    response = client.get(URL)
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    token = text.split('name="csrf_token" value="')[1].split('"')[0] if "csrf_token" in text else ""
    return text, token


def card(page: str, key: str) -> str:
    """The setting's card, as plain text without tags."""
    part = page.split(f'id="s-{key}"')[1].split("</li>")[0]
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", part)))


def stored(key):
    db.session.expire_all()
    forget_cached_overrides()
    row = db.session.get(SettingOverride, key)
    return None if row is None else row.value


def events():
    db.session.expire_all()
    return db.session.execute(
        select(AuditEvent.action, AuditEvent.entity_id, AuditEvent.details)
        .where(AuditEvent.action == "setting.change")
        .order_by(AuditEvent.id)
    ).all()


@pytest.fixture
def admin(factory):
    user = factory.user(Role.admin)
    db.session.commit()
    return user


def test_every_setting_is_shown_with_its_default_range_and_source(client, auth, admin):
    page, _ = open_page(client, auth, admin)
    for key, setting in SETTINGS.items():
        assert page.count(f'id="s-{key}"') == 1, key
        assert setting.label in card(page, key)
    text = card(page, KEY)
    assert "当前值 5 默认值 5" in text
    assert "取值范围 1 至 365,整数" in text
    assert "依据 seed 001 (五)" in text
    assert "恢复默认" not in text  # nothing to restore
    assert "0.6(60%)" in card(page, SHARE) and "可含小数" in card(page, SHARE)
    assert page.index('id="s-feedback_working_days"') < page.index('id="s-geofence_radius_m"')
    assert "整改期限" in page and "现场核验与照片" in page


def test_an_admin_changes_a_setting_and_restores_its_default(client, auth, admin):
    _, token = open_page(client, auth, admin)
    response = client.post(f"{URL}/{KEY}", data={"csrf_token": token, "value": " 7 "})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"{URL}#s-{KEY}")
    assert stored(KEY) == 7 and get_setting(KEY) == 7
    assert [(e.entity_id, e.details["old"], e.details["new"]) for e in events()] == [(KEY, None, 7)]
    page = client.get(URL).get_data(as_text=True)
    assert "反馈时限(工作日):已调整为 7" in page  # the flash
    text = card(page, KEY)
    assert "当前值 7 管理员调整 默认值 5" in text
    assert 'value="7"' in page.split(f'id="s-{KEY}"')[1].split("</li>")[0]
    assert "恢复默认" in text

    response = client.post(f"{URL}/{KEY}", data={"csrf_token": token, "action": "reset"})
    assert response.status_code == 303
    assert stored(KEY) is None and get_setting(KEY) == 5
    assert [(e.details["old"], e.details["new"]) for e in events()] == [(None, 7), (7, None)]
    page = client.get(URL).get_data(as_text=True)
    assert "反馈时限(工作日):已恢复默认值 5" in page
    assert "当前值 5 默认值 5" in card(page, KEY)


def test_the_actor_of_a_change_is_recorded(client, auth, admin):
    _, token = open_page(client, auth, admin)
    client.post(f"{URL}/{SHARE}", data={"csrf_token": token, "value": "0.65"})
    db.session.expire_all()
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "setting.change")
    ).one()
    assert event.actor_id == admin.id and event.entity_id == SHARE
    assert stored(SHARE) == 0.65


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        (KEY, "abc", "反馈时限(工作日)须为整数"),
        (KEY, "2.5", "反馈时限(工作日)须为整数"),
        (KEY, "0", "反馈时限(工作日)须在 1 与 365 之间"),
        (KEY, "366", "反馈时限(工作日)须在 1 与 365 之间"),
        (KEY, "", "请填写新值"),
        (SHARE, "1.5", "暗访占比目标须在 0 与 1 之间"),
        (SHARE, "六成", "暗访占比目标须为数字"),
    ],
)
def test_a_bad_value_is_refused_next_to_its_field(client, auth, admin, key, value, message):
    _, token = open_page(client, auth, admin)
    response = client.post(f"{URL}/{key}", data={"csrf_token": token, "value": value})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    row = page.split(f'id="s-{key}"')[1].split("</li>")[0]
    assert f'<p class="field-error" role="alert">{message}</p>' in row
    assert f'value="{value}"' in row and 'aria-invalid="true"' in row  # what was typed is kept
    assert f'<a href="#s-{key}">' in page  # the notice on top leads to the field
    assert stored(key) is None and events() == []


def test_saving_the_value_in_force_changes_nothing(client, auth, admin):
    _, token = open_page(client, auth, admin)
    client.post(f"{URL}/{KEY}", data={"csrf_token": token, "value": "7"})
    response = client.post(f"{URL}/{KEY}", data={"csrf_token": token, "value": "7"})
    assert response.status_code == 409
    assert "设置值未改变" in response.get_data(as_text=True)
    assert len(events()) == 1 and stored(KEY) == 7


def test_an_unknown_setting_is_404_and_a_missing_csrf_token_400(client, auth, admin):
    _, token = open_page(client, auth, admin)
    assert (
        client.post(f"{URL}/no_such", data={"csrf_token": token, "value": "1"}).status_code == 404
    )
    assert client.post(f"{URL}/{KEY}", data={"value": "7"}).status_code == 400
    assert stored(KEY) is None and events() == []


def test_an_environment_value_shows_where_it_comes_from(client, auth, admin, monkeypatch):
    monkeypatch.setenv("ZHICHA_RULE_FEEDBACK_WORKING_DAYS", "6")
    page, token = open_page(client, auth, admin)
    assert "当前值 6 部署环境变量 ZHICHA_RULE_FEEDBACK_WORKING_DAYS 默认值 5" in card(page, KEY)
    client.post(f"{URL}/{KEY}", data={"csrf_token": token, "value": "8"})  # the database wins
    client.post(f"{URL}/{KEY}", data={"csrf_token": token, "action": "reset"})
    page = client.get(URL).get_data(as_text=True)
    assert "已取消调整,现行值 6(部署环境变量)" in page


def test_a_supervisor_reads_without_forms_or_configuration(client, factory, auth):
    supervisor = factory.user(Role.supervisor)
    db.session.commit()
    page, token = open_page(client, auth, supervisor)
    assert "当前值 5 默认值 5" in card(page, KEY)
    assert "<form" not in page.split("<main>")[1]  # only the header's logout form before it
    assert "部署配置" not in page and "DATABASE_URL" not in page
    response = client.post(f"{URL}/{KEY}", data={"csrf_token": token, "value": "7"})
    assert response.status_code == 403
    assert stored(KEY) is None and events() == []
    figures = client.get("/console/plans/figures").get_data(as_text=True)
    assert f'<a href="{URL}">规则设置</a>' in figures  # where the yearly goals come from


@pytest.mark.parametrize("role", [Role.responder, Role.leader, Role.inspector])
def test_other_roles_are_refused(client, factory, auth, role):
    user = factory.user(role)
    db.session.commit()
    console_login(client, auth, user)
    assert client.get(URL).status_code == 403
    with client.session_transaction() as session:
        token = session.get("csrf", "")
    response = client.post(f"{URL}/{KEY}", data={"csrf_token": token, "value": "7"})
    assert response.status_code == 403
    assert stored(KEY) is None


def test_the_configuration_is_read_only_and_masks_secrets(app, client, auth, admin):
    app.config.update(
        DATABASE_URL="postgresql+psycopg://zhicha:Db-Pass-123@dbhost:5432/zhicha",
        REDIS_URL="redis://:Redis-Pass-456@cache:6379/0",
        MAP_TILE_URL="https://t0.tianditu.gov.cn/img_w/wmts?tk=TIANDITU-KEY-789&x={x}",
    )
    page, _ = open_page(client, auth, admin)
    for secret in (
        app.config["SECRET_KEY"],
        app.config["JWT_SECRET_KEY"],
        "Db-Pass-123",
        "Redis-Pass-456",
        "TIANDITU-KEY-789",
    ):
        assert secret not in page
    section = html.unescape(page.split('id="deployment"')[1])
    assert "postgresql+psycopg://zhicha:***@dbhost:5432/zhicha" in section
    assert "redis://:***@cache:6379/0" in section
    assert "https://t0.tianditu.gov.cn/img_w/wmts?tk=***&x=***" in section
    secret_row = section.split('id="c-SECRET_KEY"')[1].split("</tr>")[0]
    assert "已设置(已隐藏)" in secret_row and "ZHICHA_SECRET_KEY" in secret_row
    database_row = section.split('id="c-DATABASE_URL"')[1].split("</tr>")[0]
    assert "ZHICHA_DATABASE_URL" in database_row and "<code>DATABASE_URL</code>" in database_row
    assert "ZHICHA_INSTANCE_DIR" in section and "仅环境变量" in section
    assert "make run HOST=0.0.0.0 PORT=8080 WORKERS=4" in section
    for name in ("ACCESS_TOKEN_MINUTES", "STORAGE_DIR", "MAP_DATUM", "JOBS_WORKERS"):
        assert f'id="c-{name}"' in section
    assert "<form" not in section and "<input" not in section


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("sqlite:////srv/zhicha/instance/zhicha.sqlite3", "sqlite:////srv/zhicha/instance/zhicha.sqlite3"),
        ("postgresql+psycopg://u:p@h/db?password=x&sslmode=require", "postgresql+psycopg://u:***@h/db?password=***&sslmode=***"),
        ("https://token123@tiles.example/{z}/{x}/{y}.png", "https://***@tiles.example/{z}/{x}/{y}.png"),
        ("redis://[::1:6379/0", "已设置(已隐藏)"),
    ],
)  # fmt: skip
def test_urls_lose_passwords_and_query_values(url, shown):
    assert masked_url(url) == shown


def test_every_configuration_entry_has_a_row(app, client, auth, admin):
    from server.config import Config

    page, _ = open_page(client, auth, admin)
    names = [n for n in vars(Config) if n.isupper()]
    assert all(f'id="c-{n}"' in page for n in names)
    assert "其他" not in page.split('id="deployment"')[1]  # every entry has its Chinese label


# ---- the admin's start page: a hub ----


def test_the_hub_links_every_admin_page_and_counts(client, factory, auth, admin):
    unit = factory.unit("某局")  # the admin's own unit is the first
    factory.user(Role.responder, unit=unit)
    factory.user(Role.inspector, active=False)  # in a third unit
    factory.unit("已撤销的单位").active = False
    factory.site(unit=unit)
    factory.site(unit=unit)
    factory.site(unit=unit).active = False
    db.session.commit()
    console_login(client, auth, admin)
    page = client.get("/console/").get_data(as_text=True)
    links = {
        title: href
        for href, title in re.findall(
            r'<a class="hub-link" href="([^"]+)"><span class="hub-title">(.*?)</span>', page
        )
    }
    assert links == {
        "用户管理": "/console/users",
        "单位": "/console/units",
        "行政区划": "/console/regions",
        "点位": "/console/sites",
        "规则设置": "/console/settings",
        "工作日历": "/console/calendar",
    }
    counts = re.sub(r"<[^>]+>", "", page.split('id="admin-counts">')[1].split("</p>")[0])
    assert counts == "用户 2 人启用、1 人停用 · 单位 3 个 · 点位 2 个"
    for href in (links["规则设置"], links["工作日历"]):
        assert client.get(href).status_code == 200


def test_the_api_gives_origin_range_and_kind(client, factory, auth, admin, monkeypatch):
    monkeypatch.setenv("ZHICHA_RULE_CLOCK_SKEW_S", "900")
    headers = auth.headers(admin)
    client.put(f"/api/settings/{SHARE}", json={"value": 0.7}, headers=headers)
    rows = {r["key"]: r for r in client.get("/api/settings", headers=headers).get_json()}
    assert rows[KEY] | {"doc": ""} == {
        "key": KEY,
        "label": "反馈时限(工作日)",
        "doc": "",
        "source": "seed 001 (五)",
        "default": 5,
        "value": 5,
        "overridden": False,
        "origin": "default",
        "integer": True,
        "minimum": 1,
        "maximum": 365,
        "env": "ZHICHA_RULE_FEEDBACK_WORKING_DAYS",
    }
    assert (rows[SHARE]["origin"], rows[SHARE]["overridden"], rows[SHARE]["value"]) == (
        "database",
        True,
        0.7,
    )
    assert rows[SHARE]["integer"] is False and rows[SHARE]["maximum"] == 1
    assert (rows["clock_skew_s"]["origin"], rows["clock_skew_s"]["value"]) == ("environment", 900)
