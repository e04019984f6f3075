"""Console pages for the ledger (工作台账), the three lists, summons (约谈) and
notifications: scoped and coloured by server/rectification, drawn in Chinese."""

from __future__ import annotations

import csv
import io
import re
import uuid
from datetime import date, timedelta

from sqlalchemy import func, select

from server.extensions import db
from server.models import Notification, Rectification, Role, SettingOverride, Summons
from server.rectification import ledger_pages as console_ledger
from server.rectification.colour import refresh_red_from
from tests.api.test_console_plans import login

BOM = b"\xef\xbb\xbf"


def page(client, url, status=200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.get_data(as_text=True)


def row_of(html: str, code: str) -> str:
    """The table row (or list entry) that shows this item code."""
    rows = [r for r in re.split(r"<tr[ >]", html) if f">{code}<" in r]
    assert len(rows) == 1, (code, len(rows))
    return rows[0].split("</tr>")[0]


def codes_in(html: str, items) -> list[str]:
    """The given items' codes, in the order the page shows them."""
    found = [(html.find(f">{i['code']}<"), i["code"]) for i in items]
    return [code for at, code in sorted(found) if at >= 0]


def item(item_id) -> Rectification:
    db.session.expire_all()
    return db.session.get(Rectification, uuid.UUID(str(item_id)))


def make_red(item_id) -> None:
    """Overdue: the deadline passed yesterday."""
    row = item(item_id)
    row.deadline = date.today() - timedelta(days=1)
    refresh_red_from(row)
    db.session.commit()


def counts(html: str) -> dict:
    return {c: int(n) for c, n in re.findall(r'<strong class="count-(\w+)">(\d+)</strong>', html)}


def read_csv(response) -> list[list[str]]:
    body = response.get_data()
    assert body.startswith(BOM)
    return list(csv.reader(io.StringIO(body[len(BOM) :].decode("utf-8"))))


# ---- the ledger ----


def test_ledger_shows_the_offices_issued_items_with_colour_badges(client, auth, rw):
    red = rw.issued(finding_ids=[], unit_id=str(rw.unit_b.id), problem="林区防火通道堵塞")
    yellow = rw.in_progress()
    draft = rw.create(finding_ids=[], problem="尚未交办的问题")
    make_red(red["id"])
    row = item(yellow["id"])
    row.deadline_confirmed = False
    db.session.commit()

    login(client, auth, rw.supervisor)
    html = page(client, "/console/ledger")
    assert "整改台账" in html and draft["code"] not in html
    red_row, yellow_row = row_of(html, red["code"]), row_of(html, yellow["code"])
    assert 'class="colour colour-red"' in red_row and "红色" in red_row and "已超期" in red_row
    assert 'class="colour colour-yellow"' in yellow_row and "黄色" in yellow_row
    assert "colour-red" not in yellow_row
    assert f'href="/console/rectifications/{red["id"]}"' in red_row
    assert rw.unit_b.name in red_row and rw.leader.display_name in red_row
    assert "已交办" in red_row and "待确认" not in red_row
    assert "整改中" in yellow_row and "30%" in yellow_row and "待确认" in yellow_row
    assert counts(html) == {"red": 1, "yellow": 1, "green": 0}
    # The follow-up cadence comes from the settings (7 and 30 days by default).
    assert "每周调度" in html and "每月调度" in html


def test_ledger_filters_by_colour_and_by_unit(client, auth, rw):
    a = rw.issued()
    b = rw.issued(finding_ids=[], unit_id=str(rw.unit_b.id), problem="林区防火通道堵塞")
    make_red(a["id"])
    login(client, auth, rw.supervisor)

    html = page(client, "/console/ledger?colour=red")
    assert codes_in(html, [a, b]) == [a["code"]]
    assert counts(html) == {"red": 1, "yellow": 1, "green": 0}  # counts ignore the colour
    html = page(client, "/console/ledger?colour=yellow")
    assert codes_in(html, [a, b]) == [b["code"]]
    html = page(client, f"/console/ledger?unit_id={rw.unit_b.id}")
    assert codes_in(html, [a, b]) == [b["code"]]
    assert counts(html) == {"red": 0, "yellow": 1, "green": 0}
    html = page(client, "/console/ledger?colour=purple", 422)
    assert "须为以下之一" in html and a["code"] not in html


def test_ledger_pages_keep_the_filters(client, auth, rw):
    items = [rw.issued(finding_ids=[], problem=f"围挡缺失{i}") for i in range(3)]
    login(client, auth, rw.supervisor)
    html = page(client, f"/console/ledger?per_page=2&unit_id={rw.unit_a.id}")
    assert "第 1 / 2 页" in html and len(codes_in(html, items)) == 2
    next_link = re.search(r'href="([^"]+)">下一页</a>', html).group(1).replace("&amp;", "&")
    assert "page=2" in next_link and f"unit_id={rw.unit_a.id}" in next_link
    assert len(codes_in(page(client, next_link), items)) == 1


def test_follow_up_cadence_legend_uses_the_settings(client, auth, rw):
    db.session.add(SettingOverride(key="red_follow_days", value=10, updated_by_id=rw.supervisor.id))
    db.session.commit()
    login(client, auth, rw.supervisor)
    html = page(client, "/console/ledger")
    assert "每 10 天调度" in html and "每周调度" not in html and "每月调度" in html


def test_listed_items_come_first(client, auth, rw):
    soon = date.today() + timedelta(days=20)
    late = date.today() + timedelta(days=200)
    plain = rw.issued(deadline=soon.isoformat())
    listed = rw.issued(finding_ids=[], listed=True, deadline=late.isoformat())
    login(client, auth, rw.supervisor)
    html = page(client, "/console/ledger")
    assert codes_in(html, [plain, listed]) == [listed["code"], plain["code"]]
    assert "挂牌督办" in row_of(html, listed["code"])
    assert 'class="listed"' in html.split(f">{listed['code']}<")[0].rsplit("<tr", 1)[1]
    assert "listed-badge" not in row_of(html, plain["code"])
    html = page(client, "/console/ledger?listed=true")
    assert codes_in(html, [plain, listed]) == [listed["code"]]
    html = page(client, "/console/ledger?listed=false")
    assert codes_in(html, [plain, listed]) == [plain["code"]]
    html = page(client, f"/console/ledger?q={plain['code']}")
    assert codes_in(html, [plain, listed]) == [plain["code"]]


def test_another_office_and_a_responder_do_not_see_the_items(client, auth, rw, factory):
    issued = rw.issued()
    login(client, auth, factory.user(Role.admin))
    assert issued["code"] in page(client, "/console/ledger")
    login(client, auth, rw.other_supervisor)
    html = page(client, "/console/ledger")
    assert issued["code"] not in html and "暂无符合条件的整改事项" in html
    assert counts(html) == {"red": 0, "yellow": 0, "green": 0}
    csv_rows = read_csv(client.get("/console/ledger/export.csv"))
    assert len(csv_rows) == 1  # the header alone
    login(client, auth, rw.responder_a)
    page(client, "/console/ledger", 403)


def test_leader_sees_only_the_items_they_lead(client, auth, rw):
    mine = rw.issued()
    other = rw.issued(finding_ids=[], lead_official_id=None, problem="别人牵头的问题")
    login(client, auth, rw.leader)
    start = page(client, "/console/")
    assert f"/console/ledger?lead_official_id={rw.leader.id}" in start
    assert "colour=red" in start and "/console/bulletins" in start  # the ranking
    html = page(client, f"/console/ledger?lead_official_id={rw.leader.id}")
    assert codes_in(html, [mine, other]) == [mine["code"]]
    html = page(client, "/console/ledger")
    assert codes_in(html, [mine, other]) == [mine["code"]]
    assert "督查计划" not in html  # the plan filter is the office's
    page(client, f"/console/ledger?plan_id={rw.plan.id}", 403)
    page(client, f"/console/three-lists?plan_id={rw.plan.id}", 403)


def test_leader_reads_the_items_they_lead_as_the_unit_does(client, auth, rw):
    from tests.api.test_console_portal import JPEG_A

    mine = rw.in_progress()
    other = rw.issued(finding_ids=[], lead_official_id=None, problem="别人牵头的问题")
    url = f"/api/rectifications/{mine['id']}"
    report = rw.get(rw.supervisor, url)["progress_reports"][0]
    with open(JPEG_A, "rb") as f:
        rw.call(
            "POST",
            rw.responder_a,
            f"{url}/progress/{report['id']}/photos",
            data={"photo": (f, "a.jpg")},
            content_type="multipart/form-data",
            expect=201,
        )
    photo_id = rw.get(rw.supervisor, url)["progress_reports"][0]["photos"][0]["id"]
    rw.call(
        "POST",
        rw.supervisor,
        f"{url}/verifications",
        json={"method": "field", "inspector_id": str(rw.inspector.id)},
        expect=200,
    )

    login(client, auth, rw.leader)
    ledger = page(client, "/console/ledger")
    assert f'href="/console/unit/items/{mine["id"]}"' in ledger
    html = page(client, f"/console/unit/items/{mine['id']}")
    assert mine["problem"] in html and "已开始整改" in html and "此页只读" in html
    for form in ("acknowledge", "progress", "extension", "closure"):  # none of the unit's
        assert f'/{form}"' not in html
    assert f'action="/console/unit/items/{mine["id"]}/instructions"' in html  # his 批示
    assert "复查" not in html and "回头看" not in html  # unannounced: never shown to the unit side
    assert client.get(f"/console/unit/photos/{photo_id}/thumbnail").status_code == 200
    page(client, f"/console/unit/items/{other['id']}", 404)
    page(client, "/console/unit/items", 403)  # the unit's list is the unit's

    login(client, auth, rw.responder_b)
    assert client.get(f"/console/unit/photos/{photo_id}/thumbnail").status_code == 404


def test_csv_export_has_a_bom_and_every_filtered_row(client, auth, rw, monkeypatch):
    monkeypatch.setattr(console_ledger, "EXPORT_CHUNK", 1)  # every chunk, not the first
    a = rw.issued(problem='=HYPERLINK("http://x")施工围挡缺失')
    b = rw.issued(finding_ids=[], unit_id=str(rw.unit_b.id), problem="林区防火通道堵塞")
    make_red(a["id"])
    login(client, auth, rw.supervisor)
    html = page(client, "/console/ledger?colour=red")
    assert 'href="/console/ledger/export.csv?colour=red"' in html

    response = client.get("/console/ledger/export.csv?per_page=1")  # every page, not one
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = read_csv(response)
    assert rows[0][:5] == ["编号", "挂牌督办", "标题", "问题", "责任单位"]
    by_code = {r[0]: r for r in rows[1:]}
    assert set(by_code) == {a["code"], b["code"]}
    assert by_code[a["code"]][2] == "'=HYPERLINK(\"http://x"  # the default title, 20 chars
    assert by_code[a["code"]][3].startswith("'=HYPERLINK")  # never run as a formula
    assert by_code[a["code"]][9] == "红色" and by_code[a["code"]][10] == "已超期"
    assert by_code[b["code"]][2] == "林区防火通道堵塞"
    assert by_code[b["code"]][4] == rw.unit_b.name and by_code[b["code"]][9] == "黄色"

    rows = read_csv(client.get("/console/ledger/export.csv?colour=red"))
    assert [r[0] for r in rows[1:]] == [a["code"]]
    monkeypatch.setattr(console_ledger, "EXPORT_MAX", 1)  # the cap holds, within a chunk too
    monkeypatch.setattr(console_ledger, "EXPORT_CHUNK", 2)
    assert len(read_csv(client.get("/console/ledger/export.csv"))) == 2
    assert client.get("/console/ledger/export.csv?colour=blue").status_code == 422


# ---- the three lists ----


def test_three_lists_show_their_columns_per_scope(client, auth, rw):
    from_plan = rw.issued(supporting_unit_ids=[str(rw.unit_b.id)], listed=True)
    other = rw.issued(
        finding_ids=[], unit_id=str(rw.unit_b.id), problem="林区防火通道堵塞", measures="清理通道"
    )
    login(client, auth, rw.supervisor)

    html = page(client, "/console/three-lists")
    assert "全部事项" in html
    for heading in ("问题清单", "措施清单", "责任清单", "整改措施", "整改要求", "完成时限"):
        assert heading in html
    for heading in ("牵头领导", "配合单位", "责任人", "责任单位"):
        assert f'<th scope="col">{heading}</th>' in html
    assert html.count(f">{from_plan['code']}<") == 3 and html.count(f">{other['code']}<") == 3

    html = page(client, f"/console/three-lists?plan_id={rw.plan.id}")
    assert rw.plan.title in html
    assert html.count(f">{from_plan['code']}<") == 3 and other["code"] not in html
    assert "三日内完成围挡设置" in html and "按标准化要求整改到位" in html
    assert "王局长" in html and rw.leader.display_name in html and rw.unit_b.name in html
    assert '<span class="listed-badge">挂牌督办</span>' in html

    html = page(client, f"/console/three-lists?unit_id={rw.unit_b.id}")
    assert f"责任单位 {rw.unit_b.name}" in html
    assert other["code"] in html and "清理通道" in html and from_plan["code"] not in html

    response = client.get(f"/console/three-lists/measures.csv?unit_id={rw.unit_b.id}")
    rows = read_csv(response)
    assert rows == [
        ["编号", "整改措施", "整改要求", "完成时限"],
        [other["code"], "清理通道", "按标准化要求整改到位", other["deadline"]],
    ]
    rows = read_csv(client.get(f"/console/three-lists/responsibility.csv?plan_id={rw.plan.id}"))
    assert rows[0] == ["编号", "牵头领导", "责任单位", "配合单位", "责任人", "完成时限"]
    assert rows[1][:5] == [
        from_plan["code"],
        rw.leader.display_name,
        rw.unit_a.name,
        rw.unit_b.name,
        "王局长",
    ]


def test_three_lists_hide_a_plan_of_another_office(client, auth, rw):
    rw.issued()
    login(client, auth, rw.other_supervisor)
    html = page(client, f"/console/three-lists?plan_id={rw.plan.id}")
    assert rw.plan.title not in html and rw.plan.code not in html
    assert "该范围内暂无整改事项" in html


# ---- summons ----


def summons_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Summons))


