"""以此线索新建计划: the plan form filled from a clue, and the clue made the reason for
the new plan's target on saving, in the same request (nothing left behind when refused)."""

from __future__ import annotations

from sqlalchemy import func, select

from server.clues import operations as clue_ops
from server.extensions import db
from server.models import Clue, ClueStatus, Notification, Plan, PlanClue
from tests.api import plan_helpers
from tests.api.test_console_plans import form_body, login, plan_count

pw = plan_helpers.pw  # the planning world fixture


def a_clue(factory, pw, **fields) -> Clue:
    clue = factory.clue(
        pw.office,
        pw.supervisor,
        summary="群众反映目标单位1的工地夜间施工扰民,且未设置围挡,多次投诉无果",
        site_id=pw.sites[2].id,
        unit_id=pw.units[1].id,
        **fields,
    )
    db.session.commit()
    return clue


def notifications() -> int:
    return db.session.scalar(select(func.count()).select_from(Notification))


def test_the_form_is_filled_from_the_clue(client, auth, pw, factory):
    clue = a_clue(factory, pw)
    login(client, auth, pw.supervisor)
    detail = client.get(f"/console/clues/{clue.id}").get_data(as_text=True)
    assert f"/console/plans/new?clue_id={clue.id}" in detail and "以此线索新建计划" in detail
    page = client.get(f"/console/plans/new?clue_id={clue.id}").get_data(as_text=True)
    assert "由线索新建" in page and clue.code in page
    assert f'<input type="hidden" name="clue_id" value="{clue.id}">' in page
    assert f'name="site_ids" value="{pw.sites[2].id}" checked' in page
    assert f'name="unit_ids" value="{pw.units[1].id}" checked' in page
    assert "核查群众反映问题:群众反映目标单位1的工地夜间施工扰民" in page  # the title, cut
    assert f"核查线索 {clue.code}:" in page  # the matter


def test_saving_links_the_clue_at_its_site_and_tells_nobody(client, auth, pw, factory):
    clue = a_clue(factory, pw)
    csrf = login(client, auth, pw.supervisor)
    before = notifications()
    body = form_body(pw, csrf, clue_id=str(clue.id), site_ids=[str(pw.sites[2].id)])
    response = client.post("/console/plans/new", data=body)
    assert response.status_code == 303, response.get_data(as_text=True)
    plan = db.session.scalar(select(Plan))
    db.session.expire_all()
    link = db.session.scalar(select(PlanClue))
    assert (link.plan_id, link.clue_id, link.site_id) == (plan.id, clue.id, pw.sites[2].id)
    assert db.session.get(Clue, clue.id).status == ClueStatus.planned
    assert notifications() == before
    shown = client.get(response.headers["Location"]).get_data(as_text=True)
    sources = shown.split("线索来源")[1]
    assert clue.code in sources and pw.sites[2].name in sources


def test_a_plan_without_the_clues_site_holds_it_as_a_whole(client, auth, pw, factory):
    clue = a_clue(factory, pw)
    csrf = login(client, auth, pw.supervisor)
    body = form_body(pw, csrf, clue_id=str(clue.id))  # the site unticked: sites[0] only
    assert client.post("/console/plans/new", data=body).status_code == 303
    link = db.session.scalar(select(PlanClue))
    assert link.site_id is None
    plan = db.session.scalar(select(Plan))
    assert [s.id for s in plan.sites] == [pw.sites[0].id]  # the clue's site not added


def test_refusals_leave_neither_plan_nor_link(client, auth, pw, factory):
    clue = a_clue(factory, pw)
    csrf = login(client, auth, pw.supervisor)
    bad = client.post(
        "/console/plans/new", data=form_body(pw, csrf, clue_id=str(clue.id), title="")
    )
    assert bad.status_code == 422
    page = bad.get_data(as_text=True)
    assert f'name="clue_id" value="{clue.id}"' in page and "由线索新建" in page  # carried on
    clue_ops.reject_clue(
        db.session.get(Clue, clue.id), "重复反映,已另案办理", "已另案办理", pw.supervisor
    )
    db.session.commit()
    ended = client.post("/console/plans/new", data=form_body(pw, csrf, clue_id=str(clue.id)))
    assert ended.status_code == 409 and "线索已不予采用" in ended.get_data(as_text=True)
    assert plan_count() == 0 and db.session.scalar(select(func.count(PlanClue.id))) == 0


def test_another_offices_clue_is_not_found(client, auth, pw, factory):
    theirs = factory.clue(pw.other_office, pw.other_supervisor)
    db.session.commit()
    csrf = login(client, auth, pw.supervisor)
    assert client.get(f"/console/plans/new?clue_id={theirs.id}").status_code == 404
    assert client.get("/console/plans/new?clue_id=not-a-uuid").status_code == 404
    body = form_body(pw, csrf, clue_id=str(theirs.id))
    assert client.post("/console/plans/new", data=body).status_code == 404
    assert plan_count() == 0
