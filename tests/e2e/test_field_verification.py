"""回头看 in the field app: the office sends an inspector back to an item made from a
finding with a real photo; the inspector syncs, goes offline, sees the original photo from
the device's cache, takes an "after" photo, reports, survives an offline reload, syncs when
the network is back; the office decides and the task leaves the device.

Everything the office and the unit do goes over HTTP to the live server (a separate
browser context's request API), as their own clients would; the test thread only reads.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from server.extensions import db
from server.models import Photo, PhotoParent, Rectification, Role, UnitKind, Verification
from tests.api.rect_helpers import make_finding
from tests.api.sync_helpers import tus_headers
from tests.conftest import PHOTOS
from tests.e2e.test_field_app_e2e import (
    log_in,
    outbox_count,
    read,
    sync_until_drained,
    wait_for_controller,
)
from tests.factories import PASSWORD

pytestmark = pytest.mark.e2e

BEFORE = PHOTOS / "jpg_gps_DSCN0010.jpg"  # the finding's photo (640 × 480)
AFTER = PHOTOS / "jpg_orientation_landscape_6.jpg"  # taken on the follow-up visit
PROBLEM = "保障房工地未按要求设置施工围挡"
INSTRUCTIONS = "核实东侧围挡是否已设置到位,并拍摄整改后照片"
REPORT = "东侧围挡已按标准设置,现场已清理,与整改报告一致。"
ADDENDUM = "补充:西侧材料堆放已规范。"


class Api:
    """The JSON API of the live server, as the office's and the unit's clients use it."""

    def __init__(self, request):
        self.request = request
        self.tokens: dict = {}

    def headers(self, user) -> dict:
        if user.id not in self.tokens:
            response = self.request.post(
                "/api/auth/login", data={"username": user.username, "password": PASSWORD}
            )
            assert response.ok, response.text()
            self.tokens[user.id] = response.json()["access_token"]
        return {"Authorization": f"Bearer {self.tokens[user.id]}"}

    def post(self, user, url, body=None, expect=200):
        response = self.request.post(url, data=body or {}, headers=self.headers(user))
        assert response.status == expect, (url, response.status, response.text())
        return response.json()

    def delete(self, user, url):
        response = self.request.delete(url, headers=self.headers(user))
        assert response.ok, (url, response.status, response.text())
        return response.json()

    def upload_photo(self, user, parent_id, path) -> str:
        """A finding photo as a device sends it: the record, then the bytes over tus."""
        content = path.read_bytes()
        photo_id = str(uuid.uuid4())
        sha256 = hashlib.sha256(content).hexdigest()
        result = self.post(
            user,
            "/api/sync/push",
            {
                "device_id": str(uuid.uuid4()),
                "mutations": [
                    {
                        "mutation_id": str(uuid.uuid4()),
                        "entity": "photo",
                        "op": "create",
                        "id": photo_id,
                        "base_version": None,
                        "data": {
                            "parent_type": "finding",
                            "parent_id": str(parent_id),
                            "sha256": sha256,
                            "size_bytes": len(content),
                            "mime_type": "image/jpeg",
                            "captured_at": datetime.now(UTC).isoformat(),
                            "lat": 26.4533,
                            "lon": 106.9769,
                            "accuracy_m": 8.0,
                            "location_source": "geolocation",
                        },
                        "client_time": datetime.now(UTC).isoformat(),
                    }
                ],
            },
        )["results"][0]
        assert result["status"] == "applied", result
        creation, sending = tus_headers(photo_id, content)
        created = self.request.post("/api/uploads", headers={**self.headers(user), **creation})
        assert created.status == 201, created.text()
        location = created.headers["location"]
        patched = self.request.patch(
            location, data=content, headers={**self.headers(user), **sending}
        )
        assert patched.status == 204, patched.text()
        return photo_id


@pytest.fixture
def api(browser, live_server):
    context = browser.new_context(base_url=live_server)
    yield Api(context.request)
    context.close()


def local(page, script: str):
    """Evaluate against the app's IndexedDB module."""
    return page.evaluate(f"import('/pwa/db.js').then(async (db) => {script})")