def test_supervisor_records_a_summons(client, auth, rw):
    issued = rw.issued()
    csrf = login(client, auth, rw.supervisor)
    form = page(client, "/console/summons")
    assert "记录约谈" in form and issued["code"] in form and rw.unit_a.name in form
    body = {
        "csrf_token": csrf,
        "unit_id": str(rw.unit_a.id),
        "rectification_id": issued["id"],
        "held_on": date.today().isoformat(),
        "person": "张三(局长)",
        "reason": "围挡问题整改不力",
    }
    response = client.post("/console/summons/new", data=body)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/console/summons?recorded=1")
    assert summons_count() == 1
    html = page(client, response.headers["Location"])
    assert "已记录约谈" in html
    row = row_of(html, issued["code"])
    assert "张三(局长)" in row and "围挡问题整改不力" in row and rw.unit_a.name in row
    # The unit is told, and its responder reads the record; another office does not.
    notes = rw.get(rw.responder_a, "/api/notifications")["items"]
    assert any(n["kind"] == "summons" for n in notes)
    login(client, auth, rw.responder_a)
    html = page(client, "/console/summons")
    assert "围挡问题整改不力" in html and "记录约谈" not in html
    login(client, auth, rw.other_supervisor)
    assert "围挡问题整改不力" not in page(client, "/console/summons")


