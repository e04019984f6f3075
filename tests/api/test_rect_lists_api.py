"""The ledger's free-text filter and the three lists over the API."""

from __future__ import annotations

from datetime import date, timedelta

LEDGER = "/api/rectifications"


def codes(rw, **params) -> list[str]:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return [i["code"] for i in rw.get(rw.supervisor, f"{LEDGER}?{query}")["items"]]


def test_q_is_a_case_insensitive_substring_with_wildcards_taken_literally(rw):
    percent = rw.issued(problem="整改完成率仅50%的问题")
    underscore = rw.issued(problem="台账编号a_b缺失")
    plain = rw.issued(problem="台账编号axb缺失")
    assert percent["code"].startswith("ZG-")

    assert codes(rw, q="50%25") == [percent["code"]]  # "50%" (URL-encoded %)
    assert codes(rw, q="%25") == [percent["code"]]  # "%" matches only a real %
    assert codes(rw, q="a_b") == [underscore["code"]]  # "_" is not "any one character"
    assert set(codes(rw, q="axb")) == {plain["code"]}
    assert set(codes(rw, q=percent["code"].lower())) == {percent["code"]}  # zg-… finds ZG-…
    assert codes(rw, q="不存在的内容") == []


def test_the_three_lists_share_order_and_say_when_a_deadline_is_unconfirmed(rw):
    confirmed = rw.make(deadline=date(2026, 12, 31))
    unconfirmed = rw.make(deadline=date(2027, 3, 1), deadline_confirmed=False)  # 2027 unknown
    lists = rw.get(rw.supervisor, f"{LEDGER}/three-lists")
    order = sorted([confirmed.code, unconfirmed.code])
    for name in ("problems", "measures", "responsibility"):
        assert [r["code"] for r in lists[name]] == order, name
    by_code = {r["code"]: r for r in lists["responsibility"]}
    assert by_code[confirmed.code]["deadline_confirmed"] is True
    assert by_code[unconfirmed.code]["deadline_confirmed"] is False
    assert by_code[unconfirmed.code]["deadline"] == "2027-03-01"
    assert by_code[confirmed.code]["unit"] == rw.unit_a.name
    assert by_code[confirmed.code]["lead_official"] == rw.leader.display_name
    assert lists["total"] == 2 and lists["truncated"] is False
    # A responder's lists hold their unit's items only.
    other = rw.get(rw.responder_b, f"{LEDGER}/three-lists")
    assert other["problems"] == [] and other["total"] == 0


def test_a_text_search_pages_and_counts_like_any_other_filter(rw):
    today = date.today()
    listed = rw.make(problem="排水沟堵塞甲", listed=True, deadline=today + timedelta(days=90))
    early = rw.make(problem="排水沟堵塞乙", deadline=today + timedelta(days=10))
    late = rw.make(problem="排水沟堵塞丙", deadline=today + timedelta(days=40))
    closed = rw.make(status="closed", problem="排水沟堵塞丁")
    rw.make(problem="与此无关")
    order = [listed.code, early.code, late.code, closed.code]

    first = rw.get(rw.supervisor, f"{LEDGER}?q=排水沟&per_page=3")
    second = rw.get(rw.supervisor, f"{LEDGER}?q=排水沟&per_page=3&page=2")
    assert first["total"] == second["total"] == 4
    assert [i["code"] for i in first["items"] + second["items"]] == order
    counts = rw.get(rw.supervisor, f"{LEDGER}/colours?q=排水沟")
    assert counts == {"red": 0, "yellow": 3, "green": 1}
    assert rw.get(rw.supervisor, f"{LEDGER}?q=排水沟&colour=green")["total"] == 1


def test_the_ledger_pages_by_urgency_without_losing_or_repeating_an_item(rw):
    """Open red or 挂牌督办 items first, the other open items next, closed items last;
    within each, listed first, then by deadline. Read in pages of 2, which start inside
    and across the groups (each group is read on its own, in index order)."""
    today = date.today()
    overdue = rw.make(deadline=today - timedelta(days=5))  # red: past its deadline
    listed_late = rw.make(listed=True, deadline=today + timedelta(days=60))
    listed_soon = rw.make(listed=True, deadline=today + timedelta(days=20))
    soon = rw.make(deadline=today + timedelta(days=10))
    later = rw.make(deadline=today + timedelta(days=30))
    closed_listed = rw.make(status="closed", listed=True)
    closed = rw.make(status="closed")
    assert overdue.red_from is not None and overdue.red_from <= today
    expected = [
        listed_soon.code,
        listed_late.code,
        overdue.code,
        soon.code,
        later.code,
        closed_listed.code,
        closed.code,
    ]
    assert codes(rw, per_page=50) == expected
    pages = [codes(rw, per_page=2, page=n) for n in range(1, 6)]
    assert pages == [expected[0:2], expected[2:4], expected[4:6], expected[6:7], []]
    assert rw.get(rw.supervisor, f"{LEDGER}?per_page=2&page=3")["total"] == len(expected)
    # A colour or status filter reads only the groups it leaves room for, in the same order.
    assert codes(rw, colour="green", per_page=1, page=2) == [closed.code]
    assert codes(rw, status="closed") == expected[5:]
    assert codes(rw, colour="yellow") == [listed_soon.code, listed_late.code, *expected[3:5]]
    assert codes(rw, status="issued", per_page=2, page=2) == expected[2:4]
    # A text search orders its matches the same way.
    assert [c for c in codes(rw, q="测试整改问题", per_page=50)] == expected
