"""The responsible unit's portal (/console/unit): a responder sees only their own unit's
issued items, signs for them, reports progress with real photos, asks for extensions and
applies for closure; refusals are shown in Chinese and leave nothing behind; the plans,
findings and verifications behind an item never reach the unit's pages."""

from __future__ import annotations

import hashlib
import io
import re
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from server.evidence.storage import storage_root
from server.extensions import db
from server.models import (
    ContentStatus,
    ExtensionRequest,
    Photo,
    PhotoParent,
    ProgressReport,
    Rectification,
    RectificationStatus,
)
from server.rectification.colour import refresh_red_from
from server.settings import setting_default
from tests.api.test_console import console_login
from tests.conftest import PHOTOS

JPEG_A = PHOTOS / "jpg_gps_DSCN0010.jpg"  # normal 640×480 camera JPEGs (see the README)
JPEG_B = PHOTOS / "jpg_gps_DSCN0021.jpg"
SMALL = PHOTOS / "jpg_Canon_40D.jpg"


def login(client, auth, user) -> str:
    """Log into the console; returns the session's CSRF token."""
    console_login(client, auth, user)
    page = client.get("/console/").get_data(as_text=True)
    return page.split('name="csrf_token" value="')[1].split('"')[0]


def text(client, url, expect=200) -> str:
    response = client.get(url)
    assert response.status_code == expect, url
    return response.get_data(as_text=True)


def item_url(item) -> str:
    return f"/console/unit/items/{item['id']}"


def fresh(item) -> Rectification:
    db.session.expire_all()
    return db.session.get(Rectification, uuid.UUID(str(item["id"])))


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def upload(path, name=None):
    return (io.BytesIO(path.read_bytes()), name or path.name)


def post_form(client, url, csrf, files=(), **fields):
    data = {"csrf_token": csrf, **fields}
    if files:
        data["photos"] = list(files)
    return client.post(url, data=data, content_type="multipart/form-data")


def start_count(page: str, label: str) -> int:
    return int(re.search(rf'<span class="big">(\d+)</span>{label}', page).group(1))


def api_url(item) -> str:
    return f"/api/rectifications/{item['id']}"


def acknowledged(rw) -> dict:
    item = rw.issued()
    rw.post(rw.responder_a, f"{api_url(item)}/acknowledge")
    return item


def originals() -> list:
    return [p for p in (storage_root() / "originals").rglob("*") if p.is_file()]


# ---- who sees what ----


def test_responder_sees_only_own_units_issued_items(client, auth, rw):
    mine = rw.issued(problem="城区主干道井盖缺失未及时修复")
    theirs = rw.issued(finding_ids=[], unit_id=str(rw.unit_b.id), problem="林区防火通道堵塞")
    draft = rw.create(finding_ids=[], problem="草稿事项尚未交办给单位")
    login(client, auth, rw.responder_a)
    start = text(client, "/console/")
    assert start_count(start, "待签收") == 1 and start_count(start, "整改中") == 0
    listing = text(client, "/console/unit/items")
    assert mine["code"] in listing and "城区主干道井盖缺失未及时修复" in listing
    assert theirs["code"] not in listing and "林区防火通道堵塞" not in listing
    for tab in ("issued", "working", "closing", "closed", "red"):
        page = text(client, f"/console/unit/items?tab={tab}")
        assert draft["code"] not in page and "草稿事项尚未交办给单位" not in page
    assert "城区主干道井盖缺失未及时修复" in text(client, item_url(mine))
    text(client, item_url(theirs), expect=404)
    text(client, item_url(draft), expect=404)

    login(client, auth, rw.responder_b)
    start = text(client, "/console/")
    assert start_count(start, "待签收") == 1  # only unit B's own item
    listing = text(client, "/console/unit/items?tab=issued")
    assert theirs["code"] in listing and mine["code"] not in listing
    assert "城区主干道井盖缺失未及时修复" not in text(client, item_url(mine), expect=404)