def test_summons_form_refusals_are_shown_in_chinese_and_record_nothing(client, auth, rw):
    issued = rw.issued()
    csrf = login(client, auth, rw.supervisor)
    body = {
        "csrf_token": csrf,
        "unit_id": str(rw.unit_a.id),
        "rectification_id": "",
        "held_on": date.today().isoformat(),
        "person": "李四(镇长)",
        "reason": "",
    }
    response = client.post("/console/summons/new", data=body)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    reason_part = html.split('name="reason"')[1]
    assert '<p class="field-error" role="alert">必填</p>' in reason_part.split("<label")[0]
    assert 'value="李四(镇长)"' in html  # what was typed is kept
    assert f'<option value="{rw.unit_a.id}" selected>' in html

    # The item must belong to the unit: the operation's own rule, next to its field.
    body.update(reason="约谈事由", unit_id=str(rw.unit_b.id), rectification_id=issued["id"])
    response = client.post("/console/summons/new", data=body)
    assert response.status_code == 422
    assert "整改事项不存在或不属于该单位" in response.get_data(as_text=True)
    assert client.post("/console/summons/new", data={**body, "csrf_token": ""}).status_code == 400
    assert summons_count() == 0
    body["csrf_token"] = login(client, auth, rw.responder_a)
    assert client.post("/console/summons/new", data=body).status_code == 403


