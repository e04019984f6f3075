"""Reminders and escalation (server.rectification.reminders.run_reminders): due soon in
working days, overdue, red weekly and yellow monthly follow-ups, escalation of red items
to the lead official; idempotent per day; the CLI; the recipients' inboxes; summons."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from sqlalchemy import func, select

from server.extensions import db
from server.models import Notification, RectificationStatus, SettingOverride
from server.rectification.reminders import run_reminders
from server.workdays.calendar import add_working_days

S = RectificationStatus
MONDAY = date(2026, 3, 2)  # an ordinary week
BEFORE_NATIONAL_DAY = date(2026, 9, 29)  # 1–7 Oct 2026 are off; 10 Oct is worked


def yellow(rw, day, status=S.in_progress, **facts):
    """Open, on schedule, recently reported: yellow on `day`."""
    defaults = {
        "issued_on": day - timedelta(days=10),
        "deadline": day + timedelta(days=60),
        "last_progress_on": day,
        "progress_percent": 100,
    }
    return rw.make(status, **{**defaults, **facts})


def red(rw, day, **facts):
    """Red whatever the day: returned twice."""
    return yellow(rw, day, return_count=2, **facts)


def sent(kind=None, item=None) -> list[Notification]:
    db.session.expire_all()
    query = select(Notification).order_by(Notification.created_at)
    if kind:
        query = query.where(Notification.kind == kind)
    if item is not None:
        query = query.where(Notification.rectification_id == item.id)
    return list(db.session.scalars(query))


def recipients(kind, item) -> set:
    return {n.recipient_id for n in sent(kind, item)}


def run(day):
    counts = run_reminders(day)
    db.session.commit()
    return counts


def set_rule(key, value):
    db.session.merge(SettingOverride(key=key, value=value))
    db.session.commit()


def test_due_soon_exactly_n_working_days_ahead(rw):
    items = {}
    for day in (MONDAY, BEFORE_NATIONAL_DAY):
        at_limit, _ = add_working_days(day, 3)
        one_more, _ = add_working_days(day, 4)
        items[day] = (
            yellow(rw, day, deadline=day),
            yellow(rw, day, deadline=at_limit),
            yellow(rw, day, deadline=one_more),
        )
    # Across the National Day holidays the count skips the week off.
    assert add_working_days(BEFORE_NATIONAL_DAY, 3)[0] == date(2026, 10, 9)
    for day, (due_today, at, beyond) in items.items():
        run(day)
        assert recipients("due_soon", due_today) == {rw.responder_a.id}, day
        assert recipients("due_soon", at) == {rw.responder_a.id}, day
        assert recipients("due_soon", beyond) == set(), day
    # A wider window, by the setting, takes in the next one.
    set_rule("due_soon_working_days", 4)
    for day, (_, _, beyond) in items.items():
        run(day)
        assert recipients("due_soon", beyond) == {rw.responder_a.id}, day


def test_overdue_goes_to_the_unit_and_the_office(rw):
    day = MONDAY
    overdue = yellow(rw, day, deadline=day - timedelta(days=1))
    due_today = yellow(rw, day, deadline=day)
    waiting = yellow(rw, day, S.closure_requested, deadline=day - timedelta(days=5))
    closed = yellow(rw, day, S.closed, deadline=day - timedelta(days=5))
    draft = rw.make(S.draft, deadline=day - timedelta(days=5))
    other_unit = yellow(rw, day, unit=rw.unit_b, deadline=day - timedelta(days=3))
    run(day)
    assert recipients("overdue", overdue) == {rw.responder_a.id, rw.supervisor.id}
    assert recipients("overdue", other_unit) == {rw.responder_b.id, rw.supervisor.id}
    assert [n.kind for n in sent(item=due_today)] == ["due_soon"]
    for quiet in (waiting, closed, draft):
        assert sent(item=quiet) == [], quiet.status
    # The next day: still overdue, but told once per deadline.
    run(day + timedelta(days=1))
    assert len(sent("overdue", overdue)) == 2


def test_red_weekly_follow_up_and_escalation_to_the_lead_official(rw):
    day = MONDAY
    week_old = red(rw, day, issued_on=day - timedelta(days=7))
    six_days = red(rw, day, issued_on=day - timedelta(days=6))
    no_lead = red(rw, day, issued_on=day - timedelta(days=7), lead=False)
    calm = yellow(rw, day, issued_on=day - timedelta(days=7))
    run(day)
    assert recipients("follow_red", week_old) == {rw.responder_a.id}
    assert recipients("follow_red", six_days) == set()  # the first week is not over
    assert recipients("follow_red", no_lead) == {rw.responder_a.id}
    assert recipients("escalation", week_old) == {rw.leader.id}
    assert recipients("escalation", six_days) == {rw.leader.id}
    assert recipients("escalation", no_lead) == set()
    assert sent(item=calm) == []  # yellow: no escalation, no weekly follow-up
    (note,) = sent("escalation", week_old)
    assert "多次退回" in note.title
    # Within the same week nothing new; a week later, again.
    for later in range(1, 7):
        run(day + timedelta(days=later))
    assert len(sent("follow_red", week_old)) == 1
    assert len(sent("escalation", week_old)) == 1
    run(day + timedelta(days=7))
    assert len(sent("follow_red", week_old)) == 2
    assert len(sent("escalation", week_old)) == 2


def test_yellow_monthly_follow_up(rw):
    day = MONDAY
    month_old = yellow(
        rw, day, issued_on=day - timedelta(days=30), deadline=day + timedelta(days=300)
    )
    not_yet = yellow(
        rw, day, issued_on=day - timedelta(days=29), deadline=day + timedelta(days=300)
    )
    run(day)
    assert recipients("follow_yellow", month_old) == {rw.responder_a.id}
    assert recipients("follow_yellow", not_yet) == set()
    assert sent("escalation") == []
    run(day + timedelta(days=1))
    assert recipients("follow_yellow", not_yet) == {rw.responder_a.id}
    assert len(sent("follow_yellow", month_old)) == 1

    # The periods are settings.
    follow_up_periods_from_the_settings(rw)


def follow_up_periods_from_the_settings(rw):
    day = MONDAY + timedelta(days=100)
    set_rule("red_follow_days", 3)
    set_rule("yellow_follow_days", 5)
    hot = red(rw, day, issued_on=day - timedelta(days=3))
    cool = yellow(rw, day, issued_on=day - timedelta(days=5))
    cooler = yellow(rw, day, issued_on=day - timedelta(days=4))
    run(day)
    assert recipients("follow_red", hot) == {rw.responder_a.id}
    assert recipients("follow_yellow", cool) == {rw.responder_a.id}
    assert recipients("follow_yellow", cooler) == set()


def test_running_twice_writes_nothing_new_and_the_cli(app, rw):
    day = MONDAY
    red(rw, day, issued_on=day - timedelta(days=14), deadline=day - timedelta(days=1))
    yellow(rw, day, deadline=add_working_days(day, 2)[0], issued_on=day - timedelta(days=40))
    first = run(day)
    assert sum(first.values()) >= 5, first
    rows = db.session.scalar(select(func.count()).select_from(Notification))
    second = run(day)
    assert sum(second.values()) == 0, second
    assert db.session.scalar(select(func.count()).select_from(Notification)) == rows

    cli_run(app, rw)


def cli_run(app, rw):
    day = MONDAY + timedelta(days=200)
    item = red(rw, day, issued_on=day - timedelta(days=7))
    known = {n.id for n in sent()}
    runner = app.test_cli_runner()
    result = runner.invoke(args=["send-reminders", "--date", day.isoformat()])
    assert result.exit_code == 0, result.output
    new = [n for n in sent() if n.id not in known]
    assert Counter(n.kind for n in sent(item=item)) == {"follow_red": 1, "escalation": 1}
    assert f"已写入提醒 {len(new)} 条" in result.output and len(new) >= 2
    again = runner.invoke(args=["send-reminders", "--date", day.isoformat()])
    assert again.exit_code == 0 and "已写入提醒 0 条" in again.output
    bad = runner.invoke(args=["send-reminders", "--date", "2026-02-30"])
    assert bad.exit_code != 0


def test_notifications_reach_their_recipient_only(rw):
    day = MONDAY
    mine = red(rw, day, issued_on=day - timedelta(days=7), deadline=day - timedelta(days=1))
    run(day)
    inbox_a = rw.get(rw.responder_a, "/api/notifications")
    assert {n["kind"] for n in inbox_a["items"]} == {"overdue", "follow_red"}
    assert all(n["rectification_id"] == str(mine.id) for n in inbox_a["items"])
    assert inbox_a["unread"] == 2
    assert rw.get(rw.responder_b, "/api/notifications") == {"items": [], "unread": 0}
    assert {n["kind"] for n in rw.get(rw.leader, "/api/notifications")["items"]} == {"escalation"}
    assert {n["kind"] for n in rw.get(rw.supervisor, "/api/notifications")["items"]} == {"overdue"}
    assert rw.get(rw.other_supervisor, "/api/notifications")["items"] == []
    # Marking read: one's own only.
    note = inbox_a["items"][0]["id"]
    rw.post(rw.responder_b, f"/api/notifications/{note}/read", expect=404)
    rw.post(rw.responder_a, f"/api/notifications/{note}/read")
    assert rw.get(rw.responder_a, "/api/notifications")["unread"] == 1
    # All at once: again one's own only.
    assert rw.post(rw.responder_b, "/api/notifications/read") == {"marked": 0}
    assert rw.get(rw.responder_a, "/api/notifications")["unread"] == 1
    assert rw.post(rw.responder_a, "/api/notifications/read") == {"marked": 1}
    assert rw.get(rw.responder_a, "/api/notifications")["unread"] == 0
    assert rw.get(rw.leader, "/api/notifications")["unread"] == 1

    workflow_events(rw)


def workflow_events(rw):
    item = rw.issued()
    assert {n.recipient_id for n in sent("issued")} == {rw.responder_a.id, rw.leader.id}
    rw.post(rw.responder_a, f"/api/rectifications/{item['id']}/acknowledge")
    rw.post(
        rw.responder_a,
        f"/api/rectifications/{item['id']}/progress",
        {"body": "已开工", "percent": 50},
        expect=201,
    )
    rw.post(rw.responder_a, f"/api/rectifications/{item['id']}/closure-request", {"body": "完成"})
    assert {n.recipient_id for n in sent("closure_requested")} == {rw.supervisor.id}
    rw.post(rw.supervisor, f"/api/rectifications/{item['id']}/return", {"reason": "资料不全"})
    (returned,) = sent("returned")
    assert returned.recipient_id == rw.responder_a.id and returned.body == "资料不全"
    assert rw.get(rw.responder_b, "/api/notifications")["items"] == []


def test_summons_are_seen_by_the_office_and_the_summoned_unit_only(rw):
    item_a = rw.make(S.in_progress)
    item_b = rw.make(S.in_progress, unit=rw.unit_b)
    url = "/api/rectifications/summons"
    body = {"held_on": "2026-03-02", "person": "住建局局长", "reason": "整改不力,约谈主要负责人"}
    made_a = rw.post(
        rw.supervisor,
        url,
        {**body, "unit_id": str(rw.unit_a.id), "rectification_id": str(item_a.id)},
        expect=201,
    )
    made_b = rw.post(rw.supervisor, url, {**body, "unit_id": str(rw.unit_b.id)}, expect=201)
    # An item of another unit cannot be named.
    mismatched = {**body, "unit_id": str(rw.unit_a.id), "rectification_id": str(item_b.id)}
    rw.post(rw.supervisor, url, mismatched, expect=422)
    # Nor a draft: the unit would be told the id of an item it cannot see.
    draft = rw.make(S.draft)
    unissued = {**body, "unit_id": str(rw.unit_a.id), "rectification_id": str(draft.id)}
    rw.post(rw.supervisor, url, unissued, expect=422)
    # Nor a supervising office, nor a unit no longer in use.
    rw.post(rw.supervisor, url, {**body, "unit_id": str(rw.office.id)}, expect=422)
    rw.unit_b.active = False
    db.session.commit()
    rw.post(rw.supervisor, url, {**body, "unit_id": str(rw.unit_b.id)}, expect=422)
    rw.unit_b.active = True
    db.session.commit()
    # Only the office records summons.
    for user in (rw.responder_a, rw.leader, rw.inspector):
        rw.post(user, url, {**body, "unit_id": str(rw.unit_a.id)}, expect=403)
    assert [s["id"] for s in rw.get(rw.responder_a, url)] == [made_a["id"]]
    assert [s["id"] for s in rw.get(rw.responder_b, url)] == [made_b["id"]]
    assert {s["id"] for s in rw.get(rw.supervisor, url)} == {made_a["id"], made_b["id"]}
    assert rw.get(rw.other_supervisor, url) == []
    for user in (rw.leader, rw.inspector):
        rw.get(user, url, expect=403)
    # The summoned unit is told; nobody else.
    assert {n.recipient_id for n in sent("summons")} == {rw.responder_a.id, rw.responder_b.id}
    kinds_a = [n["kind"] for n in rw.get(rw.responder_a, "/api/notifications")["items"]]
    assert kinds_a == ["summons"]