def test_the_portal_is_for_responders_only(client, auth, rw):
    item = rw.issued()
    login(client, auth, rw.supervisor)
    assert client.get("/console/unit/items").status_code == 403
    assert client.get(item_url(item)).status_code == 403
    assert client.get("/console/unit/summons").status_code == 403


def test_empty_unit_sees_an_empty_state(client, auth, rw):
    login(client, auth, rw.responder_b)
    page = text(client, "/console/unit/items")
    assert "没有待签收的事项" in page
    assert start_count(text(client, "/console/"), "红色") == 0


def test_pages_are_phone_forms_with_csrf(client, auth, rw):
    item = acknowledged(rw)
    login(client, auth, rw.responder_a)
    page = text(client, item_url(item))
    forms = re.findall(r'<form method="post".*?</form>', page, re.S)
    assert len(forms) >= 3  # logout, progress, extension
    assert all('name="csrf_token" value="' in f for f in forms)
    assert 'type="file" accept="image/*" capture="environment" multiple' in page
    assert 'enctype="multipart/form-data"' in page
    script = client.get("/console/unit/portal.js")
    assert script.status_code == 200 and script.mimetype == "text/javascript"
    assert "disabled = true" in script.get_data(as_text=True)
    assert "/console/unit/portal.js" in page


# ---- 签收 ----


def test_acknowledge_needs_csrf_and_moves_the_item(client, auth, rw):
    item = rw.issued()
    csrf = login(client, auth, rw.responder_a)
    page = text(client, item_url(item))
    assert ">签收</button>" in page and "报送进展</button>" not in page
    assert client.post(f"{item_url(item)}/acknowledge").status_code == 400
    assert fresh(item).status == RectificationStatus.issued
    ask = client.post(f"{item_url(item)}/acknowledge", data={"csrf_token": csrf})
    assert ask.status_code == 200 and "确认签收" in ask.get_data(as_text=True)
    assert fresh(item).status == RectificationStatus.issued  # asked, not done
    sure = {"csrf_token": csrf, "confirm": "1"}
    response = client.post(f"{item_url(item)}/acknowledge", data=sure)
    assert response.status_code == 303
    assert fresh(item).status == RectificationStatus.acknowledged
    page = text(client, response.headers["Location"])
    assert "已签收。" in page and ">签收</button>" not in page and "报送进展</button>" in page
    # Twice: refused in Chinese, nothing changes.
    again = client.post(f"{item_url(item)}/acknowledge", data=sure)
    assert again.status_code == 409
    assert "不能签收" in again.get_data(as_text=True)
    assert start_count(text(client, "/console/"), "整改中") == 1


def test_another_units_responder_cannot_act(client, auth, rw):
    item = rw.issued()
    csrf = login(client, auth, rw.responder_b)
    assert (
        client.post(f"{item_url(item)}/acknowledge", data={"csrf_token": csrf}).status_code == 404
    )
    response = post_form(client, f"{item_url(item)}/progress", csrf, body="冒名报送", percent="50")
    assert response.status_code == 404
    assert fresh(item).status == RectificationStatus.issued
    assert count(ProgressReport) == 0


# ---- 整改进展 with photos ----


