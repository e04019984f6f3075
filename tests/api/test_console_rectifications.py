"""Console pages for triage (问题分办) and rectification items (整改事项): forms load
through the API schemas and call the same operations, refusals are shown in Chinese with
what was typed kept, and other offices and units are told what the API tells them."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from server.extensions import db
from server.models import (
    ContentStatus,
    ExtensionRequest,
    ExtensionStatus,
    Finding,
    Photo,
    PhotoParent,
    Rectification,
    RectificationStatus,
    Role,
    TriageStatus,
    Verification,
    VerificationStatus,
)
from tests.api.rect_helpers import make_finding
from tests.api.test_console import console_login
from tests.factories import Factory

REQUIRED = '<p class="field-error" role="alert">必填</p>'
NEXT_YEAR = date.today().replace(year=date.today().year + 1).isoformat()


def login(client, auth, user) -> str:
    """Log into the console; returns the session's CSRF token."""
    console_login(client, auth, user)
    page = client.get("/console/").get_data(as_text=True)
    return page.split('name="csrf_token" value="')[1].split('"')[0]


def fresh(model, id_):
    db.session.expire_all()
    return db.session.get(model, uuid.UUID(str(id_)))


def item_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Rectification))


def item_form(rw, csrf, **overrides) -> MultiDict:
    body = {
        "csrf_token": csrf,
        "finding_ids": [str(rw.findings[0].id), str(rw.findings[1].id)],
        "problem": "施工现场未按要求设置围挡,材料占道堆放",
        "measures": "三日内完成围挡设置,清理占道材料",
        "requirements": "按标准化工地要求整改到位",
        "unit_id": str(rw.unit_a.id),
        "supporting_unit_ids": [str(rw.unit_b.id)],
        "site_id": str(rw.site.id),
        "lead_official_id": str(rw.leader.id),
        "responsible_person": "王局长",
        "listed": "1",
        "deadline_kind": "days",
        "deadline": "",
        "deadline_working_days": "5",
        "report_every_days": "7",
    }
    body.update(overrides)
    return MultiDict(
        [(k, v) for k, vs in body.items() for v in (vs if isinstance(vs, list) else [vs])]
    )


def follow(client, response) -> str:
    assert response.status_code == 303, response.get_data(as_text=True)
    return client.get(response.headers["Location"]).get_data(as_text=True)


def add_photo(finding, flags=(), stored=True) -> Photo:
    photo = Factory().photo(
        finding.created_by,
        PhotoParent.finding,
        finding.id,
        finding.plan_id,
        sha256="a" * 64,
        content_status=ContentStatus.stored if stored else ContentStatus.pending,
        derived={"thumbnail": "derived/x/thumbnail.jpg"} if stored else {},
        flags=list(flags),
    )
    db.session.commit()
    return photo


# ---- triage ----


def test_queue_shows_the_office_pending_findings_with_photos_and_flags(client, auth, rw, factory):
    plan = factory.plan(rw.other_supervisor.unit, rw.other_supervisor, sites=[rw.site])
    make_finding(plan, rw.other_supervisor, rw.site, title="别处督查室的问题")
    photo = add_photo(rw.findings[0], flags=["outside_geofence"])
    add_photo(rw.findings[0], stored=False)
    withdrawn = add_photo(rw.findings[0], flags=["from_gallery"])
    withdrawn.deleted_at = datetime.now(UTC)  # neither counted nor flagged
    db.session.commit()

    login(client, auth, rw.supervisor)
    response = client.get("/console/triage")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    for finding in rw.findings:
        assert finding.title in page
    assert "别处督查室的问题" not in page
    assert rw.plan.code in page and rw.site.name in page and rw.inspector.display_name in page
    assert f"/console/photos/{photo.id}/thumbnail" in page and "内容待上传" in page
    assert "超出点位范围" in page and "2 张" in page
    assert "非现场拍摄" not in page
    assert "转为整改事项" in page and 'form="itemize"' in page
    narrowed = client.get("/console/triage?severity=high").get_data(as_text=True)
    assert "没有符合筛选条件的待分办问题" in narrowed and "清除筛选条件" in narrowed
    assert client.get("/console/triage?severity=huge").status_code == 422

    login(client, auth, rw.other_supervisor)
    page = client.get("/console/triage").get_data(as_text=True)
    assert "别处督查室的问题" in page and rw.findings[0].title not in page


