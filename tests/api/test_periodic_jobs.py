"""The periodic jobs: when they run (Beijing time, from settings) and what they do."""

from __future__ import annotations

from datetime import date, datetime

from server.jobs import daily_at, huey
from server.models import Notification
from server.rectification.jobs import send_reminders_job
from server.system.jobs import analyze_db_job
from tests.api.test_rect_reminders import red, sent


def test_daily_jobs_run_once_a_day_at_their_hour_in_beijing_time(app):
    app.config["REMINDERS_HOUR"] = 8
    when = daily_at("REMINDERS_HOUR")
    # Huey asks with naive UTC times, once a minute: 00:00 UTC is 08:00 in Beijing.
    minutes = [datetime(2026, 3, 2, h, m) for h in range(24) for m in range(60)]
    assert [t for t in minutes if when(t)] == [datetime(2026, 3, 2, 0, 0)]
    app.config["REMINDERS_HOUR"] = 17  # a deployment's own hour
    assert [t for t in minutes if when(t)] == [datetime(2026, 3, 2, 9, 0)]


def test_the_worker_schedules_each_periodic_job_at_its_time(app):
    def due(*when):
        return sorted(task.name.rsplit(".", 1)[-1] for task in huey.read_periodic(datetime(*when)))

    every_minute = ["sweep_exports", "sweep_stranded_exposure_copies", "sweep_stranded_photos"]
    # 08:00: the reminders, then the negative list
    assert due(2026, 3, 2, 0, 0) == sorted(
        ["apply_points_job", "send_reminders_job", *every_minute]
    )
    assert due(2026, 3, 2, 19, 0) == sorted(["analyze_db_job", *every_minute])  # 03:00
    assert due(2026, 3, 2, 5, 37) == every_minute


def test_the_reminders_job_sends_as_the_cli_does_and_only_once(rw, app):
    item = red(rw, date.today())
    first = send_reminders_job.call_local()
    assert sum(first.values()) >= 1
    assert {n.kind for n in sent(item=item)} and all(
        isinstance(n, Notification) for n in sent(item=item)
    )
    again = send_reminders_job.call_local()
    assert sum(again.values()) == 0  # idempotent within the day


def test_the_analyze_job_runs(app):
    analyze_db_job.call_local()  # SQLite: ANALYZE; PostgreSQL: nothing to do
    if app.config["BACKEND"] == "sqlite":
        from sqlalchemy import text

        from server.extensions import db

        assert db.session.execute(text("SELECT count(*) FROM sqlite_stat1")).scalar() > 0
