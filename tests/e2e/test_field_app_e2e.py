"""The field app on a phone-sized Chromium: log in online, work offline (check-in, a finding
with two real photos), survive reloads, sync when the network is back, resume a photo upload
cut off mid-way from the server's offset, and never duplicate anything.

What cuts the network here, as found with Playwright 1.65 and Debian's Chromium 156:
- `context.set_offline(True)` makes the page offline (navigator.onLine false, page fetches
  fail) AND reaches the service worker's own fetches: on an offline reload the worker's
  network attempt for "/" fails with ERR_INTERNET_DISCONNECTED and the page is answered
  from the worker's cache (both asserted below).
- The app's /api/ requests are not handled by the service worker (it never calls
  respondWith for them), so `page.route` sees them; the cuts use it to let a request reach
  the server and then drop its answer, as a connection lost after the server committed.
- `context.route` / `page.route` do NOT see the browser's fetch of the worker script
  itself (sw.js); the update test serves a changed copy of pwa/ instead.
"""

from __future__ import annotations

import hashlib

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from server.extensions import db
from server.models import Finding, Photo, Role, UnitKind, Visit
from tests.conftest import PHOTOS
from tests.e2e.conftest import FIELD_POSITION
from tests.factories import PASSWORD

pytestmark = pytest.mark.e2e

PHOTO_FILES = [PHOTOS / "jpg_gps_DSCN0010.jpg", PHOTOS / "jpg_orientation_landscape_6.jpg"]
CHUNK = 48 * 1024  # small PATCH chunks so each photo takes several (the app's default: 256 KiB)


def read(query):
    """Run a read in a short transaction, ended at once: on SQLite an open transaction in
    the test thread would hold the write lock against the live server. Ended by a commit
    (nothing to write), not a rollback: a rollback expires the factories' objects, and
    touching one later would lazily open a new transaction behind the browser's back."""
    try:
        return query()
    finally:
        db.session.commit()


def counts() -> dict:
    return read(
        lambda: {
            model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
            for model in (Visit, Finding, Photo)
        }
    )


def wait_for_controller(page) -> None:
    """Until the service worker controls the page. (Not page.wait_for_function: its string
    predicates are eval'd in the page, which the app's CSP forbids.)"""
    page.evaluate(
        """() => Boolean(navigator.serviceWorker.controller) || new Promise((resolve) =>
            navigator.serviceWorker.addEventListener("controllerchange", () => resolve(true)))"""
    )


def outbox_count(page) -> int:
    return page.evaluate("window.zhicha.outboxCount()")


def sync_until_drained(page, rounds=20):
    """Drive syncs until the outbox is empty, in at most `rounds` complete sync runs (each
    syncNow resolves when its run has ended; a run cut by the network leaves work for the
    next). Bounded by runs, not by time: a slow machine needs no more runs than a fast one.
    (page.wait_for_function does not await an async predicate: it takes the returned
    Promise for a truthy value.)"""
    for _ in range(rounds):
        if not page.evaluate("window.zhicha.syncNow().then(() => window.zhicha.outboxCount())"):
            return
        page.wait_for_timeout(200)
    pytest.fail(f"the outbox did not drain in {rounds} syncs")