def test_progress_report_with_two_real_photos(client, auth, rw):
    item = acknowledged(rw)
    csrf = login(client, auth, rw.responder_a)
    files = [upload(JPEG_A), upload(JPEG_B), (io.BytesIO(b""), "")]  # an empty file input
    response = post_form(
        client, f"{item_url(item)}/progress", csrf, files, body="围挡已完成一半", percent="40"
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    assert fresh(item).status == RectificationStatus.in_progress
    assert fresh(item).progress_percent == 40
    report = db.session.scalars(select(ProgressReport)).one()
    photos = db.session.scalars(select(Photo).order_by(Photo.size_bytes.desc())).all()
    assert len(photos) == 2
    assert {p.parent_id for p in photos} == {report.id}
    assert {p.parent_type for p in photos} == {PhotoParent.progress_report}
    assert {p.sha256 for p in photos} == {
        hashlib.sha256(f.read_bytes()).hexdigest() for f in (JPEG_A, JPEG_B)
    }
    assert {p.content_status for p in photos} == {ContentStatus.stored}  # processed inline

    page = text(client, response.headers["Location"])
    assert "整改进展已报送" in page and "围挡已完成一半" in page
    for p in photos:
        assert f"/console/unit/photos/{p.id}/thumbnail" in page
        thumb = client.get(f"/console/unit/photos/{p.id}/thumbnail")
        assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg"
        assert thumb.data[:3] == b"\xff\xd8\xff"
        assert client.get(f"/console/unit/photos/{p.id}/display").status_code == 200
        assert client.get(f"/console/unit/photos/{p.id}/original").status_code == 404

    # A photo still being processed is shown as such.
    photos[0].content_status = ContentStatus.processing
    db.session.commit()
    page = text(client, item_url(item))
    assert "处理中" in page and f"/console/unit/photos/{photos[0].id}/thumbnail" not in page

    # Another unit's responder never sees them.
    login(client, auth, rw.responder_b)
    assert client.get(f"/console/unit/photos/{photos[1].id}/thumbnail").status_code == 404


def test_percent_out_of_range_is_refused_in_chinese_with_text_kept(client, auth, rw):
    item = acknowledged(rw)
    csrf = login(client, auth, rw.responder_a)
    body = "已拆除违章搭建,正在清运建筑垃圾"
    response = post_form(client, f"{item_url(item)}/progress", csrf, body=body, percent="150")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert '<p class="field-error" role="alert">须大于或等于 0 且小于或等于 100</p>' in page
    assert f">{body}</textarea>" in page and 'value="150"' in page
    response = post_form(client, f"{item_url(item)}/progress", csrf, body="", percent="20")
    assert response.status_code == 422
    assert '<p class="field-error" role="alert">必填</p>' in response.get_data(as_text=True)
    assert count(ProgressReport) == 0
    assert fresh(item).status == RectificationStatus.acknowledged


def test_a_text_file_as_photo_keeps_nothing_of_the_submission(client, auth, rw):
    item = acknowledged(rw)
    csrf = login(client, auth, rw.responder_a)
    files = [upload(JPEG_A), (io.BytesIO(b"not a photo\n" * 50), "notes.txt")]
    body = "整改方案已制定"
    response = post_form(client, f"{item_url(item)}/progress", csrf, files, body=body, percent="30")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "只能上传 JPEG、PNG、WebP 或 HEIC 照片" in page
    assert "不支持的文件类型:notes.txt" in page
    assert f">{body}</textarea>" in page
    assert count(ProgressReport) == 0 and count(Photo) == 0
    assert fresh(item).status == RectificationStatus.acknowledged
    assert fresh(item).progress_percent == 0
    assert originals() == []  # the JPEG stored before the refusal is gone too


def test_more_photos_than_allowed_are_refused_before_anything_is_written(client, auth, rw):
    item = acknowledged(rw)
    csrf = login(client, auth, rw.responder_a)
    files = [
        upload(SMALL, f"p{i}.jpg") for i in range(setting_default("max_photos_per_report") + 1)
    ]
    response = post_form(
        client, f"{item_url(item)}/progress", csrf, files, body="进展", percent="10"
    )
    assert response.status_code == 422
    assert f"每次最多上传 {setting_default('max_photos_per_report')} 张照片" in response.get_data(
        as_text=True
    )
    assert count(ProgressReport) == 0 and count(Photo) == 0 and originals() == []


# ---- 延期申请 ----


def test_extension_request_is_checked_then_shown_with_its_decision(client, auth, rw):
    item = acknowledged(rw)
    deadline = date.fromisoformat(item["deadline"])
    csrf = login(client, auth, rw.responder_a)
    reason = "施工材料未能按期到位,需要延期"
    early = (deadline - timedelta(days=3)).isoformat()
    response = client.post(
        f"{item_url(item)}/extension",
        data={"csrf_token": csrf, "requested_deadline": early, "reason": reason},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert '<p class="field-error" role="alert">申请的新时限须晚于现有时限</p>' in page
    assert f">{reason}</textarea>" in page and f'value="{early}"' in page
    assert count(ExtensionRequest) == 0

    wanted = (deadline + timedelta(days=30)).isoformat()
    response = client.post(
        f"{item_url(item)}/extension",
        data={"csrf_token": csrf, "requested_deadline": wanted, "reason": reason},
    )
    assert response.status_code == 303
    page = text(client, response.headers["Location"])
    assert "延期申请已提交" in page and wanted in page and "待审批" in page
    assert "已有延期申请等待督查室审批" in page and "提交延期申请" not in page
    extension = db.session.scalars(select(ExtensionRequest)).one()
    rw.post(
        rw.supervisor,
        f"{api_url(item)}/extensions/{extension.id}/decision",
        {"approve": False, "reason": "工期充足,不予延期"},
    )
    page = text(client, item_url(item))
    assert "未同意" in page and "工期充足,不予延期" in page and "提交延期申请" in page


# ---- 申请销号 ----


def test_closure_request_moves_the_item_to_awaiting_closure(client, auth, rw):
    item = rw.in_progress()
    csrf = login(client, auth, rw.responder_a)
    assert "申请销号</button>" in text(client, item_url(item))
    # More than the site-wide 2 MB body limit: the portal's upload routes allow photos.
    files = [
        upload(PHOTOS / "jpg_mobile_jolla.jpg"),
        upload(PHOTOS / "jpg_tests_36-memory_error.jpg"),
        upload(PHOTOS / "jpg_tests_30-type_error.jpg"),
        upload(JPEG_A),
    ]
    assert sum(len(f[0].getvalue()) for f in files) > 2 * 1024 * 1024
    response = post_form(client, f"{item_url(item)}/closure", csrf, files, body="围挡全部设置到位")
    assert response.status_code == 303, response.get_data(as_text=True)
    assert fresh(item).status == RectificationStatus.closure_requested
    closure = db.session.scalars(select(ProgressReport).where(ProgressReport.closure)).one()
    assert count(Photo) == 4
    assert {p.parent_id for p in db.session.scalars(select(Photo))} == {closure.id}
    page = text(client, response.headers["Location"])
    assert "销号申请已提交" in page and "围挡全部设置到位" in page and "销号申请" in page
    assert "申请销号</button>" not in page and "报送进展</button>" not in page
    assert item["code"] in text(client, "/console/unit/items?tab=closing")
    assert item["code"] not in text(client, "/console/unit/items?tab=working")
    # The office returns it: the unit reads the reason and can report again.
    rw.post(rw.supervisor, f"{api_url(item)}/return", {"reason": "东侧围挡仍有缺口"})
    page = text(client, item_url(item))
    assert f"退回 · {rw.supervisor.display_name}" in page and "东侧围挡仍有缺口" in page
    assert "报送进展</button>" in page


def test_closure_body_is_required(client, auth, rw):
    item = rw.in_progress()
    csrf = login(client, auth, rw.responder_a)
    response = post_form(client, f"{item_url(item)}/closure", csrf, [upload(JPEG_A)], body=" ")
    assert response.status_code == 422
    assert '<p class="field-error" role="alert">必填</p>' in response.get_data(as_text=True)
    assert fresh(item).status == RectificationStatus.in_progress
    assert count(Photo) == 0


# ---- what the unit never sees ----


def test_unit_pages_never_show_plans_findings_or_verifications(client, auth, rw):
    rw.findings[0].title = "暗访发现工地围挡缺失"
    db.session.commit()
    item = rw.in_progress()
    office = rw.post(
        rw.supervisor,
        f"{api_url(item)}/verifications",
        {"method": "field", "inspector_id": str(rw.inspector.id), "instructions": "暗访核实围挡"},
    )
    assert office["verifications"] and office["source_plan"]["code"] == rw.plan.code
    login(client, auth, rw.responder_a)
    pages = [
        text(client, item_url(item)),
        text(client, "/console/unit/items?tab=working"),
        text(client, "/console/unit/summons"),
        text(client, "/console/"),
    ]
    assert item["code"] in pages[0] and item["code"] in pages[1]
    for page in pages:
        for secret in (rw.plan.code, rw.plan.title, "暗访发现工地围挡缺失", "暗访核实围挡"):
            assert secret not in page
        for f in rw.findings:
            assert f.title not in page
        assert "复查" not in page and "回头看" not in page
        assert rw.inspector.display_name not in page


# ---- colours, summons and notifications ----


def test_red_item_is_counted_and_explained(client, auth, rw):
    item = acknowledged(rw)
    row = fresh(item)
    row.issued_at = datetime.now(UTC) - timedelta(days=60)  # no report for 60 days
    refresh_red_from(row)
    db.session.commit()
    login(client, auth, rw.responder_a)
    assert start_count(text(client, "/console/"), "红色") == 1
    assert item["code"] in text(client, "/console/unit/items?tab=red")
    page = text(client, item_url(item))
    assert '<span class="colour colour-red">红色</span>' in page
    assert "红色事项:" in page and "未按期报送进展" in page


def test_summons_and_notifications_of_the_unit(client, auth, rw):
    item = rw.issued()
    body = {
        "unit_id": str(rw.unit_a.id),
        "rectification_id": item["id"],
        "held_on": date.today().isoformat(),
        "person": "住建局局长",
        "reason": "整改推进缓慢,约谈主要负责人",
    }
    rw.post(rw.supervisor, "/api/rectifications/summons", body, expect=201)
    login(client, auth, rw.responder_a)
    page = text(client, "/console/unit/summons")
    assert "整改推进缓慢,约谈主要负责人" in page and "住建局局长" in page
    assert f"/console/unit/items/{item['id']}" in page
    assert "约谈:住建局" in page  # the notification
    assert f"新交办整改事项 {item['code']}" in page
    start = text(client, "/console/")
    assert "约谈:住建局" in start and "条未读" in start
    login(client, auth, rw.responder_b)
    page = text(client, "/console/unit/summons")
    assert "约谈主要负责人" not in page and "本单位暂无约谈记录" in page


@pytest.mark.parametrize("variant", ["evidence", "public"])
def test_photo_route_serves_only_small_variants(client, auth, rw, variant):
    item = acknowledged(rw)
    csrf = login(client, auth, rw.responder_a)
    post_form(
        client, f"{item_url(item)}/progress", csrf, [upload(JPEG_A)], body="进展", percent="5"
    )
    photo = db.session.scalars(select(Photo)).one()
    assert client.get(f"/console/unit/photos/{photo.id}/thumbnail").status_code == 200
    assert client.get(f"/console/unit/photos/{photo.id}/{variant}").status_code == 404


def test_photo_route_serves_progress_report_photos_only(client, auth, rw):
    """visible_photo lets an author see any photo of their own; the portal still serves
    only the photos of the unit's progress reports (and the problem photos of its issued
    items: tests/api/test_responder_photos.py), not a finding photo behind no item of
    the unit's."""
    item = acknowledged(rw)
    csrf = login(client, auth, rw.responder_a)
    post_form(
        client, f"{item_url(item)}/progress", csrf, [upload(JPEG_A)], body="进展", percent="5"
    )
    photo = db.session.scalars(select(Photo)).one()
    url = f"/console/unit/photos/{photo.id}/thumbnail"
    assert client.get(url).status_code == 200
    photo.parent_type, photo.parent_id = PhotoParent.finding, rw.findings[1].id
    db.session.commit()
    assert client.get(url).status_code == 404
