"""Console pages for plans: forms load through the API schemas, refusals are shown in
Chinese and leave nothing behind, secret plans stay invisible, reads are audited."""

from __future__ import annotations

import re
import uuid

from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from server.audit_chain import verify_chain
from server.extensions import db
from server.models import AuditEvent, Plan, PlanStatus, Role
from tests.api import plan_helpers
from tests.api.plan_helpers import created, plan_body, window
from tests.api.test_console import console_login

pw = plan_helpers.pw  # the planning world fixture


def login(client, auth, user) -> str:
    """Log into the console; returns the session's CSRF token."""
    console_login(client, auth, user)
    page = client.get("/console/").get_data(as_text=True)
    return page.split('name="csrf_token" value="')[1].split('"')[0]


def form_body(pw, csrf, **overrides) -> dict:
    body = {**plan_body(pw), "leader_id": "", "repeat_justification": "", "csrf_token": csrf}
    body.update(overrides)
    return body


def plan_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Plan))


def fresh(plan_id) -> Plan:
    db.session.expire_all()
    return db.session.get(Plan, uuid.UUID(str(plan_id)))


def hidden_fields(form_html: str) -> list[tuple[str, str]]:
    return re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form_html)


def test_supervisor_creates_a_plan_through_the_form(client, auth, pw):
    csrf = login(client, auth, pw.supervisor)
    page = client.get("/console/plans/new").get_data(as_text=True)
    assert "新建督查计划" in page and "公开督查须提前 10 天报备" in page
    assert pw.sites[0].name in page and pw.inspectors[0].display_name in page
    body = form_body(pw, csrf, team_ids=[str(u.id) for u in pw.inspectors[:2]])
    response = client.post("/console/plans/new", data=body)
    assert response.status_code == 303
    plan = db.session.scalars(select(Plan)).one()
    assert response.headers["Location"].endswith(f"/console/plans/{plan.id}")
    assert plan.title == "农村危房改造质量暗访" and plan.status == PlanStatus.draft
    assert plan.mode == "sibu_liangzhi" and plan.matter_category.code == "project_quality"
    assert {u.id for u in plan.team} == {u.id for u in pw.inspectors[:2]}
    assert [s.id for s in plan.sites] == [pw.sites[0].id]
    assert pw.units[0].id in {u.id for u in plan.target_units}
    detail = client.get(response.headers["Location"]).get_data(as_text=True)
    assert plan.code in detail and "草稿" in detail and "四不两直" in detail
    listing = client.get("/console/plans").get_data(as_text=True)
    assert plan.code in listing and "新建计划" in listing


def test_invalid_form_is_shown_again_in_chinese_and_creates_nothing(client, auth, pw):
    csrf = login(client, auth, pw.supervisor)
    response = client.post("/console/plans/new", data=form_body(pw, csrf, title=""))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert '<p class="field-error" role="alert">必填</p>' in page
    assert "危房改造工程质量与补助资金发放" in page  # what was typed is kept
    body = form_body(pw, csrf, window_start="2030-05-10", window_end="2030-05-01")
    response = client.post("/console/plans/new", data=body)
    assert response.status_code == 422
    assert "结束日期不能早于开始日期" in response.get_data(as_text=True)
    # A planning rule from the operations, not the schema:
    response = client.post("/console/plans/new", data=form_body(pw, csrf, kind="leader_led"))
    assert response.status_code == 422
    assert "领导带队暗访须指定带队领导" in response.get_data(as_text=True)
    assert plan_count() == 0