# ---- notifications ----


def test_notifications_page_and_mark_all_read(client, auth, rw):
    issued = rw.issued()
    csrf = login(client, auth, rw.responder_a)
    html = page(client, "/console/notifications")
    entry = html.split(f"新交办整改事项 {issued['code']}")[0].rsplit("<li", 1)[1]
    assert 'class="note unread"' in entry and "未读" in entry
    assert '<strong class="unread-count">1</strong>' in html
    assert "全部标为已读" in html

    response = client.post("/console/notifications/read", data={"csrf_token": csrf})
    assert response.status_code == 303
    db.session.expire_all()
    notes = db.session.scalars(select(Notification)).all()
    mine = [n for n in notes if n.recipient_id == rw.responder_a.id]
    assert mine and all(n.read_at is not None for n in mine)
    # Only the reader's own: the lead official's notice stays unread.
    assert any(n.recipient_id == rw.leader.id and n.read_at is None for n in notes)
    html = page(client, "/console/notifications")
    assert "note unread" not in html and "没有未读通知" in html
    assert f"新交办整改事项 {issued['code']}" in html


def test_notifications_need_csrf_and_show_only_your_own(client, auth, rw):
    issued = rw.issued()
    login(client, auth, rw.responder_b)
    html = page(client, "/console/notifications")
    assert issued["code"] not in html and "暂无通知" in html
    login(client, auth, rw.responder_a)
    assert client.post("/console/notifications/read", data={}).status_code == 400
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).where(Notification.read_at.is_not(None))) == 0


def test_supervisor_start_page_links_to_triage_and_ledger(client, auth, rw):
    login(client, auth, rw.supervisor)
    html = page(client, "/console/")
    assert 'href="/console/triage"' in html and 'href="/console/ledger"' in html
    assert 'href="/console/three-lists"' in html and 'href="/console/summons"' in html
