"""The evidence page (/console/evidence, issue 15): each photo links back to what it
belongs to; filters and a text search narrow the list, paging keeps them; an empty result
says so. And the triage queue's text search."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from server.evidence import listing
from server.extensions import db
from server.models import (
    ContentStatus,
    PhotoParent,
    ProgressReport,
    UnitKind,
    Visit,
)
from tests.api.rect_helpers import make_finding
from tests.api.test_console_ledger import page
from tests.api.test_console_rectifications import login
from tests.factories import Factory


def photos_world(rw):
    """Photos of each kind: a finding made into an item, a finding still in triage, a
    check-in, the item's progress report, and another office's finding."""
    f = Factory()
    item = rw.issued(finding_ids=[str(rw.findings[0].id)], title="围挡整改")
    item_id = uuid.UUID(item["id"])
    other_site = f.site(rw.unit_b, lat=26.5, lon=107.0)
    other_site.name = "城南菜市场"
    rw.findings[1].site_id = other_site.id
    rw.findings[1].description = "排水沟污水外溢"
    visit = Visit(
        id=uuid.uuid4(),
        created_by_id=rw.inspector.id,
        plan_id=rw.plan.id,
        site_id=rw.site.id,
        arrived_at=datetime.now(UTC),
    )
    report = ProgressReport(
        rectification_id=item_id, author_id=rw.responder_a.id, body="已整改", percent=50
    )
    db.session.add_all([visit, report])
    db.session.flush()
    old = datetime.now(UTC) - timedelta(days=40)
    photos = {
        "itemized": f.photo(rw.inspector, PhotoParent.finding, rw.findings[0].id, rw.plan.id),
        "pending": f.photo(
            rw.inspector, PhotoParent.finding, rw.findings[1].id, rw.plan.id, captured_at=old
        ),
        "visit": f.photo(
            rw.inspector,
            PhotoParent.visit,
            visit.id,
            rw.plan.id,
            content_status=ContentStatus.failed,
            content_error="解码失败",
        ),
        "report": f.photo(rw.responder_a, PhotoParent.progress_report, report.id),
    }
    other_plan = f.plan(rw.other_supervisor.unit, rw.other_supervisor, sites=[rw.site])
    other = make_finding(other_plan, rw.other_supervisor, rw.site, title="别处的问题")
    photos["other"] = f.photo(rw.other_supervisor, PhotoParent.finding, other.id, other_plan.id)
    db.session.commit()
    return item, photos, other_site


def shown(html: str, photos: dict) -> set[str]:
    """Which of the named photos the page lists."""
    return {name for name, p in photos.items() if f'data-photo="{p.id}"' in html}


def test_each_photo_links_back_to_what_it_belongs_to(client, auth, rw):
    item, photos, _ = photos_world(rw)
    login(client, auth, rw.supervisor)
    html = page(client, "/console/evidence")
    assert shown(html, photos) == {"itemized", "pending", "visit", "report"}
    item_link = f'href="/console/rectifications/{item["id"]}"'
    assert html.count(item_link) == 2  # the itemized finding's photo and the report's
    assert f"整改事项 {item['code']} 围挡整改" in html
    triage = f"/console/triage?status=all&amp;plan_id={rw.plan.id}&amp;q="
    assert triage in html and f"#finding-{rw.findings[1].id}" in html
    assert f'href="/console/plans/{rw.plan.id}">到场签到 · 督查计划 {rw.plan.code}' in html
    assert "别处的问题" not in html


def test_filters_narrow_the_list(client, auth, rw):
    item, photos, other_site = photos_world(rw)
    login(client, auth, rw.supervisor)

    def listed(query):
        return shown(page(client, f"/console/evidence?{query}"), photos)

    assert listed("parent_type=visit") == {"visit"}
    assert listed("parent_type=progress_report") == {"report"}
    assert listed("content_status=failed") == {"visit"}
    assert listed(f"site_id={other_site.id}") == {"pending"}
    assert listed(f"unit_id={rw.unit_b.id}") == {"pending"}
    assert listed(f"plan_id={rw.plan.id}") == {"itemized", "pending", "visit", "report"}
    old = (datetime.now(UTC) - timedelta(days=40)).date()
    assert listed(f"captured_from={old}&captured_to={old}") == {"pending"}
    assert "pending" not in listed(f"captured_from={old + timedelta(days=2)}")


def test_text_search_over_sites_findings_and_items(client, auth, rw):
    item, photos, _ = photos_world(rw)
    login(client, auth, rw.supervisor)

    def found(q):
        return shown(page(client, f"/console/evidence?q={q}"), photos)

    assert found("城南菜市") == {"pending"}  # the site's name
    assert found("污水外溢") == {"pending"}  # the finding's text
    # The item's title and code: its report's photo and its finding's.
    assert found("围挡整改") == {"report", "itemized"}
    assert found(item["code"]) == {"report", "itemized"}
    assert found("别处") == set()  # another office's photo is never found


def test_empty_states_and_refused_filters(client, auth, rw):
    photos_world(rw)
    login(client, auth, rw.supervisor)
    html = page(client, "/console/evidence?q=没有这样的照片")
    assert "没有符合筛选条件的照片" in html and "清除筛选条件" in html
    assert 'value="没有这样的照片"' in html  # the search stays in its box
    html = page(client, "/console/evidence?captured_from=2026-05-02&captured_to=2026-05-01", 422)
    assert "结束日期不能早于开始日期" in html
    page(client, "/console/evidence?parent_type=elsewhere", 422)

    quiet = Factory().unit("乡督查室", kind=UnitKind.office)  # an office with no photos
    login(client, auth, rw.user(rw.supervisor.role, quiet))
    html = page(client, "/console/evidence")
    assert "暂无已同步的照片" in html and "没有符合筛选条件" not in html


def test_paging_keeps_the_filters(client, auth, rw, monkeypatch):
    _, photos, _ = photos_world(rw)
    monkeypatch.setattr(listing, "PER_PAGE", 1)
    login(client, auth, rw.supervisor)
    html = page(client, f"/console/evidence?parent_type=finding&plan_id={rw.plan.id}")
    assert "第 1 / 2 页" in html
    assert f"page=2&amp;parent_type=finding&amp;plan_id={rw.plan.id}" in html
    second = page(client, f"/console/evidence?page=2&parent_type=finding&plan_id={rw.plan.id}")
    first = shown(html, photos)
    assert len(first) == 1 and len(shown(second, photos)) == 1
    assert first | shown(second, photos) == {"itemized", "pending"}


# ---- the triage queue's search ----


def test_triage_search_over_text_site_and_plan(client, auth, rw):
    f = Factory()
    market = f.site(rw.unit_b, lat=26.5, lon=107.0)
    market.name = "城南菜市场"
    make_finding(rw.plan, rw.inspector, market, title="排水沟堵塞")
    rw.findings[2].description = "脚手架无防护网"
    other_plan = f.plan(rw.office, rw.supervisor, title="河道专项暗访")
    make_finding(other_plan, rw.inspector, title="河道漂浮物")
    db.session.commit()
    login(client, auth, rw.supervisor)

    def titles(q, extra=""):
        html = page(client, f"/console/triage?q={q}{extra}")
        every = ["问题0", "问题1", "问题2", "排水沟堵塞", "河道漂浮物"]
        return {t for t in every if f"<h2>{t}</h2>" in html}

    assert titles("排水沟") == {"排水沟堵塞"}  # title
    assert titles("防护网") == {"问题2"}  # description
    assert titles("城南菜市") == {"排水沟堵塞"}  # site
    assert titles("河道专项") == {"河道漂浮物"}  # plan title
    assert titles(other_plan.code) == {"河道漂浮物"}  # plan code
    assert titles("排水沟", f"&plan_id={other_plan.id}") == set()  # with the other filters

    html = page(client, "/console/triage?q=排水沟")
    assert 'name="q" maxlength="100" value="排水沟"' in html
    assert "q=%E6%8E%92%E6%B0%B4%E6%B2%9F" in html  # the status tabs keep the search
    empty = page(client, "/console/triage?q=没有的问题")
    assert "没有符合筛选条件的待分办问题" in empty and "清除筛选条件" in empty
    page(client, "/console/triage?q=" + "长" * 101, 422)

    api = rw.get(rw.supervisor, "/api/findings/triage?q=城南菜市")  # the API's list too
    assert [f["title"] for f in api["items"]] == ["排水沟堵塞"]

    login(client, auth, rw.other_supervisor)
    assert "排水沟堵塞" not in page(client, "/console/triage?q=排水沟")
