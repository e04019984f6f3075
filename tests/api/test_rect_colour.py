"""The ledger colours (seed 000, 二(四)) on both sides of every threshold, through the
stored red_from: Python (colour_of, red_reasons) and SQL (?colour=, /colours) agree for
today; a colour setting changed by an admin recomputes the stored dates; and a seeded
random property checks red_from against red_reasons, the reference, day by day."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from fractions import Fraction

import pytest
from sqlalchemy import select

from server.extensions import db
from server.models import Rectification, RectificationStatus, Role
from server.rectification.colour import (
    ALWAYS,
    ColourRules,
    colour_clause,
    colour_of,
    compute_red_from,
    red_reasons,
)
from server.timeutil import CHINA, local_today
from tests.api.sync_helpers import Device, of

S = RectificationStatus
COLOURS = ("red", "yellow", "green")


def days(n: int):
    return local_today() + timedelta(days=n)


@dataclass
class Case:
    label: str
    item: Rectification
    colour: str | None
    reasons: tuple = ()


def check(rw, cases: list[Case]) -> None:
    """Each item's colour and reasons today, and the SQL filters and counts agree."""
    today = local_today()
    rules = ColourRules.current()
    problems = []
    for case in cases:
        item = rw.reload(case.item)
        got = (colour_of(item, today), tuple(red_reasons(item, today, rules)))
        if got != (case.colour, case.reasons):
            problems.append(f"{case.label}: {got} != {(case.colour, case.reasons)}")
        if item.red_from != compute_red_from(item, rules):
            problems.append(f"{case.label}: stored red_from {item.red_from} is stale")
    assert not problems, problems
    mine = {str(c.item.id): c.colour for c in cases}
    counts = rw.get(rw.supervisor, "/api/rectifications/colours")
    for colour in COLOURS:
        page = rw.get(
            rw.supervisor,
            "/api/rectifications",
            query_string={"colour": colour, "per_page": 200, "include_drafts": "true"},
        )
        listed = {i["id"] for i in page["items"]}
        wanted = {i for i, c in mine.items() if c == colour}
        assert listed & set(mine) == wanted, (colour, listed, wanted)
        assert all(i["colour"] == colour for i in page["items"])
        assert counts[colour] == page["total"], (colour, counts)
    # Each item's own colour in the ledger listing.
    every = rw.get(
        rw.supervisor,
        "/api/rectifications",
        query_string={"per_page": 200, "include_drafts": "true"},
    )["items"]
    assert {i["id"]: i["colour"] for i in every if i["id"] in mine} == mine


def quiet(rw, status=S.in_progress, **facts):
    """An item no rule makes red: recent report, finished work, far deadline."""
    defaults = {
        "issued_on": days(-20),
        "deadline": days(60),
        "last_progress_on": local_today(),
        "progress_percent": 100,
    }
    return rw.make(status, **{**defaults, **facts})


def put_setting(rw, admin, key, value):
    response = rw.call("PUT", admin, f"/api/settings/{key}", 200, json={"value": value})
    return response.get_json()


@pytest.fixture
def admin(rw):
    return rw.user(Role.admin)


def test_overdue_from_the_day_after_the_deadline(rw):
    check(
        rw,
        [
            Case("quiet, acknowledged", quiet(rw, S.acknowledged), "yellow"),
            Case("quiet, in progress", quiet(rw), "yellow"),
            Case("due today", quiet(rw, deadline=days(0)), "yellow"),
            Case("due yesterday", quiet(rw, deadline=days(-1)), "red", ("overdue",)),
            Case("due tomorrow", quiet(rw, deadline=days(1)), "yellow"),
            Case(
                "issued, due yesterday", quiet(rw, S.issued, deadline=days(-1)), "red", ("overdue",)
            ),
        ],
    )


def test_returned_count_and_its_setting(rw, admin):
    below = quiet(rw, return_count=1)
    at = quiet(rw, return_count=2)
    waiting = quiet(rw, S.closure_requested, return_count=2)
    check(
        rw,
        [
            Case("returned once", below, "yellow"),
            Case("returned twice", at, "red", ("returned",)),
            Case("returned twice, waiting", waiting, "red", ("returned",)),
        ],
    )
    assert rw.reload(at).red_from == ALWAYS
    put_setting(rw, admin, "red_return_count", 3)
    # Stored dates recomputed: the open item is red again only when its cadence runs out.
    assert rw.reload(at).red_from == days(31) and rw.reload(waiting).red_from is None
    check(
        rw,
        [
            Case("returned once (3)", below, "yellow"),
            Case("returned twice (3)", at, "yellow"),
            Case("returned twice, waiting (3)", waiting, "yellow"),
        ],
    )
    put_setting(rw, admin, "red_return_count", 1)
    check(
        rw,
        [
            Case("returned once (1)", below, "red", ("returned",)),
            Case("returned twice (1)", at, "red", ("returned",)),
            Case("returned twice, waiting (1)", waiting, "red", ("returned",)),
        ],
    )
    put_setting(rw, admin, "red_return_count", None)  # back to the default, 2
    check(
        rw,
        [Case("default again", below, "yellow"), Case("default again", at, "red", ("returned",))],
    )


