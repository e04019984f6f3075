"""Deadlines in working days (DOMAIN.md, "Issue"): counted from the day of issue with the
calendar, checked against the chinese-calendar package's own answer; a count reaching
into a year with no schedule is unconfirmed until the year is imported, which recounts
it; an approved extension moves the deadline."""

from __future__ import annotations

from datetime import date, timedelta

import chinese_calendar
import pytest
from sqlalchemy import select

from server.extensions import db
from server.models import AuditEvent, Role
from server.rectification.colour import ColourRules, compute_red_from
from server.timeutil import local_today
from server.workdays.calendar import MAX_DAYS, add_working_days, package_years

LAST_KNOWN = max(package_years())
NEXT = LAST_KNOWN + 1


def reference(start: date, days: int) -> date:
    """The package's answer (see tests/api/test_calendar.py)."""
    return chinese_calendar.find_workday(days - 1, start + timedelta(days=1))


def working_days_left_in(year: int, start: date) -> int:
    n, day = 0, start
    while day < date(year, 12, 31):
        day += timedelta(days=1)
        n += chinese_calendar.is_workday(day)
    return n


def next_year_schedule():
    saturday = date(NEXT, 1, 4)
    while saturday.weekday() != 5:
        saturday += timedelta(days=1)
    return {
        "year": NEXT,
        "note": "国务院办公厅关于节假日安排的通知(测试)",
        "holidays": [{"date": date(NEXT, 1, d).isoformat(), "name": "元旦"} for d in (1, 2, 3)],
        "workdays": [{"date": saturday.isoformat(), "name": "元旦调休"}],
    }


def test_issued_deadline_is_n_working_days_from_today(rw):
    today = local_today()
    checked = 0
    for n in (1, 3, 5, 15, 22):
        expected, confirmed = add_working_days(today, n)
        if expected.year > LAST_KNOWN:
            continue  # beyond the package's years: the next test
        checked += 1
        assert expected == reference(today, n), n
        draft = rw.create(deadline_working_days=n, deadline=None)
        assert draft["deadline"] == expected.isoformat()  # a preview until issued
        item = rw.post(rw.supervisor, f"/api/rectifications/{draft['id']}/issue")
        assert item["deadline"] == expected.isoformat(), n
        assert item["deadline_confirmed"] is True and confirmed is True
        assert item["deadline_working_days"] == n
        # The unit reads the same deadline.
        unit_view = rw.get(rw.responder_a, f"/api/rectifications/{item['id']}")
        assert unit_view["deadline"] == expected.isoformat()
        # Counting never lands on a day off.
        assert chinese_calendar.is_workday(expected)
    assert checked >= 1


def test_a_deadline_in_a_year_without_schedule_is_unconfirmed_until_imported(rw):
    today = local_today()
    if today.year > LAST_KNOWN:
        pytest.skip(f"chinese-calendar knows no year from {today.year} on: update the package")
    n = working_days_left_in(LAST_KNOWN, today) + 3  # three into the first unknown year
    if n > MAX_DAYS:
        pytest.skip(f"the package's years reach past one count ({MAX_DAYS} working days)")
    admin = rw.user(Role.admin)
    item = rw.issued(deadline_working_days=n, deadline=None)
    url = f"/api/rectifications/{item['id']}"
    # Weekends only beyond the known year: Jan 1 (a weekday here) counts.
    weekdays_only = date(NEXT, 1, 1)
    left = 3
    while True:
        if weekdays_only.weekday() < 5:
            left -= 1
            if left == 0:
                break
        weekdays_only += timedelta(days=1)
    assert item["deadline"] == weekdays_only.isoformat()
    assert item["deadline_confirmed"] is False
    lists = rw.get(rw.supervisor, "/api/rectifications/three-lists")
    assert [m["deadline_confirmed"] for m in lists["measures"]] == [False]
    # A date-given deadline in the same year is not a count: left alone.
    fixed = rw.issued(deadline=(weekdays_only + timedelta(days=7)).isoformat())
    response = rw.call("PUT", admin, "/api/calendar/years", 200, json=next_year_schedule())
    assert response.get_json()["source"] == "imported"
    after = rw.get(rw.supervisor, url)
    expected, confirmed = add_working_days(today, n)
    assert confirmed is True
    assert after["deadline"] == expected.isoformat() and after["deadline_confirmed"] is True
    assert expected > weekdays_only  # 1 Jan is a holiday now: the deadline moved
    assert after["version"] > item["version"]
    unchanged = rw.get(rw.supervisor, f"/api/rectifications/{fixed['id']}")
    assert unchanged["deadline"] == fixed["deadline"] and unchanged["version"] == fixed["version"]
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "rectification.deadline_recounted")
    ).all()
    assert [e.entity_id for e in events] == [item["id"]]
    assert events[0].details["deadline"] == [weekdays_only.isoformat(), expected.isoformat()]
    assert events[0].details["confirmed"] is True
    # The colour's stored date follows the new deadline.
    stored = rw.reload(item["id"])
    assert stored.red_from == compute_red_from(stored, ColourRules.current())
    # Importing again changes nothing more.
    rw.call("PUT", admin, "/api/calendar/years", 200, json=next_year_schedule())
    assert rw.get(rw.supervisor, url)["version"] == after["version"]