@dataclass
class Scene:
    supervisor: object
    checker: object
    site: object
    item: dict
    url: str
    verification_id: uuid.UUID
    before_id: str | None


def send_back(factory, api, with_photo=True) -> Scene:
    """An item made from a finding (with a stored photo), worked on by the unit up to its
    closure request; the office sends `checker` back to the site (回头看)."""
    office = factory.unit("县委督查室", kind=UnitKind.office)
    target = factory.unit("住建局")
    supervisor = factory.user(Role.supervisor, office)
    author = factory.user(Role.inspector, office)  # found the problem
    checker = factory.user(Role.inspector, office)  # is sent back
    leader = factory.user(Role.leader, office)
    responder = factory.user(Role.responder, target)
    site = factory.site(target, lat=26.4532, lon=106.9768, radius_m=200)
    plan = factory.plan(office, supervisor, team=[author], sites=[site])
    finding = make_finding(plan, author, site, title="东侧未设围挡")
    db.session.commit()

    before_id = api.upload_photo(author, finding.id, BEFORE) if with_photo else None
    item = api.post(
        supervisor,
        "/api/rectifications",
        {
            "finding_ids": [str(finding.id)],
            "unit_id": str(target.id),
            "problem": PROBLEM,
            "measures": "三日内完成围挡设置并清理现场",
            "requirements": "按标准化工地要求整改到位",
            "lead_official_id": str(leader.id),
            "responsible_person": "王局长",
            "deadline": date.today().replace(year=date.today().year + 1).isoformat(),
        },
        expect=201,
    )
    url = f"/api/rectifications/{item['id']}"
    api.post(supervisor, f"{url}/issue")
    api.post(responder, f"{url}/acknowledge")
    api.post(responder, f"{url}/progress", {"body": "已开始整改", "percent": 50}, expect=201)
    api.post(responder, f"{url}/closure-request", {"body": "围挡已全部设置完毕"})
    api.post(
        supervisor,
        f"{url}/verifications",
        {"method": "field", "inspector_id": str(checker.id), "instructions": INSTRUCTIONS},
    )
    verification_id = read(
        lambda: db.session.scalar(
            select(Verification.id).where(Verification.rectification_id == uuid.UUID(item["id"]))
        )
    )
    return Scene(supervisor, checker, site, item, url, verification_id, before_id)