def test_repeated_matter_offers_merge_or_justification(client, auth, pw):
    first = created(client, pw)
    csrf = login(client, auth, pw.supervisor)
    body = form_body(
        pw, csrf, site_ids=[str(pw.sites[1].id)], team_ids=[str(pw.inspectors[1].id)]
    )  # another site of the same unit, same matter
    response = client.post("/console/plans/new", data=body)
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert first["code"] in page and pw.units[0].name in page and "并入此计划" in page
    assert "必要性说明" in page
    merge_form = page.split(f'action="/console/plans/{first["id"]}/merge"')[1].split("</form>")[0]
    response = client.post(
        f"/console/plans/{first['id']}/merge", data=MultiDict(hidden_fields(merge_form))
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/console/plans/{first['id']}")
    merged = fresh(first["id"])
    assert pw.sites[1].id in {s.id for s in merged.sites}
    assert pw.inspectors[1].id in {u.id for u in merged.team}
    assert plan_count() == 1
    # The other way out: a justification creates the plan anyway.
    body["repeat_justification"] = "群众反映问题突出,需再次暗访核实"
    assert client.post("/console/plans/new", data=body).status_code == 303
    assert plan_count() == 2


def test_status_buttons_walk_the_plan_through_its_life(client, auth, pw):
    plan = created(client, pw)
    csrf = login(client, auth, pw.supervisor)
    url = f"/console/plans/{plan['id']}"
    steps = [
        ("approved", "批准"),
        ("active", "开始实施"),
        ("finished", "结束"),
        ("findings_issued", "交办问题"),
    ]
    for status, button in steps:
        page = client.get(url).get_data(as_text=True)
        assert button in page
        version = fresh(plan["id"]).version
        response = client.post(
            f"{url}/status", data={"status": status, "version": version, "csrf_token": csrf}
        )
        assert response.status_code == 303, response.get_data(as_text=True)
        assert fresh(plan["id"]).status == status
    page = client.get(url).get_data(as_text=True)
    assert "已交办" in page and "编辑" not in page


def test_refused_status_change_shows_the_reason_and_changes_nothing(client, auth, pw):
    plan = created(client, pw)
    csrf = login(client, auth, pw.supervisor)
    url = f"/console/plans/{plan['id']}"
    assert "撤回为草稿" not in client.get(url).get_data(as_text=True)
    stale = {"status": "approved", "version": plan["version"] - 1, "csrf_token": csrf}
    response = client.post(f"{url}/status", data=stale)
    assert response.status_code == 409
    assert "计划已被他人修改" in response.get_data(as_text=True)
    wrong = {"status": "finished", "version": plan["version"], "csrf_token": csrf}
    response = client.post(f"{url}/status", data=wrong)
    assert response.status_code == 409
    assert "计划当前为“草稿”,不能改为“已结束”" in response.get_data(as_text=True)
    assert fresh(plan["id"]).status == PlanStatus.draft
    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert "plan.status_changed" not in actions and actions.count("plan.viewed") >= 3
    assert verify_chain(db.session)["ok"]  # the kept read is chained, nothing else is


def test_draw_form_records_a_draw_that_checks_out(client, auth, pw):
    plan = created(client, pw)
    csrf = login(client, auth, pw.supervisor)
    url = f"/console/plans/{plan['id']}/draw"
    page = client.get(url).get_data(as_text=True)
    assert "SHA-256" in page and "留空则由系统随机生成" in page
    ticked = re.findall(r'name="(candidate_\w+)" value="([^"]+)" checked', page)
    assert len(ticked) >= len(pw.sites) + len(pw.inspectors)
    body = [
        ("csrf_token", csrf),
        ("pool", "site"),
        ("targets", "2"),
        ("inspectors", "1"),
        ("seed", "public-2024-0815"),
        *ticked,
    ]
    response = client.post(url, data=MultiDict(body))
    assert response.status_code == 303, response.get_data(as_text=True)
    draw = fresh(plan["id"]).draws[0]
    assert draw.seed == "public-2024-0815" and len(draw.result["target_ids"]) == 2
    assert "target_ids" not in draw.inputs  # all ticked means all candidates
    detail = client.get(f"/console/plans/{plan['id']}").get_data(as_text=True)
    assert "public-2024-0815" in detail
    check = client.get(f"/console/plans/{plan['id']}/draws/{draw.id}/check")
    assert check.status_code == 200 and "复核一致" in check.get_data(as_text=True)
    too_many = [*body[:2], ("targets", "500"), ("inspectors", "0")]
    response = client.post(url, data=MultiDict(too_many))
    assert response.status_code == 422 and "少于要抽取的 500 个" in response.get_data(as_text=True)
    assert len(fresh(plan["id"]).draws) == 1


def test_figures_page_shows_shares_against_goals(client, auth, pw):
    later = window(days_ahead=20)
    hidden = created(client, pw, **later)
    announced = created(
        client, pw, mode="open", kind="ad_hoc", site_ids=[str(pw.sites[2].id)], **later
    )
    csrf = login(client, auth, pw.supervisor)
    for plan in (hidden, announced):
        data = {"status": "approved", "version": plan["version"], "csrf_token": csrf}
        assert client.post(f"/console/plans/{plan['id']}/status", data=data).status_code == 303
    year = later["window_start"][:4]
    page = client.get(f"/console/plans/figures?year={year}").get_data(as_text=True)
    assert "50.0%" in page and "≥ 60%" in page and "≥ 40%" in page
    assert '<span class="ok">达标</span>' in page and '<span class="bad">未达标</span>' in page
    empty = client.get("/console/plans/figures?year=2001").get_data(as_text=True)
    assert "暂无数据" in empty
    assert client.get("/console/plans/figures?year=abc").status_code == 422


def test_outsiders_get_the_same_404_and_an_empty_list(client, auth, pw, factory):
    plan = created(client, pw)
    csrf = login(client, auth, pw.supervisor)
    data = {"status": "approved", "version": plan["version"], "csrf_token": csrf}
    assert client.post(f"/console/plans/{plan['id']}/status", data=data).status_code == 303
    outsiders = [pw.inspectors[2], factory.user(Role.responder, pw.units[0]), pw.other_supervisor]
    for user in outsiders:
        login(client, auth, user)
        secret = client.get(f"/console/plans/{plan['id']}")
        unknown = client.get(f"/console/plans/{uuid.uuid4()}")
        assert secret.status_code == unknown.status_code == 404
        assert secret.get_data() == unknown.get_data()
        listing = client.get("/console/plans").get_data(as_text=True)
        assert plan["code"] not in listing and "暂无督查计划" in listing
    login(client, auth, pw.inspectors[0])  # on the team
    assert client.get(f"/console/plans/{plan['id']}").status_code == 200
    assert client.get(f"/console/plans/{plan['id']}/edit").status_code == 403


def test_viewing_a_plan_is_audited(client, auth, pw):
    plan = created(client, pw)
    login(client, auth, pw.supervisor)
    assert client.get(f"/console/plans/{plan['id']}").status_code == 200
    assert client.get(f"/console/plans/{plan['id']}/edit").status_code == 200
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "plan.viewed")).all()
    assert len(events) == 2
    assert all(e.entity_id == plan["id"] and e.details["via"] == "console" for e in events)


def test_edit_form_saves_changes_with_the_version(client, auth, pw):
    plan = created(client, pw)
    csrf = login(client, auth, pw.supervisor)
    page = client.get(f"/console/plans/{plan['id']}/edit").get_data(as_text=True)
    assert f'name="version" value="{plan["version"]}"' in page
    body = form_body(pw, csrf, title="改名后的暗访计划", version=plan["version"])
    response = client.post(f"/console/plans/{plan['id']}/edit", data=body)
    assert response.status_code == 303
    assert fresh(plan["id"]).title == "改名后的暗访计划"
    response = client.post(f"/console/plans/{plan['id']}/edit", data={**body, "title": "再改"})
    assert response.status_code == 409  # the version we edited is gone
    assert fresh(plan["id"]).title == "改名后的暗访计划"


def test_forms_need_the_csrf_token(client, auth, pw):
    login(client, auth, pw.supervisor)
    response = client.post("/console/plans/new", data=form_body(pw, ""))
    assert response.status_code == 400
    response = client.post("/console/plans/new", data=form_body(pw, "forged"))
    assert response.status_code == 400
    assert plan_count() == 0