def test_progress_cadence_from_the_last_report_or_the_issue(rw, admin):
    far = {"deadline": days(300)}
    exactly = quiet(rw, last_progress_on=days(-30), **far)
    late = quiet(rw, last_progress_on=days(-31), **far)
    never_reported = quiet(rw, S.acknowledged, issued_on=days(-30), last_progress_at=None, **far)
    never_late = quiet(rw, S.acknowledged, issued_on=days(-31), last_progress_at=None, **far)
    own_exactly = quiet(rw, last_progress_on=days(-10), report_every_days=10, **far)
    own_late = quiet(rw, last_progress_on=days(-11), report_every_days=10, **far)
    own_long = quiet(rw, last_progress_on=days(-40), report_every_days=45, **far)
    check(
        rw,
        [
            Case("30 days", exactly, "yellow"),
            Case("31 days", late, "red", ("no_progress",)),
            Case("issued 30 days ago", never_reported, "yellow"),
            Case("issued 31 days ago", never_late, "red", ("no_progress",)),
            Case("own cadence 10, 10 days", own_exactly, "yellow"),
            Case("own cadence 10, 11 days", own_late, "red", ("no_progress",)),
            Case("own cadence 45, 40 days", own_long, "yellow"),
        ],
    )
    put_setting(rw, admin, "progress_cadence_days", 20)
    check(
        rw,
        [
            Case("30 days (20)", exactly, "red", ("no_progress",)),
            Case("31 days (20)", late, "red", ("no_progress",)),
            Case("issued 30 days ago (20)", never_reported, "red", ("no_progress",)),
            # The item's own cadence wins over the setting, both ways.
            Case("own cadence 10 (20)", own_exactly, "yellow"),
            Case("own cadence 10, 11 days (20)", own_late, "red", ("no_progress",)),
            Case("own cadence 45 (20)", own_long, "yellow"),
        ],
    )
    # A cadence set on the item by the office recomputes its stored date at once.
    item = quiet(rw, last_progress_on=days(-12), **far)
    check(rw, [Case("12 days, cadence 20", item, "yellow")])
    url = f"/api/rectifications/{item.id}"
    version = rw.get(rw.supervisor, url)["version"]
    rw.call("PATCH", rw.supervisor, url, 200, json={"version": version, "report_every_days": 10})
    check(rw, [Case("12 days, cadence 10", item, "red", ("no_progress",))])


def test_a_colour_rule_change_reaches_the_devices(rw, admin, client, auth):
    item = quiet(rw, return_count=2)
    device = Device(client, auth, rw.responder_a)
    assert of(device.pull(), "rectification")[str(item.id)]["data"]["red_from"] == "1970-01-01"
    put_setting(rw, admin, "red_return_count", 3)
    assert rw.reload(item).red_from == days(31)
    changes = of(device.pull(), "rectification")
    assert changes[str(item.id)]["data"]["red_from"] == days(31).isoformat()


def test_behind_the_time_proportional_schedule(rw, admin):
    # Half the time gone (50 of 100 days): red once 50% - progress > margin (0.3).
    half = {"issued_on": days(-50), "deadline": days(50)}
    at_margin = quiet(rw, progress_percent=20, **half)
    above = quiet(rw, progress_percent=19, **half)
    ahead = quiet(rw, progress_percent=30, **half)
    near = quiet(rw, progress_percent=29, **half)
    check(
        rw,
        [
            Case("50% - 20% = margin", at_margin, "yellow"),
            Case("50% - 19% > margin", above, "red", ("behind_schedule",)),
            Case("50% - 30%", ahead, "yellow"),
            Case("50% - 29%", near, "yellow"),
        ],
    )
    # Tomorrow 51% of the time is gone: the item exactly at the margin turns red then.
    assert rw.reload(at_margin).red_from == days(1)
    put_setting(rw, admin, "behind_schedule_margin", 0.2)
    check(
        rw,
        [
            Case("margin 0.2: 50% - 20%", at_margin, "red", ("behind_schedule",)),
            Case("margin 0.2: 50% - 19%", above, "red", ("behind_schedule",)),
            Case("margin 0.2: 50% - 30% = margin", ahead, "yellow"),
            Case("margin 0.2: 50% - 29% > margin", near, "red", ("behind_schedule",)),
        ],
    )


def test_closed_is_green_draft_has_no_colour_closure_request_only_counts_returns(rw):
    bad = {
        "issued_on": days(-100),
        "deadline": days(-10),
        "last_progress_on": days(-90),
        "progress_percent": 0,
    }
    check(
        rw,
        [
            Case(
                "open with every fault",
                rw.make(S.in_progress, **bad),
                "red",
                (
                    "overdue",
                    "no_progress",
                    "behind_schedule",
                ),
            ),
            Case("closed", rw.make(S.closed, **bad), "green"),
            Case("draft", rw.make(S.draft, deadline=days(-10)), None),
            Case("waiting for verification", rw.make(S.closure_requested, **bad), "yellow"),
            Case(
                "waiting, returned twice",
                rw.make(S.closure_requested, return_count=2, **bad),
                "red",
                ("returned",),
            ),
            Case("closed, returned twice", rw.make(S.closed, return_count=2, **bad), "green"),
        ],
    )


