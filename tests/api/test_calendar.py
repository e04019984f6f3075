"""Working days: checked against the chinese-calendar package's own answers across
holidays, 调休 weekends and year boundaries; a year with no schedule counts weekends only
and is unconfirmed until an admin imports it."""

from __future__ import annotations

import json
from datetime import date, timedelta

import chinese_calendar
import pytest
from sqlalchemy import select

from server.extensions import db
from server.models import AuditEvent, Role
from server.workdays import add_working_days
from server.workdays.calendar import package_years

LAST_KNOWN = max(package_years())  # 2026 with chinesecalendar 1.11
NEXT = LAST_KNOWN + 1


def weekday_in_january(weekday: int) -> str:
    day = date(NEXT, 1, 5)
    while day.weekday() != weekday:
        day += timedelta(days=1)
    return day.isoformat()


def reference(start: date, days: int) -> date:
    """The package's answer: find_workday(k, d) is the (k+1)-th working day on or after d,
    so day n after `start` is find_workday(n - 1, start + 1 day)."""
    if days == 0:
        return start
    return chinese_calendar.find_workday(days - 1, start + timedelta(days=1))


def test_every_start_of_two_years_against_the_package(app):
    start, mismatches, checked = date(LAST_KNOWN - 1, 1, 1), [], 0
    while start < date(LAST_KNOWN, 11, 30):
        for days in (1, 2, 3, 5, 15):
            expected = reference(start, days)
            if expected.year > LAST_KNOWN:
                continue
            got, confirmed = add_working_days(start, days)
            checked += 1
            if (got, confirmed) != (expected, True):
                mismatches.append((start, days, got, expected, confirmed))
        start += timedelta(days=1)
    assert checked > 3000 and mismatches == []


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (date(2026, 2, 13), 1, date(2026, 2, 14)),  # Saturday 14 Feb is a 调休 working day
        (date(2026, 2, 14), 1, date(2026, 2, 24)),  # Spring Festival 15–23 Feb
        (date(2025, 9, 30), 1, date(2025, 10, 9)),  # National Day 1–8 Oct
        (date(2025, 12, 31), 1, date(2026, 1, 4)),  # New Year 1–3 Jan, Sunday 4 Jan works
        (date(2026, 2, 14), 0, date(2026, 2, 14)),  # 0 days: the start date itself
    ],
)
def test_known_dates(app, start, days, expected):
    assert add_working_days(start, days) == (expected, True)
    assert reference(start, days) == expected


def test_a_year_without_a_schedule_counts_weekends_only_unconfirmed(app):
    last_day = date(LAST_KNOWN, 12, 31)
    inside, confirmed = add_working_days(last_day - timedelta(days=10), 3)
    assert confirmed is True and inside.year == LAST_KNOWN
    result, confirmed = add_working_days(last_day, 1)
    first_weekday = date(LAST_KNOWN + 1, 1, 1)
    while first_weekday.weekday() >= 5:
        first_weekday += timedelta(days=1)
    assert (result, confirmed) == (first_weekday, False)
    # Counting 0 days needs no calendar.
    assert add_working_days(date(LAST_KNOWN + 1, 3, 1), 0) == (date(LAST_KNOWN + 1, 3, 1), True)


def next_year_schedule(**overrides):
    year = LAST_KNOWN + 1
    saturday = date(year, 1, 4)  # a 调休 Saturday after the New Year holidays
    while saturday.weekday() != 5:
        saturday += timedelta(days=1)
    body = {
        "year": year,
        "note": "国务院办公厅关于节假日安排的通知(测试)",
        "holidays": [{"date": date(year, 1, d).isoformat(), "name": "元旦"} for d in (1, 2, 3)],
        "workdays": [{"date": saturday.isoformat(), "name": "元旦调休"}],
    }
    body.update(overrides)
    return body