def test_offline_capture_then_sync_with_a_resumed_upload(field_context, live_server, factory):
    office = factory.unit(kind=UnitKind.office)
    inspector = factory.user(Role.inspector, unit=office)
    supervisor = factory.user(Role.supervisor, unit=office)
    site = factory.site(lat=26.4532, lon=106.9768, radius_m=200)
    plan = factory.plan(office, supervisor, team=[inspector], sites=[site])
    db.session.commit()

    context = field_context
    context.add_init_script(f"localStorage.setItem('zhicha.chunkSize', '{CHUNK}')")
    shell_requests = []
    context.on("request", lambda r: r.url == f"{live_server}/" and shell_requests.append(r))
    page = context.new_page()

    # Log in (online); the first sync brings the plan and its site.
    page.goto("/")
    page.get_by_label("用户名").fill(inspector.username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.locator("#home-user")).to_contain_text(inspector.display_name)
    expect(page.get_by_text(plan.title)).to_be_visible()
    expect(page.get_by_text(f"督查事项:{plan.matter}")).to_be_visible()
    wait_for_controller(page)

    # Offline: the app still loads, from the service worker's cache.
    context.set_offline(True)
    shell_requests.clear()
    page.reload()  # the worker tries the network first; offline, it answers from its cache
    expect(page.locator("#home-view")).to_be_visible()
    expect(page.locator("#net-badge")).to_contain_text("离线")
    navigation = [r for r in shell_requests if r.is_navigation_request()]
    from_worker = [r for r in shell_requests if r.service_worker]
    assert navigation and all(r.response().from_service_worker for r in navigation)
    assert from_worker and all("INTERNET_DISCONNECTED" in r.failure for r in from_worker)

    # Check in at the site (the device is 14 m away, inside the 200 m radius).
    page.get_by_role("link", name=site.name).click()
    expect(page.locator("#geo-inside")).to_contain_text("在点位范围内")
    expect(page.locator("#geo-accuracy")).to_have_text(f"±{FIELD_POSITION['accuracy']} 米")
    page.get_by_role("button", name="到场签到").click()
    expect(page.locator("#visit-status")).to_contain_text("已于")

    # A finding with two real photos from the gallery input.
    page.get_by_role("link", name="记录问题").click()
    page.get_by_role("button", name="保存问题").click()
    expect(page.get_by_role("alert").filter(has_text="请填写问题标题")).to_be_visible()
    page.get_by_label("问题标题").fill("保障房工地未按规定设置安全防护")
    page.get_by_label("问题描述").fill("三层以上脚手架无防护网,现场无安全员。")
    page.locator("label.segment", has_text="较重").click()
    page.get_by_label("从相册选择").set_input_files([str(p) for p in PHOTO_FILES])
    expect(page.get_by_text("已选择 2 张照片")).to_be_visible()
    page.get_by_role("button", name="保存问题").click()
    expect(page.locator("#visit-status")).to_be_visible()

    # Reload offline: everything is still there, waiting in the outbox.
    page.reload()
    page.goto("/#/outbox")
    expect(page.get_by_role("heading", name="待同步")).to_be_visible()
    expect(page.locator("#outbox-open > li")).to_have_count(4)  # visit, finding, 2 photos
    expect(page.locator("#outbox-open .badge-pending")).to_have_count(4)
    assert outbox_count(page) == 6  # 4 mutations + 2 photo uploads
    assert counts() == {"visit": 0, "finding": 0, "photo": 0}

    # Back online. One PATCH reaches the server but its answer is lost (as when the
    # connection drops after the server has written the chunk).
    patches: list[tuple[str, int]] = []
    cut: list[tuple[str, int]] = []

    def on_upload(route, request):
        if request.method != "PATCH":
            route.continue_()
            return
        offset = int(request.headers["upload-offset"])
        patches.append((request.url, offset))
        if not cut and offset > 0:
            route.fetch()  # the server receives and stores this chunk...
            cut.append((request.url, offset))
            route.abort("connectionreset")  # ...but the device never hears back
            return
        route.continue_()

    # The first push is cut the same way: the server applies it, the device hears nothing
    # and must resend the SAME mutation ids (answered "duplicate", nothing doubled).
    pushes: list[list[str]] = []

    def on_push(route, request):
        pushes.append([m["mutation_id"] for m in request.post_data_json["mutations"]])
        if len(pushes) == 1:
            route.fetch()
            route.abort("connectionreset")
            return
        route.continue_()

    creations = []
    page.route("**/api/sync/push", on_push)
    page.route("**/api/uploads/*", on_upload)
    page.on(
        "request",
        lambda r: r.method == "POST" and r.url.endswith("/api/uploads") and creations.append(r),
    )
    with page.expect_request("**/api/sync/push"):  # the `online` event starts a sync
        context.set_offline(False)
    for _ in range(20):  # sync until the cut has happened (each syncNow: one whole run)
        if cut:
            break
        page.evaluate("window.zhicha.syncNow()")
    assert cut, "no PATCH was cut in 20 syncs"
    assert len(pushes) >= 2 and pushes[1] == pushes[0] and len(pushes[0]) == 4

    # Restart the app before it retries: the upload resumes from what IndexedDB and the
    # server know (upload URL kept per photo; HEAD gives the offset), not from byte 0.
    page.reload()
    sync_until_drained(page)
    url, cut_offset = cut[0]
    after = [offset for u, offset in patches[patches.index(cut[0]) + 1 :] if u == url]
    assert after and after[0] == cut_offset + CHUNK, (cut_offset, after)
    assert 0 not in after
    assert len(creations) == 2  # one POST per photo: the cut one was not created again

    # The server holds exactly what was recorded, with the photos' exact bytes.
    assert counts() == {"visit": 1, "finding": 1, "photo": 2}

    def stored():
        finding = db.session.execute(
            select(Finding.id, Finding.title, Finding.severity, Finding.visit_id)
        ).one()
        photos = db.session.execute(
            select(Photo.sha256, Photo.content_status, Photo.location_source, Photo.parent_id)
        )
        visit_id = db.session.scalars(select(Visit.id)).one()
        return finding._asdict(), visit_id, [p._asdict() for p in photos]

    finding, visit_id, photos = read(stored)
    assert finding["title"] == "保障房工地未按规定设置安全防护"
    assert finding["severity"].value == "medium"
    assert finding["visit_id"] == visit_id
    expected = sorted(hashlib.sha256(p.read_bytes()).hexdigest() for p in PHOTO_FILES)
    assert sorted(p["sha256"] for p in photos) == expected
    assert {p["content_status"].value for p in photos} == {"stored"}
    assert {p["location_source"].value for p in photos} == {"geolocation"}
    assert {p["parent_id"] for p in photos} == {finding["id"]}

    # The outbox shows everything synced; a second sync changes nothing on the server.
    expect(page.locator("#outbox-summary")).to_have_text("全部已同步")
    expect(page.locator("#outbox-open")).to_have_count(0)
    expect(page.locator("#outbox-done .badge-synced")).to_have_count(4)
    before = counts()
    page.evaluate("window.zhicha.syncNow()")
    assert counts() == before
    assert outbox_count(page) == 0