def test_colour_follows_the_workflow(rw):
    """A progress report clears 'behind'; applying for closure takes an overdue item out
    of red; a return brings it back; closing makes it green."""
    behind = quiet(rw, progress_percent=10, issued_on=days(-50), deadline=days(50))
    check(rw, [Case("10% at half time", behind, "red", ("behind_schedule",))])
    rw.post(
        rw.responder_a,
        f"/api/rectifications/{behind.id}/progress",
        {"body": "已完成大半", "percent": 60},
        expect=201,
    )
    check(rw, [Case("60% at half time", behind, "yellow")])
    item = quiet(rw, deadline=days(-1))
    url = f"/api/rectifications/{item.id}"
    check(rw, [Case("overdue", item, "red", ("overdue",))])
    rw.post(rw.responder_a, f"{url}/closure-request", {"body": "已完成"})
    check(rw, [Case("overdue, waiting", item, "yellow")])
    rw.post(rw.supervisor, f"{url}/return", {"reason": "资料不全"})
    check(rw, [Case("overdue, returned", item, "red", ("overdue",))])
    rw.post(rw.responder_a, f"{url}/closure-request", {"body": "资料已补充"})
    rw.post(rw.supervisor, f"{url}/verifications", {"method": "desk", "passed": True})
    check(rw, [Case("closed", item, "green")])


# ---- the stored date against the reference, at random ----

STATUSES = [S.issued, S.acknowledged, S.in_progress, S.closure_requested] * 3 + [S.closed, S.draft]


def random_item(rng: random.Random, today) -> Rectification:
    def moment(day):
        # Any time of the China day, so UTC and local dates differ for some.
        return datetime.combine(day, time(rng.randrange(24), rng.randrange(60)), tzinfo=CHINA)

    issued_on = today - timedelta(days=rng.randrange(0, 200))
    status = rng.choice(STATUSES)
    item = Rectification(
        status=status,
        issued_at=None if status == S.draft else moment(issued_on),
        deadline=issued_on + timedelta(days=rng.randrange(-5, 220)),
        progress_percent=rng.randrange(0, 101),
        return_count=rng.choice([0, 0, 0, 1, 1, 2, 3]),
        report_every_days=rng.choice([None, None, rng.randrange(1, 61)]),
        last_progress_at=rng.choice(
            [None, moment(issued_on + timedelta(days=rng.randrange(0, 200)))]
        ),
    )
    return item


def random_rules(rng: random.Random) -> ColourRules:
    return ColourRules(
        cadence_days=rng.randrange(1, 61),
        red_return_count=rng.randrange(1, 4),
        margin=Fraction(rng.randrange(0, 101), 100),
    )


def test_red_from_is_the_first_red_day_of_the_reference():
    """Pure: no database needed (the rules are given, not read from the settings)."""
    rng = random.Random(20260101)
    today = local_today()
    checked, problems = 0, []
    for n in range(300):
        item, rules = random_item(rng, today), random_rules(rng)
        red_from = compute_red_from(item, rules)
        day_offsets = {0, 1, -1, 7, 30, 90, 365, -400, rng.randrange(-60, 300)}
        if red_from is not None and red_from != ALWAYS:
            day_offsets |= {(red_from - today).days - 1, (red_from - today).days}
        for offset in sorted(day_offsets):
            day = today + timedelta(days=offset)
            stored = red_from is not None and red_from <= day
            reference = bool(red_reasons(item, day, rules))
            checked += 1
            if stored != reference:
                problems.append((n, day, red_from, red_reasons(item, day, rules)))
    assert checked > 2500 and not problems, problems[:5]


def test_sql_colour_agrees_with_python_on_any_day(rw):
    rng = random.Random(7)
    today = local_today()
    rules = ColourRules.current()
    for n in range(300):
        item = random_item(rng, today)
        item.code, item.problem = f"ZG-R-{n:05d}", "随机事项"
        item.office_unit_id, item.unit_id = rw.office.id, rw.unit_a.id
        db.session.add(item)
        item.red_from = compute_red_from(item, rules)
    db.session.commit()
    items = list(db.session.scalars(select(Rectification)))
    assert len(items) == 300
    for offset in (-30, -1, 0, 1, 5, 31, 120, 400):
        day = today + timedelta(days=offset)
        for colour in COLOURS:
            in_sql = set(
                db.session.scalars(select(Rectification.id).where(colour_clause(colour, day)))
            )
            in_python = {i.id for i in items if colour_of(i, day) == colour}
            assert in_sql == in_python, (day, colour)
            assert in_python or colour == "green", (day, colour)  # the sample covers it
    # Today through the API as well.
    counts = rw.get(rw.supervisor, "/api/rectifications/colours")
    assert counts == {c: sum(colour_of(i, today) == c for i in items) for c in COLOURS}