def test_reject_needs_a_reason_then_the_finding_leaves_the_queue(client, auth, rw):
    csrf = login(client, auth, rw.supervisor)
    target = rw.findings[1]
    url = f"/console/findings/{target.id}/reject"
    response = client.post(url, data={"csrf_token": csrf, "reason": "", "severity": "medium"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert REQUIRED in page.split(f'id="reason-{target.id}"')[1].split("</form>")[0]
    assert fresh(Finding, target.id).triage_status == TriageStatus.pending
    response = client.post(url, data={"csrf_token": csrf, "reason": "x"})
    assert response.status_code == 422 and ">x</textarea>" in response.get_data(as_text=True)

    reason = "属正常施工,不构成问题"
    response = client.post(url, data={"csrf_token": csrf, "reason": reason, "severity": "medium"})
    assert response.headers["Location"].endswith("/console/triage?severity=medium")
    page = follow(client, response)
    assert f"已驳回:{target.title}" in page
    assert f'id="finding-{target.id}"' not in page and f'id="finding-{rw.findings[0].id}"' in page
    finding = fresh(Finding, target.id)
    assert finding.triage_status == TriageStatus.rejected and finding.triage_reason == reason

    rejected = client.get("/console/triage?status=rejected").get_data(as_text=True)
    assert target.title in rejected and reason in rejected and "恢复为待分办" in rejected
    again = client.post(url, data={"csrf_token": csrf, "reason": reason})
    assert again.status_code == 409 and "该问题已分办" in again.get_data(as_text=True)

    response = client.post(f"/console/findings/{target.id}/reopen", data={"csrf_token": csrf})
    assert "已恢复为待分办" in follow(client, response)
    assert fresh(Finding, target.id).triage_status == TriageStatus.pending


def test_merge_a_duplicate_into_another_finding(client, auth, rw):
    csrf = login(client, auth, rw.supervisor)
    first, duplicate = rw.findings[0], rw.findings[2]
    url = f"/console/findings/{duplicate.id}/merge"
    response = client.post(url, data={"csrf_token": csrf, "into_id": str(duplicate.id)})
    assert response.status_code == 422 and "不能与自身合并" in response.get_data(as_text=True)
    response = client.post(url, data={"csrf_token": csrf})
    assert response.status_code == 422 and REQUIRED in response.get_data(as_text=True)
    assert fresh(Finding, duplicate.id).triage_status == TriageStatus.pending

    response = client.post(url, data={"csrf_token": csrf, "into_id": str(first.id)})
    assert f"已合并:{duplicate.title}" in follow(client, response)
    merged = fresh(Finding, duplicate.id)
    assert merged.triage_status == TriageStatus.merged and merged.merged_into_id == first.id
    page = client.get("/console/triage?status=merged").get_data(as_text=True)
    assert duplicate.title in page and f"与“{first.title}”重复" in page


def test_findings_of_another_office_are_not_found(client, auth, rw):
    csrf = login(client, auth, rw.other_supervisor)
    finding = rw.findings[0]
    response = client.post(
        f"/console/findings/{finding.id}/reject", data={"csrf_token": csrf, "reason": "不是问题"}
    )
    assert response.status_code == 404
    assert client.get(f"/console/rectifications/new?finding_ids={finding.id}").status_code == 404
    assert fresh(Finding, finding.id).triage_status == TriageStatus.pending
    login(client, auth, rw.responder_a)
    assert client.get("/console/triage").status_code == 403


# ---- the item form ----


def test_item_from_two_findings_through_the_form(client, auth, rw):
    csrf = login(client, auth, rw.supervisor)
    ids = f"{rw.findings[0].id},{rw.findings[1].id}"
    page = client.get(f"/console/rectifications/new?finding_ids={ids}").get_data(as_text=True)
    assert "问题0:现场发现\n问题1:现场发现" in page  # the problem, prefilled
    assert f'<option value="{rw.site.id}" selected>' in page  # the findings' site and its unit
    assert f'<option value="{rw.unit_a.id}" selected>' in page
    assert f'<option value="{rw.leader.id}"' in page and rw.unit_a.name in page
    assert 'data-preview-url="/console/calendar/preview"' in page

    response = client.post("/console/rectifications/new", data=item_form(rw, csrf))
    item = db.session.scalars(select(Rectification)).one()
    assert response.headers["Location"].endswith(f"/console/rectifications/{item.id}")
    assert item.status == RectificationStatus.draft and item.listed
    assert {f.id for f in item.findings} == {rw.findings[0].id, rw.findings[1].id}
    assert item.unit_id == rw.unit_a.id and item.lead_official_id == rw.leader.id
    assert [u.id for u in item.supporting_units] == [rw.unit_b.id]
    assert item.deadline_working_days == 5 and item.report_every_days == 7
    for finding in rw.findings[:2]:
        assert fresh(Finding, finding.id).triage_status == TriageStatus.itemized
    detail = follow(client, response)
    assert f"已创建整改事项草稿 {item.code}" in detail and "待交办" in detail
    assert "交办后 5 个工作日" in detail
    assert rw.leader.display_name in detail and rw.unit_b.name in detail and "挂牌督办" in detail


def test_itemizing_with_nothing_ticked_returns_to_the_queue_with_a_hint(client, auth, rw):
    login(client, auth, rw.supervisor)
    queue = client.get("/console/triage").get_data(as_text=True)
    assert "data-needs-pick" in queue and 'name="from" value="triage"' in queue
    assert "请先勾选要转为整改事项的问题" in queue  # the hint beside the button
    response = client.get("/console/rectifications/new?from=triage")
    assert response.status_code == 303 and response.headers["Location"].endswith("/console/triage")
    assert "请先勾选要转为整改事项的问题" in follow(client, response)
    assert db.session.scalars(select(Rectification)).all() == []
    # A new item without findings, asked for on purpose, still opens the empty form.
    assert client.get("/console/rectifications/new").status_code == 200


def test_bad_item_form_is_shown_again_in_chinese_and_creates_nothing(client, auth, rw):
    csrf = login(client, auth, rw.supervisor)
    response = client.post("/console/rectifications/new", data=item_form(rw, csrf, unit_id=""))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    unit_part = page.split('id="unit_id"')[1].split("</fieldset>")[0]
    assert REQUIRED in unit_part
    assert "施工现场未按要求设置围挡,材料占道堆放</textarea>" in page  # what was typed is kept
    assert "清理占道材料" in page and 'value="王局长"' in page
    assert f'name="finding_ids" value="{rw.findings[1].id}"' in page
    assert f'value="{rw.unit_b.id}" checked' in page

    both = item_form(rw, csrf, deadline=NEXT_YEAR, deadline_working_days="5")
    response = client.post("/console/rectifications/new", data=both)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "完成时限请填写日期或工作日数,二选一" in page
    assert f'value="{NEXT_YEAR}"' in page and 'value="5"' in page

    response = client.post(
        "/console/rectifications/new", data=item_form(rw, csrf, deadline_working_days="abc")
    )
    assert response.status_code == 422 and "须为整数" in response.get_data(as_text=True)
    # A rule of the operation, not the schema: the unit cannot support itself.
    same = item_form(rw, csrf, supporting_unit_ids=[str(rw.unit_a.id)])
    response = client.post("/console/rectifications/new", data=same)
    assert response.status_code == 422
    assert "配合单位不能与责任单位相同" in response.get_data(as_text=True)
    assert item_count() == 0
    assert fresh(Finding, rw.findings[0].id).triage_status == TriageStatus.pending


def test_deadline_preview_in_working_days(client, auth, rw):
    login(client, auth, rw.supervisor)
    body = client.get("/console/calendar/preview?days=5").get_json()
    day = date.fromisoformat(body["date"])
    assert date.today() + timedelta(days=5) <= day <= date.today() + timedelta(days=30)
    assert isinstance(body["confirmed"], bool)
    bad = client.get("/console/calendar/preview?days=0")
    assert bad.status_code == 422 and "工作日数" in bad.get_json()["error"]
    assert client.get("/console/calendar/preview?days=x").status_code == 422
    script = client.get("/console/rectifications/form.js")
    assert script.status_code == 200 and "deadline_kind" in script.get_data(as_text=True)
    assert script.headers["Content-Type"].startswith("text/javascript")


def test_issue_a_draft_and_edit_only_what_may_change(client, auth, rw):
    undated = rw.create(deadline=None)
    csrf = login(client, auth, rw.supervisor)
    response = client.post(
        f"/console/rectifications/{undated['id']}/issue", data={"csrf_token": csrf, "confirm": "1"}
    )
    assert response.status_code == 422 and "交办前须确定完成时限" in response.get_data(as_text=True)
    assert fresh(Rectification, undated["id"]).status == RectificationStatus.draft

    item = rw.create(finding_ids=[str(rw.findings[1].id)])
    url = f"/console/rectifications/{item['id']}"
    page = client.get(url).get_data(as_text=True)
    assert "交办" in page and "删除草稿" in page
    page = follow(client, client.post(f"{url}/issue", data={"csrf_token": csrf, "confirm": "1"}))
    assert f"已交办 {item['code']}" in page and "删除草稿" not in page
    assert fresh(Rectification, item["id"]).status == RectificationStatus.issued

    form = client.get(f"{url}/edit").get_data(as_text=True)
    assert 'name="problem"' not in form and 'name="deadline"' not in form
    assert 'name="lead_official_id"' in form and 'name="responsible_person"' in form
    version = fresh(Rectification, item["id"]).version
    body = {"csrf_token": csrf, "version": version, "responsible_person": "李主任"}
    body.update(lead_official_id=str(rw.leader.id), report_every_days="10")
    assert "修改已保存" in follow(client, client.post(f"{url}/edit", data=body))
    saved = fresh(Rectification, item["id"])
    assert saved.responsible_person == "李主任" and saved.report_every_days == 10
    assert not saved.listed
    stale = client.post(f"{url}/edit", data={**body, "responsible_person": "赵主任"})
    page = stale.get_data(as_text=True)
    assert stale.status_code == 409 and "该事项已被他人修改" in page
    assert 'value="赵主任"' in page and "重新载入最新内容" in page
    assert fresh(Rectification, item["id"]).responsible_person == "李主任"


def test_a_deadline_reaching_an_unknown_year_is_marked_unconfirmed(client, auth, rw):
    item = rw.create(deadline=None, deadline_working_days=900)
    login(client, auth, rw.supervisor)
    page = client.get(f"/console/rectifications/{item['id']}").get_data(as_text=True)
    assert not fresh(Rectification, item["id"]).deadline_confirmed
    assert '<span class="pending-mark">待确认</span>' in page and "交办后 900 个工作日" in page
    confirmed = rw.create(finding_ids=[str(rw.findings[1].id)])
    page = client.get(f"/console/rectifications/{confirmed['id']}").get_data(as_text=True)
    assert confirmed["deadline"] in page and "pending-mark" not in page


def test_edit_a_draft_and_delete_it(client, auth, rw):
    item = rw.create()
    csrf = login(client, auth, rw.supervisor)
    url = f"/console/rectifications/{item['id']}"
    form = client.get(f"{url}/edit").get_data(as_text=True)
    assert 'name="problem"' in form and f'name="version" value="{item["version"]}"' in form
    body = item_form(rw, csrf, version=str(item["version"]), deadline_kind="date")
    body.setlist("deadline", [NEXT_YEAR])
    body.setlist("deadline_working_days", [""])
    body.setlist("problem", ["改写后的问题"])
    assert client.post(f"{url}/edit", data=body).status_code == 303
    saved = fresh(Rectification, item["id"])
    assert saved.problem == "改写后的问题" and saved.deadline.isoformat() == NEXT_YEAR

    page = follow(client, client.post(f"{url}/delete", data={"csrf_token": csrf}))
    assert f"草稿 {item['code']} 已删除" in page and rw.findings[0].title in page
    assert item_count() == 0
    assert fresh(Finding, rw.findings[0].id).triage_status == TriageStatus.pending


# ---- who may see an item ----


def test_other_offices_and_units_get_what_the_api_gives_them(client, auth, rw, factory):
    item = rw.issued()
    url = f"/console/rectifications/{item['id']}"
    csrf = login(client, auth, rw.other_supervisor)
    secret, unknown = client.get(url), client.get(f"/console/rectifications/{uuid.uuid4()}")
    assert secret.status_code == unknown.status_code == 404
    assert secret.get_data() == unknown.get_data()
    assert (
        client.post(f"{url}/return", data={"csrf_token": csrf, "reason": "退回"}).status_code == 404
    )
    assert client.get(f"{url}/edit").status_code == 404
    for user in (rw.responder_a, rw.responder_b, rw.leader, rw.inspector):
        login(client, auth, user)
        assert client.get(url).status_code == 403
    login(client, auth, factory.user(Role.admin))  # reads everything, acts on nothing
    page = client.get(url).get_data(as_text=True)
    assert item["code"] in page and "复查(回头看)" in page and "安排复查" not in page
    assert client.get(f"{url}/edit").status_code == 403
    login(client, auth, rw.supervisor)
    page = client.get(url).get_data(as_text=True)
    assert item["code"] in page and "复查(回头看)" in page and "安排复查" in page


def test_forms_need_the_csrf_token(client, auth, rw):
    item = rw.create()
    login(client, auth, rw.supervisor)
    response = client.post(f"/console/rectifications/{item['id']}/issue", data={})
    assert response.status_code == 400
    response = client.post(
        f"/console/findings/{rw.findings[1].id}/reject", data={"csrf_token": "x", "reason": "理由"}
    )
    assert response.status_code == 400
    assert fresh(Rectification, item["id"]).status == RectificationStatus.draft
    assert fresh(Finding, rw.findings[1].id).triage_status == TriageStatus.pending


# ---- the unit's answers: closure, return, verification, extension ----


def test_desk_verification_closes_the_item_after_a_closure_request(client, auth, rw):
    item = rw.closure_requested()
    csrf = login(client, auth, rw.supervisor)
    url = f"/console/rectifications/{item['id']}"
    page = client.get(url).get_data(as_text=True)
    assert "单位已申请销号" in page and "已全部整改完毕" in page
    fail = {"csrf_token": csrf, "method": "desk", "passed": "false", "reason": ""}
    response = client.post(f"{url}/verifications", data=fail)
    assert response.status_code == 422 and "复查未通过须说明理由" in response.get_data(as_text=True)
    assert fresh(Rectification, item["id"]).status == RectificationStatus.closure_requested
    assert db.session.scalar(select(func.count()).select_from(Verification)) == 0
    response = client.post(f"{url}/verifications", data={"csrf_token": csrf, "method": "desk"})
    assert response.status_code == 422 and "书面核查须给出结论" in response.get_data(as_text=True)

    ok = {
        "csrf_token": csrf,
        "method": "desk",
        "passed": "true",
        "reason": "材料齐全",
        "confirm": "1",
    }
    page = follow(client, client.post(f"{url}/verifications", data=ok))
    assert "书面核查通过,事项已销号" in page and "已销号" in page and "绿色" in page
    closed = fresh(Rectification, item["id"])
    assert closed.status == RectificationStatus.closed and closed.closed_at is not None
    assert "单位已申请销号" not in page and f"{url}/edit" not in page


def test_return_a_closure_request_with_a_reason(client, auth, rw):
    item = rw.closure_requested()
    csrf = login(client, auth, rw.supervisor)
    url = f"/console/rectifications/{item['id']}/return"
    response = client.post(url, data={"csrf_token": csrf, "reason": " "})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and REQUIRED in page.split('id="return-reason"')[1]
    reason = "围挡高度不足,请继续整改"
    page = follow(client, client.post(url, data={"csrf_token": csrf, "reason": reason}))
    assert "已退回,单位继续整改" in page and reason in page
    returned = fresh(Rectification, item["id"])
    assert returned.status == RectificationStatus.in_progress and returned.return_count == 1
    again = client.post(url, data={"csrf_token": csrf, "reason": reason})
    assert again.status_code == 409 and "不能退回" in again.get_data(as_text=True)


def test_field_verification_is_assigned_decided_and_cancelled(client, auth, rw):
    item = rw.closure_requested()
    csrf = login(client, auth, rw.supervisor)
    url = f"/console/rectifications/{item['id']}"
    response = client.post(f"{url}/verifications", data={"csrf_token": csrf, "method": "field"})
    assert response.status_code == 422 and "实地复查须指定复查人员" in response.get_data(
        as_text=True
    )
    body = {"csrf_token": csrf, "method": "field", "inspector_id": str(rw.responder_a.id)}
    response = client.post(f"{url}/verifications", data={**body, "instructions": "看围挡"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "复查人员须为在用的督查人员账号" in page
    assert "看围挡</textarea>" in page

    body["inspector_id"] = str(rw.inspector.id)
    page = follow(client, client.post(f"{url}/verifications", data=body))
    assert "已安排实地复查" in page and "待复查" in page and "撤销复查" in page
    verification = db.session.scalars(select(Verification)).one()
    assert verification.status == VerificationStatus.assigned
    decide = f"{url}/verifications/{verification.id}/decision"
    response = client.post(decide, data={"csrf_token": csrf, "passed": "true", "confirm": "1"})
    assert response.status_code == 409 and "复查人员尚未报告" in response.get_data(as_text=True)

    verification.report, verification.status = "围挡已设置", VerificationStatus.reported
    verification.reported_at = datetime.now(UTC)
    db.session.commit()
    page = client.get(url).get_data(as_text=True)
    assert "复查通过,销号" in page and "围挡已设置" in page
    cancel = f"{url}/verifications/{verification.id}/cancel"
    assert "已撤销复查" in follow(client, client.post(cancel, data={"csrf_token": csrf}))
    assert fresh(Verification, verification.id).status == VerificationStatus.cancelled
    assert client.post(cancel, data={"csrf_token": csrf}).status_code == 409


def test_approve_and_refuse_extension_requests(client, auth, rw):
    item = rw.in_progress(deadline=(date.today() + timedelta(days=20)).isoformat())
    api = f"/api/rectifications/{item['id']}/extensions"
    wanted = (date.today() + timedelta(days=60)).isoformat()
    ask = {"requested_deadline": wanted, "reason": "材料采购周期较长,需延期"}
    first = rw.post(rw.responder_a, api, ask, expect=201)
    csrf = login(client, auth, rw.supervisor)
    url = f"/console/rectifications/{item['id']}"
    page = client.get(url).get_data(as_text=True)
    assert "材料采购周期较长" in page and "待审批" in page and "同意延期" in page
    decision = f"{url}/extensions/{first['id']}/decision"
    response = client.post(decision, data={"csrf_token": csrf})
    assert response.status_code == 422 and REQUIRED in response.get_data(as_text=True)

    page = follow(client, client.post(decision, data={"csrf_token": csrf, "approve": "true"}))
    assert f"已同意延期,完成时限调整为 {wanted}" in page
    assert fresh(Rectification, item["id"]).deadline.isoformat() == wanted
    assert fresh(ExtensionRequest, first["id"]).status == ExtensionStatus.approved

    later = (date.today() + timedelta(days=90)).isoformat()
    second = rw.post(rw.responder_a, api, {**ask, "requested_deadline": later}, expect=201)
    decision = f"{url}/extensions/{second['id']}/decision"
    response = client.post(decision, data={"csrf_token": csrf, "approve": "false"})
    assert response.status_code == 422 and "不同意延期须说明理由" in response.get_data(as_text=True)
    refuse = {"csrf_token": csrf, "approve": "false", "reason": "理由不充分"}
    assert "已不同意延期" in follow(client, client.post(decision, data=refuse))
    assert fresh(ExtensionRequest, second["id"]).status == ExtensionStatus.refused
    assert fresh(Rectification, item["id"]).deadline.isoformat() == wanted