def log_in(page, user):
    page.get_by_label("用户名").fill(user.username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.locator("#home-user")).to_contain_text(user.display_name)


def plan_for_inspector(factory):
    office = factory.unit(kind=UnitKind.office)
    inspector = factory.user(Role.inspector, unit=office)
    supervisor = factory.user(Role.supervisor, unit=office)
    site = factory.site(lat=26.4532, lon=106.9768)
    plan = factory.plan(office, supervisor, team=[inspector], sites=[site])
    db.session.commit()
    return inspector, plan, site


def local_entities(page) -> list[str]:
    return page.evaluate(
        "import('/pwa/db.js').then(async (db) => (await db.getAll('records')).map(r => r.entity))"
    )


def test_logout_keeps_unsynced_work_until_the_same_user_logs_in(field_context, factory):
    inspector, plan, site = plan_for_inspector(factory)
    page = field_context.new_page()
    page.goto("/")
    log_in(page, inspector)
    expect(page.get_by_text(plan.title)).to_be_visible()

    field_context.set_offline(True)
    page.get_by_role("link", name=site.name).click()
    expect(page.locator("#geo-inside")).to_contain_text("在点位范围内")
    page.get_by_role("button", name="到场签到").click()
    expect(page.locator("#visit-status")).to_be_visible()
    page.get_by_role("link", name="‹ 返回计划").click()

    # Logging out warns how much is unsynced: "cancel" keeps the session, "OK" logs out.
    answers, messages = [False, True], []

    def on_dialog(dialog):
        messages.append(dialog.message)
        dialog.accept() if answers.pop(0) else dialog.dismiss()

    page.on("dialog", on_dialog)
    page.get_by_role("button", name="退出登录").click()
    page.get_by_role("button", name="退出登录").click()
    expect(page.get_by_role("heading", name="登录")).to_be_visible()
    assert len(messages) == 2 and all("还有 1 项数据尚未同步" in m for m in messages)
    # The secret plan and site are gone from the device; the unsynced visit is not.
    assert local_entities(page) == ["visit"]
    expect(page.locator("#login-note")).to_contain_text("未同步数据")

    field_context.set_offline(False)
    log_in(page, inspector)
    expect(page.locator("#home-outbox")).to_have_text("0 项")
    assert counts()["visit"] == 1