def test_follow_up_visit_offline_from_task_to_closure(field_context, live_server, factory, api):
    scene = send_back(factory, api)
    supervisor, checker, site, item = scene.supervisor, scene.checker, scene.site, scene.item
    url, verification_id, before_id = scene.url, scene.verification_id, scene.before_id

    # The inspector logs in; the first sync brings the task and keeps its original photo.
    context = field_context
    page = context.new_page()
    page.goto("/")
    log_in(page, checker)
    task = page.locator(f'[data-verification="{verification_id}"]')
    expect(task).to_contain_text(PROBLEM)
    expect(task).to_contain_text(item["code"])
    expect(task).to_contain_text(site.name)
    expect(task.locator(".task-status")).to_have_text("待复查")
    page.evaluate("window.zhicha.syncNow()")  # the run under way (photos cached) is over
    wait_for_controller(page)
    cached = local(page, "(await db.getAll('photo_cache')).map((r) => r.key).sort()")
    assert cached == [f"{before_id}:display", f"{before_id}:thumbnail"]

    # Offline from here. The task opens with everything the visit needs.
    context.set_offline(True)
    photo_requests = []
    context.on("request", lambda r: "/api/photos/" in r.url and photo_requests.append(r.url))
    task.get_by_role("link").click()
    expect(page.locator("#task-problem")).to_have_text(PROBLEM)
    expect(page.locator("#task-instructions")).to_contain_text(INSTRUCTIONS)
    expect(page.locator("#task-measures")).to_have_text("三日内完成围挡设置并清理现场")
    expect(page.locator("#task-requirements")).to_have_text("按标准化工地要求整改到位")
    expect(page.locator("#task-site-name")).to_have_text(site.name)
    expect(page.locator("#verify-inside")).to_have_text("在点位范围内(半径 200 米)")
    expect(page.locator("#verify-distance")).to_have_text(re.compile(r"^\d+ 米$"))

    # The original photo, from the device's cache: the thumbnail, and the larger copy.
    thumb = page.locator("#original-photos img")
    expect(thumb).to_have_count(1)
    expect(thumb).to_have_attribute("src", re.compile(r"^blob:"))
    thumb_width = thumb.evaluate("(img) => img.decode().then(() => img.naturalWidth)")
    assert 0 < thumb_width <= 400
    thumb.click()
    large = page.locator("#original-viewer img")
    assert large.evaluate("(img) => img.decode().then(() => img.naturalWidth)") == 640
    assert photo_requests == []

    # An after photo with the camera input, a report and an opinion; saved on the device.
    page.get_by_label("拍照").set_input_files(str(AFTER))
    expect(page.get_by_text("已选择 1 张照片")).to_be_visible()
    page.get_by_label("复查情况").fill(REPORT)
    page.get_by_role("radio", name="整改到位", exact=True).check()
    page.get_by_role("button", name="保存复查报告").click()
    expect(page.locator("#after-photos > li")).to_have_count(1)
    expect(page.locator("#after-photos .badge-pending")).to_have_count(1)
    expect(page.locator("#task-status")).to_have_text("已报告")
    assert outbox_count(page) == 3  # the report, the photo record, the photo's bytes

    # Reload offline: nothing is lost.
    page.reload()
    expect(page.locator("#task-problem")).to_have_text(PROBLEM)
    expect(page.get_by_label("复查情况")).to_have_value(REPORT)
    expect(page.get_by_role("radio", name="整改到位", exact=True)).to_be_checked()
    expect(page.locator("#after-photos > li")).to_have_count(1)
    expect(page.locator("#original-photos img")).to_have_count(1)
    assert outbox_count(page) == 3

    # A second save, still offline: queued after the first, based on the version the first
    # will leave on the server.
    page.get_by_label("复查情况").fill(f"{REPORT}{ADDENDUM}")
    page.get_by_role("button", name="保存复查报告").click()
    expect(page.locator("#flash")).to_contain_text("复查报告已保存")
    assert outbox_count(page) == 4
    page.get_by_role("link", name="‹ 返回").click()
    expect(task.locator(".task-status")).to_have_text("已报告")
    expect(task).to_contain_text("待同步")

    def server_side():
        v = db.session.execute(
            select(
                Verification.status,
                Verification.report,
                Verification.opinion,
                Verification.lat,
                Verification.lon,
                Verification.version,
            ).where(Verification.id == verification_id)
        ).one()
        photos = db.session.execute(
            select(Photo.sha256, Photo.content_status, Photo.created_by_id).where(
                Photo.parent_type == PhotoParent.verification,
                Photo.parent_id == verification_id,
            )
        ).all()
        return v._asdict(), [p._asdict() for p in photos]

    state, photos = read(server_side)
    assert state["status"].value == "assigned" and state["report"] == "" and photos == []

    # Online again. The first push reaches the server but its answer is lost: the device
    # sends the same mutations again and nothing is applied twice.
    version = read(
        lambda: db.session.scalar(
            select(Verification.version).where(Verification.id == verification_id)
        )
    )
    pushes: list[list[str]] = []

    def on_push(route, request):
        pushes.append([m["mutation_id"] for m in request.post_data_json["mutations"]])
        if len(pushes) == 1:
            route.fetch()
            route.abort("connectionreset")
            return
        route.continue_()

    page.route("**/api/sync/push", on_push)
    context.set_offline(False)
    sync_until_drained(page)
    assert len(pushes) >= 2 and pushes[1] == pushes[0] and len(pushes[0]) == 3
    state, photos = read(server_side)
    assert state["status"].value == "reported"
    assert state["report"] == f"{REPORT}{ADDENDUM}" and state["opinion"] == "passed"
    assert state["version"] == version + 2
    assert state["lat"] == pytest.approx(26.4533) and state["lon"] == pytest.approx(106.9769)
    assert len(photos) == 1
    assert photos[0]["sha256"] == hashlib.sha256(AFTER.read_bytes()).hexdigest()
    assert photos[0]["content_status"].value == "stored"
    assert photos[0]["created_by_id"] == checker.id
    expect(task.locator(".task-status")).to_have_text("已报告")
    expect(task).not_to_contain_text("待同步")

    # The office decides: passed, the item is closed (销号).
    closed = api.post(
        supervisor, f"{url}/verifications/{verification_id}/decision", {"passed": True}
    )
    assert closed["status"] == "closed"
    status = read(
        lambda: db.session.scalar(
            select(Rectification.status).where(Rectification.id == uuid.UUID(item["id"]))
        )
    )
    assert status.value == "closed"

    # The next sync takes the task, the item and the cached photos off the device.
    page.evaluate("window.zhicha.syncNow()")
    expect(page.locator("#verification-list")).to_have_text("暂无回头看任务")
    expect(task).to_have_count(0)
    left = local(
        page,
        "(await db.getAll('records')).map((r) => `${r.entity}:${r.data?.parent_type || ''}`)",
    )
    assert not [e for e in left if e.split(":")[0] in ("verification", "rectification")]
    assert "photo:verification" not in left
    assert local(page, "(await db.getAll('photo_cache')).length") == 0
    assert outbox_count(page) == 0


