"""The unit's side of clues (server/clues/unit_pages.py): the forwarded clues, 待答复 first
by deadline with overdue marked, then 已答复; the answer form and its refusals; the count
on the start page; and the office-only 线索来源 section of a plan's page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from server.clues import operations as ops
from server.extensions import db
from server.models import Notification, PlanStatus, Role, UnitKind
from server.timeutil import local_today
from tests.api.test_console import console_login
from tests.api.test_console_portal import login, text

CONTACT = "13700001111"
REPORTER = "李女士"


@pytest.fixture
def world(factory):
    office = factory.unit("县委督查室", kind=UnitKind.office)
    unit = factory.unit("县住房和城乡建设局")
    other = factory.unit("县交通运输局")
    people = {
        "office": office,
        "unit": unit,
        "other": other,
        "supervisor": factory.user(Role.supervisor, office),
        "responder": factory.user(Role.responder, unit),
        "other_responder": factory.user(Role.responder, other),
        "inspector": factory.user(Role.inspector, office),
    }
    return people


def forwarded(factory, world, summary, unit=None, note="请核实", **fields):
    clue = factory.clue(
        world["office"], world["supervisor"], summary=summary,
        reporter_name=REPORTER, reporter_contact=CONTACT, **fields,
    )  # fmt: skip
    ops.forward_clue(
        clue, {"unit_id": (unit or world["unit"]).id, "note": note}, world["supervisor"]
    )
    db.session.flush()
    return clue


def card_order(page: str) -> list[str]:
    return re.findall(r'<span class="code">([^<]+)</span>', page)


def test_the_list_puts_waiting_clues_first_by_deadline_and_marks_overdue(
    client, auth, factory, world
):
    later = forwarded(factory, world, "小区路灯损坏多日无人维修")
    late = forwarded(factory, world, "垃圾清运不及时影响居民生活")
    late.answer_due = local_today() - timedelta(days=1)
    done = forwarded(factory, world, "施工噪音夜间扰民问题反映")
    ops.answer_clue(done, "已责令施工单位整改", world["responder"])
    elsewhere = forwarded(factory, world, "公交站台破损无人修理", unit=world["other"])
    kept = factory.clue(world["office"], world["supervisor"], summary="办公室自留的线索内容")
    db.session.commit()
    login(client, auth, world["responder"])
    page = text(client, "/console/unit/clues")
    waiting, answered = page.split('id="answered-h"')
    assert card_order(waiting) == [late.code, later.code]
    assert card_order(answered) == [done.code]
    assert waiting.count("已超期") == 1 and late.code in waiting.split("已超期")[0]
    assert elsewhere.code not in page and kept.code not in page
    assert CONTACT not in page and REPORTER not in page
    start = text(client, "/console/")
    assert re.search(r'转办线索待答复 <span class="count">2</span>', start)
    # The other unit sees its own clue only; a unit with none, the empty states.
    login(client, auth, world["other_responder"])
    page = text(client, "/console/unit/clues")
    assert card_order(page) == [elsewhere.code] and "暂无已答复的线索" in page
    login(client, auth, factory.user(Role.responder, factory.unit("县水务局")))
    page = text(client, "/console/unit/clues")
    assert "没有待答复的线索" in page and "暂无已答复的线索" in page


def test_the_unit_answers_once_and_refusals_redraw_the_form(client, auth, factory, world):
    clue = forwarded(factory, world, "小区路灯损坏多日无人维修", note="请于期限内核实答复")
    db.session.commit()
    csrf = login(client, auth, world["responder"])
    url = f"/console/unit/clues/{clue.id}"
    page = text(client, url)
    assert "小区路灯损坏多日无人维修" in page and "请于期限内核实答复" in page
    assert clue.answer_due.isoformat() in page and "提交答复" in page
    assert CONTACT not in page and REPORTER not in page
    refused = client.post(f"{url}/answer", data={"csrf_token": csrf, "answer": "好"})
    assert refused.status_code == 422
    body = refused.get_data(as_text=True)
    assert ">好</textarea>" in body and 'class="field-error"' in body
    refused = client.post(f"{url}/answer", data={"csrf_token": csrf})
    assert refused.status_code == 422 and 'class="field-error"' in refused.get_data(as_text=True)
    answered = client.post(f"{url}/answer", data={"csrf_token": csrf, "answer": "已安排维修"})
    assert answered.status_code == 303 and answered.headers["Location"].endswith(url)
    page = text(client, url)
    assert "已答复,督查室将收到通知" in page and "已安排维修" in page and "提交答复" not in page
    db.session.expire_all()
    assert clue.answer == "已安排维修" and clue.answered_by_id == world["responder"].id
    told = db.session.scalars(
        select(Notification.kind).where(Notification.recipient_id == world["supervisor"].id)
    ).all()
    assert told == ["clue_answered"]
    again = client.post(f"{url}/answer", data={"csrf_token": csrf, "answer": "再答一次"})
    assert again.status_code == 409 and "已答复,不能重复答复" in again.get_data(as_text=True)
    db.session.expire_all()
    assert clue.answer == "已安排维修"
    assert re.search(r'转办线索待答复 <span class="count">0</span>', text(client, "/console/"))


def test_only_the_unit_it_was_forwarded_to_opens_a_clue(client, auth, factory, world):
    clue = forwarded(factory, world, "小区路灯损坏多日无人维修")
    db.session.commit()
    csrf = login(client, auth, world["other_responder"])
    url = f"/console/unit/clues/{clue.id}"
    assert client.get(url).status_code == 404
    posted = client.post(f"{url}/answer", data={"csrf_token": csrf, "answer": "已核实处理"})
    assert posted.status_code == 404
    db.session.expire_all()
    assert clue.answered_at is None
    client.post("/console/logout", data={})
    login(client, auth, world["supervisor"])
    assert client.get(url).status_code == 403


def test_the_count_reads_the_forwarding_alone(client, auth, factory, world):
    """The same before and after the office makes the clue a reason for a plan."""
    site = factory.site(world["unit"])
    plan = factory.plan(world["office"], world["supervisor"], status=PlanStatus.approved)
    clue = forwarded(factory, world, "小区路灯损坏多日无人维修", site_id=site.id)
    db.session.commit()
    login(client, auth, world["responder"])
    before = re.search(r'待答复 <span class="count">(\d+)</span>', text(client, "/console/"))
    ops.link_to_plan(clue, plan.id, site.id, world["supervisor"])
    db.session.commit()
    after = re.search(r'待答复 <span class="count">(\d+)</span>', text(client, "/console/"))
    assert before.group(1) == after.group(1) == "1"


def test_the_plan_page_names_its_clues_for_the_office_only(client, auth, factory, world):
    site = factory.site(world["unit"])
    site.name = "幸福小区东门"
    leader = factory.user(Role.leader, factory.unit("县政府", kind=UnitKind.government))
    plan = factory.plan(
        world["office"], world["supervisor"], status=PlanStatus.active,
        team=[world["inspector"]], leader=leader,
    )  # fmt: skip
    at_site = factory.clue(world["office"], world["supervisor"], site_id=site.id,
                           summary="幸福小区东门道路塌陷" + "多年" * 50)  # fmt: skip
    whole = factory.clue(world["office"], world["supervisor"], source="letter",
                         summary="来信反映全县安置房质量问题")  # fmt: skip
    ops.link_to_plan(at_site, plan.id, site.id, world["supervisor"])
    ops.link_to_plan(whole, plan.id, None, world["supervisor"])
    db.session.commit()
    url = f"/console/plans/{plan.id}"
    console_login(client, auth, world["supervisor"])
    page = text(client, url)
    section = page.split('id="clue-sources"')[1].split("</section>")[0]
    rows = re.findall(r"<tr><td>([^<]+)</td><td><a href=\"([^\"]+)\">([^<]+)</a>", section)
    assert rows == [
        ("幸福小区东门", f"/console/clues/{at_site.id}", at_site.code),
        ("整个计划", f"/console/clues/{whole.id}", whole.code),
    ]
    assert "12345热线工单" in section and "来信" in section
    assert "多年" * 50 not in section and "…" in section  # the summary is cut short
    for viewer in (world["inspector"], leader):
        client.post("/console/logout", data={})
        console_login(client, auth, viewer)
        page = text(client, url)
        assert "线索来源" not in page and at_site.code not in page and whole.code not in page


def test_a_plan_without_clues_says_so(client, auth, factory, world):
    plan = factory.plan(world["office"], world["supervisor"], status=PlanStatus.draft)
    db.session.commit()
    console_login(client, auth, world["supervisor"])
    assert "本计划的督查目标没有关联群众反映线索" in text(client, f"/console/plans/{plan.id}")


def test_clue_notifications_lead_to_the_clues(client, auth, factory, world):
    """The unit's 收到转办线索 opens its forwarded clues; the office's 已答复 opens the
    answered ones in the register."""
    clue = forwarded(factory, world, "安置房工地拖欠农民工工资")
    ops.answer_clue(clue, "已督促施工单位结清", world["responder"])
    db.session.commit()
    login(client, auth, world["responder"])
    summons = text(client, "/console/unit/summons")
    assert f"收到转办线索 {clue.code}" in summons
    assert 'href="/console/unit/clues">查看转办线索</a>' in summons
    client.post("/console/logout", data={})
    login(client, auth, world["supervisor"])
    inbox = text(client, "/console/notifications")
    assert f'href="/console/clues?status=answered">线索 {clue.code} 已由' in inbox