def test_a_new_version_is_offered_and_the_page_reloads_once(
    field_context, factory, tmp_path, monkeypatch
):
    import shutil

    import server.web

    pwa = tmp_path / "pwa"
    shutil.copytree(server.web.PWA_DIR, pwa)
    monkeypatch.setattr(server.web, "PWA_DIR", pwa)
    inspector, plan, _ = plan_for_inspector(factory)
    page = field_context.new_page()
    loads = []
    page.on("load", lambda _: loads.append(page.url))
    page.goto("/")
    log_in(page, inspector)
    wait_for_controller(page)

    # Deploy a new version: the browser finds a changed sw.js and installs it (waiting).
    sw = pwa / "sw.js"
    sw.write_text(sw.read_text().replace('const VERSION = "', 'const VERSION = "next-', 1))
    page.evaluate("navigator.serviceWorker.getRegistration().then((r) => r.update())")
    banner = page.locator("#update-banner")
    expect(banner).to_contain_text("有新版本可用")
    before = len(loads)
    with page.expect_event("load"):
        page.get_by_role("button", name="立即更新").click()
    expect(banner).to_be_hidden()
    expect(page.locator("#home-user")).to_contain_text(inspector.display_name)
    caches = page.evaluate("caches.keys()")
    assert len(caches) == 1 and caches[0].startswith("zhicha-shell-next-")
    page.wait_for_timeout(500)  # a reload loop would show up as more loads
    assert len(loads) - before == 1
    assert page.evaluate("navigator.serviceWorker.getRegistration().then((r) => !r.waiting)")


def test_a_refused_refresh_token_asks_to_log_in_again_and_keeps_the_work(field_context, factory):
    inspector, plan, site = plan_for_inspector(factory)
    page = field_context.new_page()
    page.goto("/")
    log_in(page, inspector)
    expect(page.get_by_text(plan.title)).to_be_visible()
    # The login is revoked elsewhere (as by a password change): both tokens stop working.
    page.evaluate(
        """import('/pwa/db.js').then(async (db) => {
            const auth = await db.getMeta('auth');
            await fetch('/api/auth/logout', {method: 'POST',
                headers: {Authorization: `Bearer ${auth.refresh_token}`}});
        })"""
    )

    page.get_by_role("link", name=site.name).click()
    expect(page.locator("#geo-inside")).to_contain_text("在点位范围内")
    page.get_by_role("button", name="到场签到").click()  # saved, then a sync is refused
    page.get_by_role("link", name="‹ 返回计划").click()
    expect(page.get_by_role("alert").filter(has_text="登录已过期")).to_be_visible()
    assert outbox_count(page) == 1
    page.reload()  # still usable (offline capture continues), still asking to log in
    expect(page.get_by_role("alert").filter(has_text="登录已过期")).to_be_visible()
    assert outbox_count(page) == 1 and counts()["visit"] == 0

    page.get_by_role("button", name="重新登录").click()
    expect(page.get_by_label("用户名")).to_have_value(inspector.username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page.locator("#home-view")).to_be_visible()
    sync_until_drained(page)
    assert counts()["visit"] == 1