def test_importing_next_year_confirms_and_corrects_counts(client, factory, auth):
    importer = factory.user(Role.admin)
    admin = auth.headers(importer)
    before = client.get(
        "/api/calendar/add-working-days",
        query_string={"start": f"{LAST_KNOWN}-12-31", "days": 1},
        headers=admin,
    ).get_json()
    assert before["confirmed"] is False
    response = client.put("/api/calendar/years", json=next_year_schedule(), headers=admin)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["source"] == "imported"
    assert response.get_json()["holidays"] == 3 and response.get_json()["workdays"] == 1
    assert response.get_json()["imported_by"] == importer.display_name
    assert response.get_json()["imported_at"]
    after = client.get(
        "/api/calendar/add-working-days",
        query_string={"start": f"{LAST_KNOWN}-12-31", "days": 1},
        headers=admin,
    ).get_json()
    assert after["confirmed"] is True
    expected = date(LAST_KNOWN + 1, 1, 4)
    while (
        expected.weekday() >= 5
        and expected.isoformat() != next_year_schedule()["workdays"][0]["date"]
    ):
        expected += timedelta(days=1)
    assert after["date"] == expected.isoformat()
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "calendar.imported"))
    assert event.entity_id == str(LAST_KNOWN + 1) and event.details["holidays"] == 3


def test_an_import_replaces_the_package_for_its_year(client, factory, auth):
    admin = auth.headers(factory.user(Role.admin))
    # An (invented) extra holiday on Friday 13 Feb 2026: the import wins.
    body = {"year": 2026, "holidays": [{"date": "2026-02-13", "name": "补充放假"}]}
    assert client.put("/api/calendar/years", json=body, headers=admin).status_code == 200
    assert add_working_days(date(2026, 2, 12), 1) == (date(2026, 2, 16), True)
    # Re-importing replaces the earlier import rather than adding to it.
    body = {"year": 2026, "holidays": [], "workdays": []}
    assert client.put("/api/calendar/years", json=body, headers=admin).status_code == 200
    assert add_working_days(date(2026, 2, 12), 1) == (date(2026, 2, 13), True)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"holidays": [{"date": "2020-01-01", "name": "元旦"}]}, "holidays"),
        ({"workdays": [{"date": weekday_in_january(1), "name": "周二"}]}, "workdays"),
        (
            {
                "holidays": [{"date": weekday_in_january(5), "name": "x"}],
                "workdays": [{"date": weekday_in_january(5), "name": "x"}],
            },
            "workdays",
        ),
        ({"year": 1999}, "year"),
        (
            {
                "holidays": [
                    {"date": weekday_in_january(5), "name": "x"},
                    {"date": weekday_in_january(5), "name": "y"},
                ]
            },
            "holidays",
        ),
    ],
)
def test_bad_schedules_are_refused_and_change_nothing(client, factory, auth, change, field):
    admin = auth.headers(factory.user(Role.admin))
    response = client.put(
        "/api/calendar/years",
        json=next_year_schedule(**change),
        headers=admin,
    )
    assert response.status_code == 422
    assert field in response.get_json()["error"]["details"]["fields"]
    listing = client.get("/api/calendar/years", headers=admin).get_json()
    assert {y["year"]: y["source"] for y in listing}.get(NEXT) == "none"


def test_only_admins_import(client, factory, auth):
    for role in (Role.supervisor, Role.inspector, Role.responder):
        response = client.put(
            "/api/calendar/years",
            json=next_year_schedule(),
            headers=auth.headers(factory.user(role)),
        )
        assert response.status_code == 403


@pytest.mark.parametrize(
    "query",
    [
        {"start": "2026-02-30", "days": 1},
        {"start": "2026-02-01", "days": -1},
        {"start": "2026-02-01", "days": 1001},
        {"days": 3},
    ],
)
def test_bad_counts_are_refused(client, factory, auth, query):
    headers = auth.headers(factory.user(Role.responder))
    response = client.get("/api/calendar/add-working-days", query_string=query, headers=headers)
    assert response.status_code == 422


def test_counting_needs_a_login(client):
    response = client.get("/api/calendar/add-working-days?start=2026-02-13&days=1")
    assert response.status_code == 401


def test_cli_imports_a_schedule_file(app, tmp_path):
    path = tmp_path / f"{NEXT}.json"
    path.write_text(json.dumps(next_year_schedule(), ensure_ascii=False), encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["import-holidays", str(path)])
    assert result.exit_code == 0, result.output
    assert "放假 3 天" in result.output
    assert add_working_days(date(LAST_KNOWN + 1, 1, 1), 0)[1] is True
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(next_year_schedule(workdays=[{"date": weekday_in_january(1)}])))
    result = app.test_cli_runner().invoke(args=["import-holidays", str(bad)])
    assert result.exit_code != 0 and "调休上班日应为周六或周日" in result.output