def test_a_task_called_off_while_offline_keeps_the_unsynced_report(field_context, factory, api):
    scene = send_back(factory, api, with_photo=False)
    context = field_context
    page = context.new_page()
    page.goto("/")
    log_in(page, scene.checker)
    task = page.locator(f'[data-verification="{scene.verification_id}"]')
    expect(task.locator(".task-status")).to_have_text("待复查")
    page.evaluate("window.zhicha.syncNow()")

    # Offline, the inspector reports with an after photo...
    context.set_offline(True)
    task.get_by_role("link").click()
    expect(page.locator("#original-photos")).to_have_count(0)
    expect(page.get_by_text("该事项没有整改前照片")).to_be_visible()
    page.get_by_label("拍照").set_input_files(str(AFTER))
    expect(page.get_by_text("已选择 1 张照片")).to_be_visible()
    page.get_by_label("复查情况").fill(REPORT)
    page.get_by_role("radio", name="未整改到位", exact=True).check()
    page.get_by_role("button", name="保存复查报告").click()
    expect(page.locator("#after-photos > li")).to_have_count(1)

    # ...while the office calls the visit off.
    api.delete(scene.supervisor, f"{scene.url}/verifications/{scene.verification_id}")

    # Online: the server refuses the report and the photo; the device keeps both, says why,
    # and the task stays visible as ended (never silently dropped).
    context.set_offline(False)
    page.evaluate("window.zhicha.syncNow()")
    page.evaluate("window.zhicha.syncNow()")
    assert outbox_count(page) == 3  # the report, the photo record, the photo's bytes
    page.reload()
    expect(page.locator("#task-ended")).to_contain_text("复查已结束,未同步的内容已保存在本机")
    expect(page.locator("#task-attention")).to_contain_text("该复查已结束")
    expect(page.get_by_label("复查情况")).to_have_value(REPORT)
    expect(page.get_by_role("radio", name="未整改到位", exact=True)).to_be_checked()
    expect(page.locator("#after-photos > li")).to_have_count(1)
    expect(page.get_by_role("button", name="保存复查报告")).to_be_disabled()
    page.get_by_role("link", name="‹ 返回").click()
    expect(task.locator(".task-status")).to_have_text("复查已结束")
    expect(task).to_contain_text("需要处理")
    page.goto("/#/outbox")
    expect(page.locator("#outbox-open .badge-attention")).to_have_count(2)
    expect(page.locator("#outbox-open")).to_contain_text("该复查已结束")
    expect(page.locator("#outbox-open")).to_contain_text("本机的整改后照片无法再提交")

    def server_side():
        v = db.session.execute(
            select(Verification.status, Verification.report).where(
                Verification.id == scene.verification_id
            )
        ).one()
        photos = db.session.scalar(
            select(func.count()).select_from(Photo).where(Photo.parent_id == scene.verification_id)
        )
        return v.status.value, v.report, photos

    assert read(server_side) == ("cancelled", "", 0)
