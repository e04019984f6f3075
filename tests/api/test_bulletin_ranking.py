"""The ranking's score and 红黄黑榜 (docs/bulletins.md), with the weights as settings: a
changed setting changes the score and the order; negative-list points come in through
`points` and cost score points."""

from __future__ import annotations

import uuid
from datetime import date

from server.bulletins import figures
from server.extensions import db
from server.models import PointsEntry, SettingOverride, UnitKind, utcnow
from server.settings import forget_cached_overrides

A, B, C, D = (uuid.UUID(int=n) for n in range(1, 5))


def group(key, name, total, closed, on_time, overdue) -> dict:
    cell = lambda n: {"count": n}  # noqa: E731
    return {
        "key": key,
        "label": name,
        "total": cell(total),
        "closed": cell(closed),
        "on_time": cell(on_time),
        "overdue": cell(overdue),
    }


UNITS = [
    group(A, "甲局", 10, 10, 10, 0),  # all closed on time: 100
    group(B, "乙局", 10, 5, 5, 0),  # half closed, all on time: 0.6 + 0.4 * 0.5 = 80
    group(C, "丙镇", 10, 8, 4, 1),  # 0.6 * 0.5 + 0.4 * 0.8 = 62, less 5 for one overdue: 57
    group(D, "丁镇", 4, 0, 0, 2),  # nothing closed, two overdue: 0 - 10 = -10
]


def set_rule(key, value):
    db.session.merge(SettingOverride(key=key, value=value))
    db.session.flush()
    forget_cached_overrides()


def test_the_score_with_the_default_weights(app):
    rows = figures.ranking(UNITS, {C: 1}, {})
    by_unit = {r["unit"]: r for r in rows}
    assert by_unit["甲局"]["score"] == 100.0
    assert by_unit["乙局"]["score"] == 80.0
    assert by_unit["丙镇"]["score"] == 54.0  # 62 - 5 (overdue) - 3 (one return)
    assert by_unit["丁镇"]["score"] == -10.0
    assert [r["unit"] for r in rows] == ["甲局", "乙局", "丙镇", "丁镇"]
    assert [r["place"] for r in rows] == [1, 2, 3, 4]
    lists = figures.lists(rows)
    assert lists == {"red": [str(A)], "yellow": [str(B)], "black": [str(D), str(C)]}


def test_points_and_changed_weights_reorder(app):
    rows = figures.ranking(UNITS, {}, {A: 25.0})  # 甲局 lost 25 negative-list points
    assert [r["unit"] for r in rows][:2] == ["乙局", "甲局"]
    assert rows[1]["score"] == 75.0 and rows[1]["points"] == 25.0
    set_rule("ranking_points_weight", 0.5)
    set_rule("ranking_weight_on_time", 0.0)  # the closure rate alone
    set_rule("ranking_overdue_penalty", 0.0)
    rows = figures.ranking(UNITS, {}, {A: 25.0})
    by_unit = {r["unit"]: r["score"] for r in rows}
    assert by_unit == {"甲局": 87.5, "乙局": 50.0, "丙镇": 80.0, "丁镇": 0.0}
    assert [r["unit"] for r in rows] == ["甲局", "丙镇", "乙局", "丁镇"]
    set_rule("ranking_red_list_score", 80)
    set_rule("ranking_list_size", 1)
    lists = figures.lists(rows)
    assert lists["red"] == [str(A)]  # 丙镇 has an overdue item: never on the red list
    assert lists["black"] == [str(D)] and lists["yellow"] == [str(C), str(B)]


def test_points_come_from_the_negative_list(app, factory):
    office = factory.unit("县委督查室", kind=UnitKind.office)
    unit, other = factory.unit("甲局"), factory.unit("乙局")
    for who, day, points, cancelled in [
        (unit, date(2026, 1, 10), -3.0, False),
        (unit, date(2026, 1, 31), -2.0, False),
        (unit, date(2026, 2, 1), -5.0, False),  # the next month
        (unit, date(2026, 1, 15), -4.0, True),  # an upheld objection cancelled it
        (other, date(2026, 1, 2), -1.0, False),
    ]:
        db.session.add(
            PointsEntry(
                office_unit_id=office.id, unit_id=who.id, year=day.year, occurred_on=day,
                points=points, rule="manual", reason="测试",
                cancelled_at=utcnow() if cancelled else None,
            )
        )  # fmt: skip
    db.session.commit()
    assert figures.points_for(office.id, *figures.month_span(2026, 1)) == {
        unit.id: 5.0,
        other.id: 1.0,
    }
    assert figures.points_for(A, *figures.month_span(2026, 1)) == {}  # another office
