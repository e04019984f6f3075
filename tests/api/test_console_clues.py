"""The office's clue console (/console/clues): the register and its filters, filing and
editing (422 redraws, the version check), the clue's page (contact, history, duplicates,
plans and what came of them) and each action with its refusals, for the office's
supervisors only."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from server.clues import operations as ops
from server.extensions import db
from server.models import (
    AuditEvent,
    Clue,
    ClueStatus,
    ClueTopic,
    Notification,
    PlanStatus,
    Role,
    UnitKind,
)
from tests.api.test_console_rectifications import fresh, login
from tests.factories import Factory

CONTACT = "13912345678"


@pytest.fixture
def desk(factory):
    office = factory.unit("县委督查室", kind=UnitKind.office)
    unit = factory.unit("县住房和城乡建设局")
    other_office = factory.unit("市委督查室", kind=UnitKind.office)
    return {
        "office": office,
        "unit": unit,
        "supervisor": factory.user(Role.supervisor, office),
        "other": factory.user(Role.supervisor, other_office),
        "responder": factory.user(Role.responder, unit),
        "inspector": factory.user(Role.inspector, office),
        "admin": factory.user(Role.admin, office),
        "site": factory.site(unit),
    }


def topic(code="housing") -> ClueTopic:
    return db.session.scalar(select(ClueTopic).where(ClueTopic.code == code))


def _clue(desk, **fields) -> Clue:
    clue = Factory().clue(desk["office"], desk["supervisor"], **fields)
    db.session.commit()
    return clue


def page_of(client, clue) -> str:
    response = client.get(f"/console/clues/{clue.id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def post(client, url, csrf, **form):
    return client.post(url, data={"csrf_token": csrf, **form})


def follow(client, response) -> str:
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    return client.get(response.headers["Location"]).get_data(as_text=True)


def form(desk, **overrides) -> dict:
    return {
        "source": "hotline",
        "source_ref": "GD20261201",
        "received_on": date.today().isoformat(),
        "summary": "群众反映幸福小区道路塌陷三个月无人修复",
        "place": "龙山镇幸福小区",
        "site_id": "",
        "unit_id": str(desk["unit"].id),
        "topic_id": str(topic().id),
        "reporter_name": "张先生",
        "reporter_contact": CONTACT,
        **overrides,
    }


# ---- the register ----


def test_the_register_filters_counts_and_pages(client, auth, desk):
    login(client, auth, desk["supervisor"])
    empty = client.get("/console/clues").get_data(as_text=True)
    assert "还没有线索" in empty and "/console/clues/import" in empty
    road = _clue(desk, summary="幸福小区道路塌陷无人修复", topic_id=topic().id)
    noise = _clue(desk, summary="夜间施工噪音扰民严重", source="letter", place="城南工地")
    old = _clue(
        desk, summary="往年反映的路灯不亮问题", received_on=date.today() - timedelta(days=40)
    )
    ops.forward_clue(noise, {"unit_id": desk["unit"].id}, desk["supervisor"])
    ops.reject_clue(old, "重复反映", "", desk["supervisor"])
    Factory().clue(desk["other"].unit, desk["other"], summary="外单位的线索内容")
    db.session.commit()

    page = client.get("/console/clues").get_data(as_text=True)
    assert page.index(road.code) < page.index(old.code)  # newest first
    assert "外单位的线索内容" not in page  # another office's clue never shows
    assert "已转办待答复" in page and "前答复" in page

    def codes(query) -> set:
        text = client.get(f"/console/clues?{query}").get_data(as_text=True)
        return {c.code for c in (road, noise, old) if f">{c.code}<" in text}

    assert codes("q=噪音") == {noise.code}
    assert codes(f"q={road.source_ref}") == {road.code}
    assert codes("source=letter") == {noise.code}
    assert codes("status=open") == {road.code, noise.code}
    assert codes("status=rejected") == {old.code}
    assert codes(f"topic_id={topic().id}") == {road.code}
    received_from = (date.today() - timedelta(days=5)).isoformat()
    assert codes(f"received_from={received_from}") == {road.code, noise.code}
    assert "没有符合条件的线索" in client.get("/console/clues?q=不存在的词").get_data(as_text=True)
    bad = client.get("/console/clues?status=nope&received_from=x")
    assert bad.status_code == 422 and "field-error" in bad.get_data(as_text=True)
    # Counts by status at the top (of what the other filters leave).
    assert "未办结 <strong>2</strong>" in page and "不予采用 <strong>1</strong>" in page
    # The reporter's contact is not on the register.
    assert CONTACT not in page


def test_the_register_pages_thirty_at_a_time(client, auth, desk):
    for n in range(31):
        _clue(desk, summary=f"第{n:02d}条群众反映内容", source_ref=f"P{n:03d}")
    login(client, auth, desk["supervisor"])
    first = client.get("/console/clues").get_data(as_text=True)
    assert "第 1 / 2 页" in first and "下一页" in first
    second = client.get("/console/clues?page=2").get_data(as_text=True)
    assert second.count('data-label="编号"') == 1


def test_the_office_only(client, auth, desk):
    clue = _clue(desk, reporter_contact=CONTACT)
    for who in ("other", "responder", "inspector", "admin"):
        login(client, auth, desk[who])
        expected = 404 if who == "other" else 403
        assert client.get(f"/console/clues/{clue.id}").status_code == expected, who
        register = client.get("/console/clues")
        assert register.status_code == (200 if who == "other" else 403), who
        assert clue.code not in register.get_data(as_text=True)


# ---- filing and editing ----


def test_filing_a_clue_and_the_422_redraw(client, auth, desk):
    csrf = login(client, auth, desk["supervisor"])
    blank = client.get("/console/clues/new").get_data(as_text=True)
    assert "仅督查室可见" in blank and date.today().isoformat() in blank
    refused = post(
        client, "/console/clues/new", csrf,
        **form(desk, summary="短", received_on="2999-01-01"),
    )  # fmt: skip
    text = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "受理日期不能晚于今天" in text and "Length must be" not in text
    assert CONTACT in text and "龙山镇幸福小区" in text  # what was typed is kept
    pair = post(client, "/console/clues/new", csrf, **form(desk, lat="26.1"))
    assert pair.status_code == 422 and "经度和纬度须同时填写" in pair.get_data(as_text=True)
    assert db.session.scalar(select(db.func.count(Clue.id))) == 0
    done = follow(client, post(client, "/console/clues/new", csrf, **form(desk)))
    clue = db.session.scalars(select(Clue)).one()
    assert f"已登记线索 {clue.code}" in done and CONTACT in done and "登记线索" in done
    assert clue.reporter_contact == CONTACT and clue.unit_id == desk["unit"].id
    again = post(client, "/console/clues/new", csrf, **form(desk))
    assert again.status_code == 422
    assert f"来源编号 GD20261201 已登记为线索 {clue.code}" in again.get_data(as_text=True)


def test_editing_checks_the_version(client, auth, desk):
    clue = _clue(desk, reporter_contact=CONTACT)
    csrf = login(client, auth, desk["supervisor"])
    page = client.get(f"/console/clues/{clue.id}/edit").get_data(as_text=True)
    assert 'name="version" value="1"' in page and CONTACT in page
    values = form(desk, source_ref=clue.source_ref, summary="修改后的反映内容摘要", version="1")
    follow(client, post(client, f"/console/clues/{clue.id}/edit", csrf, **values))
    assert fresh(Clue, clue.id).summary == "修改后的反映内容摘要"
    stale = post(
        client, f"/console/clues/{clue.id}/edit", csrf, **{**values, "summary": "再改一次的内容"}
    )
    assert stale.status_code == 409
    assert "线索已被他人修改,请刷新后再操作" in stale.get_data(as_text=True)
    assert fresh(Clue, clue.id).summary == "修改后的反映内容摘要"
    history = page_of(client, clue)
    assert "修改线索" in history and "修改了:" in history and "摘要" in history


# ---- the clue's page and its actions ----


def test_the_page_shows_contact_history_and_duplicates_and_merges(client, auth, desk):
    first = _clue(desk, site_id=desk["site"].id, topic_id=topic().id, reporter_contact=CONTACT)
    second = _clue(desk, site_id=desk["site"].id, topic_id=topic().id)
    csrf = login(client, auth, desk["supervisor"])
    page = page_of(client, first)
    assert CONTACT in page and "登记线索" in page and "可能重复" in page
    assert second.code in page and "同一地点同类问题" in page
    # 合并到此 from the first clue's page: posted on the duplicate's route.
    asked = post(
        client, f"/console/clues/{second.id}/merge", csrf,
        into_id=str(first.id), shown_id=str(first.id),
    )  # fmt: skip
    assert asked.status_code == 200 and "确认合并" in asked.get_data(as_text=True)
    assert fresh(Clue, second.id).status == ClueStatus.received  # asked first
    merged = follow(
        client,
        post(client, f"/console/clues/{second.id}/merge", csrf, into_id=str(first.id), confirm="1"),
    )
    assert f"已将 {second.code} 合并到 {first.code}" in merged and "已合并到本线索" in merged
    assert fresh(Clue, second.id).status == ClueStatus.merged
    # A typed code that is no clue of the office.
    third = _clue(desk)
    refused = post(client, f"/console/clues/{third.id}/merge", csrf, into_code="XS-1999-0001")
    assert refused.status_code == 422
    assert "本督查室没有编号为 XS-1999-0001 的线索" in refused.get_data(as_text=True)
    # The duplicate's page says where it went; its actions are gone.
    gone = page_of(client, second)
    assert "已合并到" in gone and f'action="/console/clues/{second.id}/close"' not in gone


def test_reject_asks_first_needs_a_reason_and_ends_the_clue(client, auth, desk):
    clue = _clue(desk)
    csrf = login(client, auth, desk["supervisor"])
    url = f"/console/clues/{clue.id}/reject"
    missing = post(client, url, csrf, confirm="1")
    assert missing.status_code == 422 and "必填" in missing.get_data(as_text=True)
    assert "确认不予采用" in post(client, url, csrf, reason="不属于督查范围").get_data(as_text=True)
    done = follow(client, post(client, url, csrf, reason="不属于督查范围", confirm="1"))
    assert "不予采用" in done and "不属于督查范围" in done
    ended = fresh(Clue, clue.id)
    assert ended.status == ClueStatus.rejected and ended.reply == "不属于督查范围"
    again = post(client, url, csrf, reason="再来一次", confirm="1")
    assert again.status_code == 409 and "不能再办理" in again.get_data(as_text=True)


def test_forward_uses_the_setting_and_notifies_without_the_contact(client, auth, desk):
    clue = _clue(desk, reporter_contact=CONTACT)
    csrf = login(client, auth, desk["supervisor"])
    page = page_of(client, clue)
    assert "不填按规则设置" in page
    missing = post(client, f"/console/clues/{clue.id}/forward", csrf, note="请核实")
    assert missing.status_code == 422 and "请核实" in missing.get_data(as_text=True)
    done = follow(
        client,
        post(client, f"/console/clues/{clue.id}/forward", csrf,
             unit_id=str(desk["unit"].id), note="请核实并答复"),
    )  # fmt: skip
    forwarded = fresh(Clue, clue.id)
    assert forwarded.status == ClueStatus.forwarded and forwarded.answer_due > date.today()
    assert f"{forwarded.answer_due.isoformat()} 前答复" in done and "请核实并答复" in done
    told = db.session.scalars(
        select(Notification).where(Notification.recipient_id == desk["responder"].id)
    ).all()
    assert len(told) == 1 and CONTACT not in told[0].title + told[0].body
    # Waiting for the answer: no second forwarding form.
    assert f'action="/console/clues/{clue.id}/forward"' not in done
    twice = post(client, f"/console/clues/{clue.id}/forward", csrf, unit_id=str(desk["unit"].id))
    assert twice.status_code == 409 and "尚未答复" in twice.get_data(as_text=True)


def test_plan_holds_the_clue_until_issued_then_it_closes(client, auth, desk, factory):
    site = desk["site"]
    plan = factory.plan(desk["office"], desk["supervisor"], status=PlanStatus.approved)
    clue = _clue(desk, site_id=site.id)
    csrf = login(client, auth, desk["supervisor"])
    page = page_of(client, clue)
    assert plan.code in page and f'value="{site.id}" selected' in page
    # Another office's plan is refused as unknown, next to the plan select.
    foreign = factory.plan(desk["other"].unit, desk["other"], status=PlanStatus.approved)
    db.session.commit()
    refused = post(client, f"/console/clues/{clue.id}/plan", csrf, plan_id=str(foreign.id))
    assert refused.status_code == 422
    assert "请选择本督查室尚未结束的计划" in refused.get_data(as_text=True)
    done = follow(
        client,
        post(client, f"/console/clues/{clue.id}/plan", csrf, plan_id=str(plan.id),
             site_id=str(site.id)),
    )  # fmt: skip
    assert f"已纳入暗访计划 {plan.code}" in done and "暂不能办结、合并、转办或不予采用" in done
    assert fresh(Clue, clue.id).status == ClueStatus.planned
    # Closing is refused with the reason next to the form (the page hides the form, the
    # operation refuses a post all the same).
    closing = post(client, f"/console/clues/{clue.id}/close", csrf, outcome="rectified",
                   reply="已核实整改", confirm="1")  # fmt: skip
    assert closing.status_code == 409
    assert "尚未交办的暗访计划" in closing.get_data(as_text=True)
    # Nor can it be forwarded to the unit before the visit: the form gives way to why.
    assert 'id="fw-unit"' not in done and "转办会让被督查单位提前知晓" in done
    forwarding = post(client, f"/console/clues/{clue.id}/forward", csrf,
                      unit_id=str(desk["unit"].id))  # fmt: skip
    assert forwarding.status_code == 409
    assert "尚未交办的暗访计划" in forwarding.get_data(as_text=True)
    # The finding and the item, once issued, show on the clue's page.
    inspector = desk["inspector"]
    finding = factory.finding(plan, inspector, site_id=site.id, title="道路塌陷仍未修复")
    item = factory.rectification(desk["office"], desk["unit"], plan=plan)
    item.findings.append(finding)
    plan.status = PlanStatus.findings_issued
    db.session.commit()
    page = page_of(client, clue)
    assert "道路塌陷仍未修复" in page and item.code in page
    assert f"/console/rectifications/{item.id}" in page and "暂不能办结" not in page
    assert "经核查属实" in page  # the suggested reply for 属实,已整改
    closed = follow(
        client,
        post(client, f"/console/clues/{clue.id}/close", csrf, outcome="rectified",
             reply="经暗访核实属实,已交办整改", confirm="1"),
    )  # fmt: skip
    assert f"线索 {clue.code} 已办结" in closed and "经暗访核实属实" in closed
    ended = fresh(Clue, clue.id)
    assert ended.status == ClueStatus.closed and ended.outcome == "rectified"


def test_removing_from_a_plan_and_refusals(client, auth, desk, factory):
    plan = factory.plan(desk["office"], desk["supervisor"], status=PlanStatus.draft)
    other = factory.plan(desk["office"], desk["supervisor"], status=PlanStatus.draft)
    clue = _clue(desk)
    ops.link_to_plan(clue, plan.id, None, desk["supervisor"])
    db.session.commit()
    csrf = login(client, auth, desk["supervisor"])
    not_linked = post(client, f"/console/clues/{clue.id}/plan/{other.id}/remove", csrf)
    assert not_linked.status_code == 422 and "线索未纳入该计划" in not_linked.get_data(as_text=True)
    unknown = post(client, f"/console/clues/{clue.id}/plan/{uuid.uuid4()}/remove", csrf)
    assert unknown.status_code == 404
    done = follow(client, post(client, f"/console/clues/{clue.id}/plan/{plan.id}/remove", csrf))
    assert f"已将线索移出计划 {plan.code}" in done and "移出暗访计划" in done
    assert fresh(Clue, clue.id).status == ClueStatus.received


def test_close_needs_an_outcome_and_a_reply(client, auth, desk):
    clue = _clue(desk)
    csrf = login(client, auth, desk["supervisor"])
    refused = post(client, f"/console/clues/{clue.id}/close", csrf, outcome="nope", reply="")
    text = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "必填" in text
    asked = post(client, f"/console/clues/{clue.id}/close", csrf, outcome="not_verified",
                 reply="经实地核查未发现所反映情况")  # fmt: skip
    assert "确认办结" in asked.get_data(as_text=True) and "经核查不属实" in asked.get_data(
        as_text=True
    )
    assert fresh(Clue, clue.id).status == ClueStatus.received


def test_history_never_prints_the_contact(client, auth, desk):
    clue = _clue(desk, reporter_contact=CONTACT)
    csrf = login(client, auth, desk["supervisor"])
    values = form(desk, source_ref=clue.source_ref, reporter_contact="13800000000", version="1")
    follow(client, post(client, f"/console/clues/{clue.id}/edit", csrf, **values))
    page = page_of(client, clue)
    history = page.split('id="history"')[1]
    assert "13800000000" not in history and CONTACT not in history
    assert "修改线索" in history
    events = db.session.scalars(select(AuditEvent.details).where(AuditEvent.entity_type == "clue"))
    assert all("13800000000" not in str(d) for d in events)


def test_start_page_counts(client, auth, desk):
    _clue(desk)
    late = _clue(desk)
    ops.forward_clue(late, {"unit_id": desk["unit"].id}, desk["supervisor"])
    late.answer_due = date.today() - timedelta(days=1)
    db.session.commit()
    login(client, auth, desk["supervisor"])
    start = client.get("/console/").get_data(as_text=True)
    assert "待研判 <strong>1</strong>" in start and "转办逾期未答复 <strong>1</strong>" in start
    overdue = client.get("/console/clues?status=overdue").get_data(as_text=True)
    assert late.code in overdue and "(已逾期)" in overdue