def test_an_approved_extension_moves_the_deadline(rw):
    item = rw.in_progress(deadline_working_days=5, deadline=None)
    url = f"/api/rectifications/{item['id']}"
    wanted = (date.fromisoformat(item["deadline"]) + timedelta(days=20)).isoformat()
    ext = rw.post(
        rw.responder_a,
        f"{url}/extensions",
        {"requested_deadline": wanted, "reason": "材料未到货,申请延期"},
        expect=201,
    )
    assert ext["previous_deadline"] == item["deadline"] and ext["status"] == "pending"
    # One pending request at a time.
    again = rw.call(
        "POST",
        rw.responder_a,
        f"{url}/extensions",
        json={"requested_deadline": wanted, "reason": "再次申请延期"},
    )
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "extension_pending"
    decided = rw.post(rw.supervisor, f"{url}/extensions/{ext['id']}/decision", {"approve": True})
    assert decided["status"] == "approved"
    after = rw.get(rw.responder_a, url)
    assert after["deadline"] == wanted and after["deadline_confirmed"] is True
    assert after["deadline_working_days"] is None  # a date now: no recount moves it
    assert after["version"] > item["version"]
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "rectification.extension_decided")
    )
    assert event.details["deadline"] == [item["deadline"], wanted]


def test_a_requested_date_not_after_the_deadline_or_today_is_refused(rw):
    item = rw.in_progress()
    url = f"/api/rectifications/{item['id']}"
    deadline = date.fromisoformat(item["deadline"])
    late = rw.make(status="in_progress", deadline=local_today() - timedelta(days=5))
    late_url = f"/api/rectifications/{late.id}"
    refused = [(url, deadline + timedelta(days=shift)) for shift in (0, -1, -30)]
    refused += [(late_url, local_today()), (late_url, local_today() - timedelta(days=1))]
    for where, day in refused:
        response = rw.call(
            "POST",
            rw.responder_a,
            f"{where}/extensions",
            json={"requested_deadline": day.isoformat(), "reason": "申请延期的理由"},
        )
        assert response.status_code == 422, day
        assert "requested_deadline" in response.get_json()["error"]["details"]["fields"]
    assert rw.get(rw.responder_a, url)["extension_requests"] == []
    # The first acceptable days: the day after the deadline, or tomorrow when overdue.
    for where, day in [
        (url, deadline + timedelta(days=1)),
        (late_url, local_today() + timedelta(days=1)),
    ]:
        rw.post(
            rw.responder_a,
            f"{where}/extensions",
            {"requested_deadline": day.isoformat(), "reason": "申请延期的理由"},
            expect=201,
        )


def test_an_extension_to_a_day_already_past_cannot_be_approved(rw):
    today = local_today()
    item = rw.make("in_progress", deadline=today - timedelta(days=40))
    stale = rw.extension(item)  # asked for deadline + 30 days: ten days ago
    url = f"/api/rectifications/{item.id}/extensions/{stale.id}/decision"
    rw.post(rw.supervisor, url, {"approve": True}, expect=409)
    assert rw.reload(item).deadline == today - timedelta(days=40)
    refused = rw.post(rw.supervisor, url, {"approve": False, "reason": "日期已过,请重新申请"})
    assert refused["status"] == "refused"
