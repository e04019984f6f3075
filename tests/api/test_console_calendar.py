"""The console's working-day calendar page: supervisors and admins see which years have a
confirmed schedule; an admin imports a year typed as lines (a day or a range, then a name),
loaded through the API's schema, refused in Chinese next to the field with nothing stored."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from server.extensions import db
from server.models import AuditEvent, CalendarDay, CalendarYear, Role
from server.workdays.calendar import add_working_days, package_years
from server.workdays.pages import parse_days
from tests.api.test_console import console_login

YEAR = 2027  # 1 Jan 2027 is a Friday, 10 Mar a Wednesday, 20 Feb a Saturday
TODAY = date(2026, 12, 1)  # the page lists the years from last year on
URL = "/console/calendar"
HOLIDAYS = "2027-01-01..2027-01-03 元旦\n\n\u30002027-03-10\u3000测试放假\n"
WORKDAYS = "2027-02-20 春节调休上班\n"


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setattr("server.workdays.pages.local_today", lambda: TODAY)


def login(client, auth, user) -> str:
    """Log into the console; the CSRF token from the calendar page."""
    console_login(client, auth, user)
    page = client.get(URL).get_data(as_text=True)
    return page.split('name="csrf_token" value="')[1].split('"')[0]


def form(csrf, **overrides) -> dict:
    body = {
        "csrf_token": csrf,
        "year": str(YEAR),
        "note": "国务院办公厅关于2027年部分节假日安排的通知(测试)",
        "holidays": HOLIDAYS,
        "workdays": WORKDAYS,
    }
    body.update(overrides)
    return body


def year_row(html: str, year: int) -> str:
    return html.split(f'<tr id="year-{year}">')[1].split("</tr>")[0]


def stored_days() -> dict[date, tuple[bool, str]]:
    db.session.expire_all()
    rows = db.session.execute(
        select(CalendarDay.day, CalendarDay.working, CalendarDay.name).where(
            CalendarDay.year == YEAR
        )
    )
    return {day: (working, name) for day, working, name in rows}


def test_lines_become_named_days(app):
    days, lines, errors = parse_days(
        "2027-10-01..2027-10-03 国庆节\n\n  2027-1-4\n\u30002027-05-01\u3000劳动节\u3000\n"
        "2027-06-14端午节\n2027-09-15 .. 2027-09-16\n"
    )
    assert errors == []
    assert days == [
        {"date": "2027-10-01", "name": "国庆节"},
        {"date": "2027-10-02", "name": "国庆节"},
        {"date": "2027-10-03", "name": "国庆节"},
        {"date": "2027-01-04", "name": ""},
        {"date": "2027-05-01", "name": "劳动节"},
        {"date": "2027-06-14", "name": "端午节"},
        {"date": "2027-09-15", "name": ""},
        {"date": "2027-09-16", "name": ""},
    ]
    assert lines == [1, 1, 1, 3, 4, 5, 6, 6]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2027-02-30 春节", "第 1 行的日期不存在"),
        ("元旦 2027-01-01", "第 1 行无法识别"),
        ("2027-01-01...2027-01-03", "第 1 行无法识别"),
        ("2027-02-12..2027-02-06 春节", "第 1 行的结束日期早于开始日期"),
        ("2027-01-01..2027-02-01", "第 1 行的日期范围超过 31 天"),
        ("2027-02-06..2027-02-08\n2027-02-08 春节", "第 2 行的日期已列出:2027-02-08(第 1 行)"),
    ],
)
def test_bad_lines_are_named(app, text, message):
    _, _, errors = parse_days(text)
    assert len(errors) == 1 and errors[0].startswith(message), errors
    # 31 days in one range, both ends included, is still one line.
    assert parse_days("2027-01-01..2027-01-31")[2] == []


def test_a_supervisor_sees_the_years_but_may_not_import(client, factory, auth):
    supervisor = factory.user(Role.supervisor)
    csrf = login(client, auth, supervisor)
    start = client.get("/console/").get_data(as_text=True)
    assert f'href="{URL}"' in start

    page = client.get(URL)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "工作日历" in html and 'name="holidays"' not in html and "导入年度节假日安排" not in html
    assert "内置(chinese-calendar)" in year_row(html, TODAY.year)
    if YEAR not in package_years():
        assert "未导入(仅按周末计算,期限标注“待确认”)" in year_row(html, YEAR)

    response = client.post(URL, data=form(csrf))
    assert response.status_code == 403
    assert db.session.scalar(select(func.count()).select_from(CalendarYear)) == 0


def test_only_admins_and_supervisors_see_the_page(client, factory, auth):
    for role in (Role.responder, Role.leader, Role.inspector):
        console_login(client, auth, factory.user(role))
        assert client.get(URL).status_code == 403, role


def test_an_admin_imports_a_year_and_its_counts_are_confirmed(client, factory, auth):
    admin = factory.user(Role.admin)
    csrf = login(client, auth, admin)
    assert f'href="{URL}"' in client.get("/console/").get_data(as_text=True)
    packaged = YEAR in package_years()
    assert add_working_days(date(2027, 3, 9), 1) == (date(2027, 3, 10), packaged)

    response = client.post(URL, data=form(csrf))
    assert response.status_code == 303, response.get_data(as_text=True)
    assert response.headers["Location"].endswith(URL)

    assert stored_days() == {
        date(2027, 1, 1): (False, "元旦"),
        date(2027, 1, 2): (False, "元旦"),
        date(2027, 1, 3): (False, "元旦"),
        date(2027, 3, 10): (False, "测试放假"),
        date(2027, 2, 20): (True, "春节调休上班"),
    }
    # Across the range, the named day and the worked Saturday; every count confirmed.
    assert add_working_days(date(2026, 12, 31), 1) == (date(2027, 1, 4), True)
    assert add_working_days(date(2027, 3, 9), 1) == (date(2027, 3, 11), True)
    assert add_working_days(date(2027, 2, 19), 1) == (date(2027, 2, 20), True)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "calendar.imported"))
    assert event.entity_id == str(YEAR) and event.actor_id == admin.id

    html = client.get(URL).get_data(as_text=True)
    assert "2027 年日历已导入:放假 4 天,调休上班 1 天" in html
    row = year_row(html, YEAR)
    assert "已导入" in row and "<td>4</td>" in row and "<td>1</td>" in row
    assert "部分节假日安排的通知(测试)" in row and admin.display_name in row
    # The notice is shown once.
    assert "年日历已导入" not in client.get(URL).get_data(as_text=True)


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"holidays": "2027-01-01 元旦\n2027-02-30 春节"}, "holidays", "第 2 行的日期不存在"),
        (
            {"workdays": "2027-02-20 春节调休上班\n2027-01-05 周二"},
            "workdays",
            "调休上班日应为周六或周日:2027-01-05",
        ),
        ({"holidays": "2026-12-31 元旦"}, "holidays", "日期不在 2027 年内:2026-12-31"),
        ({"holidays": "2027-10-01 " + "长" * 61}, "holidays", "第 1 行的名称:长度不能超过 60"),
        ({"year": ""}, "year", "必填"),
    ],
)
def test_refusals_are_shown_next_to_the_field_and_store_nothing(
    client, factory, auth, change, field, message
):
    csrf = login(client, auth, factory.user(Role.admin))
    body = form(csrf, **change)
    response = client.post(URL, data=body)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "表单有误" in html
    # Each field's errors follow its input, before the next field's label.
    sections = {
        "year": html.split('id="c-year"')[1].split('for="c-note"')[0],
        "holidays": html.split('id="c-holidays"')[1].split('for="c-workdays"')[0],
        "workdays": html.split('id="c-workdays"')[1].split('id="c-format"')[0],
    }
    assert f'<p class="field-error" role="alert">{message}' in sections[field]
    others = [s for name, s in sections.items() if name != field]
    assert all("field-error" not in s for s in others)
    # What was typed is kept.
    for name in ("holidays", "workdays"):
        assert f">{body[name]}</textarea>" in html
    assert f'value="{body["year"]}"' in html
    assert db.session.scalar(select(func.count()).select_from(CalendarYear)) == 0
    assert stored_days() == {}


def test_a_reimport_replaces_the_earlier_one(client, factory, auth):
    csrf = login(client, auth, factory.user(Role.admin))
    assert client.post(URL, data=form(csrf)).status_code == 303
    assert add_working_days(date(2027, 3, 9), 1) == (date(2027, 3, 11), True)

    again = form(csrf, holidays="2027-01-01 元旦\n2027-05-04 补充放假", workdays="", note="")
    assert client.post(URL, data=again).status_code == 303
    assert stored_days() == {
        date(2027, 1, 1): (False, "元旦"),
        date(2027, 5, 4): (False, "补充放假"),
    }
    assert add_working_days(date(2027, 3, 9), 1) == (date(2027, 3, 10), True)
    assert add_working_days(date(2027, 2, 19), 1) == (date(2027, 2, 22), True)
    assert add_working_days(date(2027, 5, 3), 1) == (date(2027, 5, 5), True)
    html = client.get(URL).get_data(as_text=True)
    assert "放假 2 天,调休上班 0 天" in html
    row = year_row(html, YEAR)
    assert "<td>2</td>" in row and "<td>0</td>" in row and "测试" not in row
