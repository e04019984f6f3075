"""Item titles (issue 15): typed in the item form or, left empty, the problem's first
sentence cut short; validated; shown and searched wherever items are listed, exported and
notified."""

from __future__ import annotations

from server.extensions import db
from server.models import Notification, Rectification, default_title
from server.rectification.device_schemas import ItemDeviceSchema, VerificationDeviceSchema
from tests.api.test_console_ledger import page, read_csv
from tests.api.test_console_rectifications import fresh, item_form, login


def test_default_title_is_the_first_sentence_cut_to_twenty_characters():
    assert default_title("围挡缺失。材料占道堆放") == "围挡缺失"
    assert default_title("  第一句话;第二句\n第三句") == "第一句话"
    assert default_title("一" * 30) == "一" * 20
    assert default_title("") == ""


def test_a_title_left_empty_defaults_and_a_typed_one_is_kept(client, auth, rw):
    csrf = login(client, auth, rw.supervisor)
    form = item_form(rw, csrf, title="", problem="施工围挡缺失。材料占道堆放,影响通行")
    response = client.post("/console/rectifications/new", data=form)
    assert response.status_code == 303
    item = db.session.scalars(db.select(Rectification)).one()
    assert item.title == "施工围挡缺失"

    form = item_form(rw, csrf, title="  围挡整改  ", finding_ids=[str(rw.findings[2].id)])
    client.post("/console/rectifications/new", data=form)
    typed = db.session.scalars(db.select(Rectification).where(Rectification.id != item.id)).one()
    assert typed.title == "围挡整改"
    detail = page(client, f"/console/rectifications/{typed.id}")
    assert "· 围挡整改</h1>" in detail

    # Over the API: left out, the default; typed, kept.
    plain = rw.create(finding_ids=[], problem="河道垃圾未清理!请尽快处理")
    assert plain["title"] == "河道垃圾未清理"
    named = rw.create(finding_ids=[], title="河道保洁")
    assert named["title"] == "河道保洁"


def test_the_title_is_edited_even_after_issue_and_validated(client, auth, rw):
    item = rw.issued(finding_ids=[])
    csrf = login(client, auth, rw.supervisor)
    url = f"/console/rectifications/{item['id']}/edit"
    form = client.get(url).get_data(as_text=True)
    assert 'id="title" name="title" maxlength="60"' in form and "留空则取问题的第一句" in form
    version = str(fresh(Rectification, item["id"]).version)

    too_long = {"csrf_token": csrf, "version": version, "title": "长" * 61}
    response = client.post(url, data=too_long)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "长度" in html.split('id="title"')[1][:400]
    assert fresh(Rectification, item["id"]).title == "施工现场未按要求设置围挡"

    response = client.post(url, data={"csrf_token": csrf, "version": version, "title": "围挡"})
    assert response.status_code == 303
    assert fresh(Rectification, item["id"]).title == "围挡"
    # Emptied: back to the default.
    version = str(fresh(Rectification, item["id"]).version)
    client.post(url, data={"csrf_token": csrf, "version": version, "title": ""})
    assert fresh(Rectification, item["id"]).title == "施工现场未按要求设置围挡"

    api = rw.post(rw.supervisor, "/api/rectifications", {"title": "x" * 61}, expect=422)
    assert "title" in api["error"]["details"]["fields"]


def test_titles_in_the_ledger_its_search_and_the_exports(client, auth, rw):
    a = rw.issued(finding_ids=[], title="菜市场排水沟堵塞", problem="排水不畅,污水外溢")
    b = rw.issued(finding_ids=[], problem="学校门口无减速带")
    login(client, auth, rw.supervisor)
    html = page(client, "/console/ledger")
    assert "<th>标题</th>" in html and ">菜市场排水沟堵塞<" in html

    # The title alone matches the search (it is not in the problem).
    found = page(client, "/console/ledger?q=菜市场")
    assert a["code"] in found and b["code"] not in found

    rows = read_csv(client.get("/console/ledger/export.csv"))
    by_code = {r[0]: r for r in rows[1:]}
    assert rows[0][2] == "标题"
    assert by_code[a["code"]][2] == "菜市场排水沟堵塞"
    assert by_code[b["code"]][2] == "学校门口无减速带"

    rows = read_csv(client.get("/console/three-lists/problems.csv"))
    assert rows[0][:3] == ["编号", "标题", "问题"]
    assert [a["code"], "菜市场排水沟堵塞", "排水不畅,污水外溢"] in [r[:3] for r in rows]
    assert ">菜市场排水沟堵塞<" in page(client, "/console/three-lists")


def test_titles_reach_the_unit_notifications_and_devices(client, auth, rw):
    item = rw.issued(finding_ids=[], title="菜市场排水沟堵塞")
    notes = db.session.scalars(
        db.select(Notification).where(Notification.recipient_id == rw.responder_a.id)
    ).all()
    assert any("菜市场排水沟堵塞" in n.title for n in notes)

    login(client, auth, rw.responder_a)
    listing = page(client, "/console/unit/items?tab=issued")
    assert '<span class="item-title">菜市场排水沟堵塞</span>' in listing
    assert "菜市场排水沟堵塞</h1>" in page(client, f"/console/unit/items/{item['id']}")

    assert rw.get(rw.supervisor, f"/api/rectifications/{item['id']}")["title"] == "菜市场排水沟堵塞"
    row = fresh(Rectification, item["id"])
    assert ItemDeviceSchema().dump(row)["title"] == "菜市场排水沟堵塞"
    task = VerificationDeviceSchema().dump(rw.verification(row))  # a 回头看 task on a device
    assert task["title"] == "菜市场排水沟堵塞" and task["code"] == item["code"]


def test_items_made_outside_the_operations_get_the_default_too(rw):
    item = rw.make(problem="垃圾堆放。影响市容")
    assert rw.reload(item).title == "垃圾堆放"
