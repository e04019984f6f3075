"""Accessibility of every console page and every field-app view, in real Chromium (issue 15).

Each role logs in on the access matrix's world (tests/api/access_matrix_world.py: objects of
every kind) and opens every console page it may open: the GET rules of the app's url_map
under /console that the matrix table (tests/api/test_access_matrix.py) grants the role,
path parameters filled with each object of the role's own side that it may see. So a new
page is checked as soon as it is routed and in the table. Answers that are not HTML
(photos, scripts, CSV, JSON) are skipped.

At 390 px and at 1280 px: axe-core (axe-playwright-python; WCAG 2.0-2.2 A and AA rules and
axe's best practices) finds no violation, and the page is no wider than the screen. At
390 px also: no box scrolls sideways inside the page, no table squeezes its text into
columns under 80 px (lists are cards on a phone), and every link, button, form control and
summary is at least 44 x 44 px (a control's label counts as its target).
Exempt from the size (WCAG 2.5.8's inline exception): a link inside running text, i.e. a
link whose parent holds words of its own around it (a "·" between links is not a sentence).

The demo county (flask seed-demo) is checked too, for the roles with real lists: long
names, many rows, every state of an item. ZHICHA_A11Y_SHOTS=<dir> saves a screenshot of
every view at each width, for review.

The field app's views are checked the same way at 390 px: login (and a refused login),
home, site (before and after an offline check-in), finding (with a photo picked, and
refused for a missing title), interview, outbox, password and the 回头看 verification task.

Every problem is collected and reported at once, naming the page, the width, the rule and
the element, so a page added later can be fixed from the message alone.

On SQLite only: accessibility is a property of the markup, which is the same on both
databases, and the walk is the suite's longest part (the access matrix and the secrecy
crawl render every console page on PostgreSQL too)."""

from __future__ import annotations

import itertools
import json
import os
import re
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from server.extensions import db
from tests.api.access_matrix import (
    FIXED,
    FIXED_CONSOLE,
    PARAM,
    PARENT,
    PARENT_PARAM,
    PATH_KINDS,
    Matrix,
    console_routes,
)
from tests.api.test_access_matrix import CONSOLE, SEEN, VALIDATES_FIRST
from tests.conftest import PHOTOS
from tests.e2e.a11y_probes import OVERFLOW, SMALL_TARGETS
from tests.e2e.conftest import FIELD_POSITION
from tests.e2e.test_login_e2e import log_in

pytestmark = [
    pytest.mark.e2e,
    # The markup is the same on both databases: the walks run on SQLite only (not
    # collected for PostgreSQL, rather than skipped there).
    pytest.mark.parametrize("backend", ["sqlite"], indirect=True),
]

PHONE = 390
WIDTHS = (PHONE, 1280)
MIN_TARGET = 44
AXE_OPTIONS = {
    "runOnly": {
        "type": "tag",
        # WCAG 2.0-2.2 A and AA, and axe's best practices (heading order, landmarks, ...)
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"],
    },
    "resultTypes": ["violations"],
}
AXE_SCRIPT = Axe().axe_script  # axe-core as bundled by axe-playwright-python


def check_view(page, name: str, width: int, problems: list[str]) -> None:
    """Axe, and at phone width the page's own width and its targets; problems appended."""
    where = f"{name} @{width}px"
    page.wait_for_load_state("load")  # sizes are the stylesheet's, not the browser's defaults
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE_SCRIPT)  # once per page load: both widths reuse it
    results = page.evaluate("(options) => axe.run(document, options)", AXE_OPTIONS)
    for violation in results["violations"]:
        if violation["id"] == "page-has-heading-one":  # say what was on screen instead
            problems.append(f"{where}: the document axe saw: {_seen(page)}")
        for node in violation["nodes"][:5]:
            target = " ".join(str(t) for t in node["target"])
            summary = node.get("failureSummary", "").replace("\n", " ")[:200]
            problems.append(
                f"{where}: axe {violation['id']} ({violation['impact']}) at {target}: {summary}"
            )
    sizes = page.evaluate(OVERFLOW)
    if sizes["scroll"] > sizes["width"]:
        problems.append(
            f"{where}: {sizes['scroll']} px wide on a {sizes['width']} px screen "
            f"(wider: {', '.join(sizes['wide']) or '?'})"
        )
    if width != PHONE:
        return
    for box in sizes["sideways"]:
        problems.append(f"{where}: scrolls sideways inside the page: {box}")
    for cell in sizes["squeezed"]:
        problems.append(f"{where}: table text in a narrow column (make it cards): {cell}")
    smalls = Counter(page.evaluate(SMALL_TARGETS, MIN_TARGET))
    for small, times in smalls.items():
        many = f" (x{times})" if times > 1 else ""
        problems.append(f"{where}: target under {MIN_TARGET} px: {small}{many}")


def check_page(page, url: str, name: str, problems: list[str], shot: str = "") -> bool:
    """One console page at both widths; False when the answer is not a page."""
    answer = page.request.get(url)  # a download (CSV) cannot be opened as a page
    if "text/html" not in answer.headers.get("content-type", ""):
        return False
    page.set_viewport_size({"width": PHONE, "height": 800})
    if not _open(page, url, answer.status):
        problems.append(f"{name}: answered {answer.status}, then not as a page: {_seen(page)}")
        return True
    for width in WIDTHS:  # the same page resized: the layout follows the width
        page.set_viewport_size({"width": width, "height": 800})
        check_view(page, f"{name} ({answer.status})", width, problems)
        _shot(page, f"{shot}{name}", width)
    return True


def _open(page, url: str, status: int) -> bool:
    """Goes to `url`: True once the browser shows it as the page it answered before (same
    status, HTML, the same path: not sent on to a login), given one more try. Axe must
    judge the page asked for: the inspector's walk once judged the field app, where the
    console's login redirect had sent it, before the app had drawn its heading."""
    for _ in range(2):
        response = page.goto(url)
        shown = page.evaluate("document.contentType") == "text/html"
        there = urlsplit(page.url).path == urlsplit(url).path  # not sent to a login
        if response is not None and response.status == status and shown and there:
            if not page.locator("h1").count():  # a page replaced after load: let it settle
                page.wait_for_load_state("load")
            return True
    return False


def _seen(page) -> str:
    text = page.evaluate("document.body ? document.body.innerText : ''")
    return f"{page.url} ({page.evaluate('document.contentType')}): {text[:200]!r}"


def _shot(page, name: str, width: int) -> None:
    """With ZHICHA_A11Y_SHOTS=<dir>, a full-page screenshot of each view (for review)."""
    folder = os.environ.get("ZHICHA_A11Y_SHOTS")
    if folder:
        slug = re.sub(r"[^\w-]+", "_", name).strip("_")[:80]
        page.screenshot(path=f"{folder}/{slug}-{width}.png", full_page=True)


def role_pages(app, matrix: Matrix) -> list[str]:
    """The console URLs the role may open, with its own objects in the path."""
    role, urls = matrix.role, []
    for method, rule in console_routes(app):
        route = CONSOLE.get((method, rule))
        if method != "GET" or route is None or route.roles is None or role not in route.roles:
            continue  # not a page; a missing table entry fails the access matrix itself
        declared = {name: (where, kind) for name, where, kind in route.params}
        names = [m[1] or m[2] for m in PARAM.finditer(rule)]
        kinds = {n: declared.get(n, ("path", PATH_KINDS.get(n)))[1] for n in names}
        choices = [[(n, obj) for obj in _own(kinds[n], role)] for n in names]
        query = {n: _own(k, role)[:1] for n, (where, k) in declared.items() if where == "query"}
        for combo in itertools.product(*choices):
            chosen = dict(combo)
            if any(_foreign_parent(kinds[n], o, chosen) for n, o in combo):
                continue
            values = {**FIXED, **FIXED_CONSOLE, **{n: matrix.id_of(o) for n, o in combo if o}}
            url = PARAM.sub(lambda m, values=values: values[m[1] or m[2]], rule)
            args = [f"{n}={matrix.id_of(objs[0])}" for n, objs in query.items() if objs]
            urls.append(url + ("?" + "&".join(args) if args else ""))
    return urls


def _own(kind, role) -> list[str]:
    if kind is None:
        return [""]
    return [o for o, who in SEEN[kind].items() if role in who and "foreign" not in o]


def _foreign_parent(kind, obj, chosen) -> bool:
    parent = PARENT.get(obj)
    return bool(parent) and chosen.get(PARENT_PARAM[kind], parent) != parent


def _label(url: str, ids: dict) -> str:
    names = {value: name for name, value in ids.items()}
    return re.sub(r"[0-9a-f-]{36}", lambda m: "{" + names.get(m[0], "id") + "}", url)


@pytest.mark.parametrize("role", ["supervisor", "admin", "leader", "responder", "inspector"])
def test_every_console_page_is_accessible(app, client, factory, auth, browser, live_server, role):
    db.session.commit()
    matrix = Matrix(app, client, factory, auth, role, SEEN, VALIDATES_FIRST)
    urls = role_pages(app, matrix)
    context = browser.new_context(
        base_url=live_server, locale="zh-CN", viewport={"width": PHONE, "height": 800}
    )
    page = context.new_page()
    problems: list[str] = []
    checked = []
    try:
        log_in(page, matrix.user.username)
        if role == "inspector":
            expect(page.locator("#home-view")).to_be_visible()
            # The field app gets no console cookie at login (an inspector works in the app):
            # the hand-over gives one, else every console page is the app's login redirect.
            token = auth.login(matrix.user)["access_token"]
            handed = page.request.post(
                "/console/session", headers={"Authorization": f"Bearer {token}"}
            )
            assert handed.status == 204, handed.text()
        else:
            page.wait_for_url("**/console/")
        for url in urls:
            name = _label(url, matrix.ids)
            if check_page(page, url, name, problems, shot=role):
                checked.append(name)
    finally:
        context.close()
    print(f"{role}: {len(checked)} pages checked:\n  " + "\n  ".join(checked))
    assert len(checked) >= 4, checked  # at least the start page, password, plans, notifications
    if problems:
        pytest.fail(f"{role}: {len(problems)} problems\n" + "\n".join(problems), pytrace=False)


def test_every_field_app_view_is_accessible(app, client, factory, auth, browser, live_server):
    db.session.commit()
    matrix = Matrix(app, client, factory, auth, "inspector", SEEN, VALIDATES_FIRST)
    site = {"latitude": 26.45, "longitude": 106.97, "accuracy": FIELD_POSITION["accuracy"]}
    context = browser.new_context(
        base_url=live_server,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        viewport={"width": PHONE, "height": 800},
        geolocation=site,  # at the world's site (tests/factories.py), inside its radius
        permissions=["geolocation"],
    )
    page = context.new_page()
    problems: list[str] = []

    def check(name: str, heading: str) -> None:
        expect(page.get_by_role("heading", name=heading, exact=True).first).to_be_visible()
        check_view(page, f"field app {name}", PHONE, problems)
        _shot(page, f"pwa-{name}", PHONE)

    try:
        page.goto("/")
        check("login", "登录")
        log_in(page, matrix.user.username, "wrong-password")
        expect(page.get_by_role("alert")).to_have_text("用户名或密码错误")
        check("login, refused", "登录")
        log_in(page, matrix.user.username)
        expect(page.locator(".site-link").first).to_be_visible()
        expect(page.locator(".task-link").first).to_be_visible()
        check("home", "外勤应用")
        page.locator(".site-link:not(.task-link)").first.click()
        expect(page.get_by_role("button", name="到场签到")).to_be_visible()
        site_hash = page.evaluate("location.hash")
        check("site", page.locator("#page-view h1").inner_text())
        context.set_offline(True)  # the check-in waits in the outbox: the bar shows its chip
        page.get_by_role("button", name="到场签到").click()
        expect(page.locator("#visit-status")).to_contain_text("已于")
        expect(page.locator("#bar-outbox")).to_be_visible()
        check("site, checked in offline", page.locator("#page-view h1").inner_text())
        page.get_by_role("link", name="记录问题").click()
        # the site view has a gallery input too: wait for the finding form's own
        expect(page.get_by_role("heading", name="记录问题")).to_be_visible()
        page.get_by_label("从相册选择").set_input_files(str(PHOTOS / "jpg_gps_DSCN0010.jpg"))
        expect(page.get_by_text("已选择 1 张照片")).to_be_visible(timeout=20_000)  # hashed first
        check("finding with photos", "记录问题")
        page.get_by_role("button", name="保存问题").click()
        expect(page.get_by_role("alert").filter(has_text="请填写问题标题")).to_be_visible()
        check("finding, refused", "记录问题")
        context.set_offline(False)
        page.goto(f"/{site_hash}")
        page.get_by_role("link", name="走访记录").click()
        check("interview", "走访记录")
        page.goto("/#/outbox")
        check("outbox", "待同步")
        page.goto("/#/password")
        check("password", "修改密码")
        page.goto("/#/")
        page.locator(".task-link").first.click()
        expect(page.locator("#task-problem")).to_be_visible()
        check("verification", page.locator("#task-problem").inner_text())
    finally:
        context.close()
    if problems:
        pytest.fail(f"field app: {len(problems)} problems\n" + "\n".join(problems), pytrace=False)


def _plain_page(method: str, rule: str, role: str) -> bool:
    route = CONSOLE.get((method, rule))
    allowed = route is not None and route.roles is not None and role in route.roles
    return method == "GET" and allowed and not PARAM.search(rule)


BAD_FILTERS = "region_code=x&date_from=2026-13-01&date_to=x&plan_id=x&unit_id=x"
DETAIL = re.compile(r"^/console/(?:rectifications|plans|unit/items)/[0-9a-f-]{36}$")


@pytest.mark.parametrize("username", ["supervisor", "leader", "responder_zjj", "admin"])
def test_the_demo_county_is_accessible(app, browser, live_server, username):
    """The demo county's twelve months (flask seed-demo): long names, many rows, every
    state of an item. The role's pages without path parameters, and the first item and
    plan pages they link to."""
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    accounts = json.loads((Path(app.config["INSTANCE_DIR"]) / "demo-accounts.json").read_text())
    account = next(a for a in accounts if a["username"] == username)
    role = account["role"]
    context = browser.new_context(
        base_url=live_server, locale="zh-CN", viewport={"width": PHONE, "height": 800}
    )
    page = context.new_page()
    problems: list[str] = []
    checked: list[str] = []
    try:
        log_in(page, username, account["password"])
        page.wait_for_url("**/console/")
        pages = [rule for method, rule in console_routes(app) if _plain_page(method, rule, role)]
        details: list[str] = []
        refused: list[str] = []
        for url in pages:
            if not check_page(page, url, url, problems, shot=f"demo-{username}"):
                continue
            checked.append(url)
            for href in page.eval_on_selector_all(
                "main a[href]", "(as) => as.map((a) => a.pathname)"
            ):
                kind = href.split("/")[2]
                if DETAIL.match(href) and kind not in {d.split("/")[2] for d in details}:
                    details.append(href)
            # a list with its filters refused, messages shown (the desk's lists: time is short)
            if role == "supervisor" and page.locator("form.filters").count():
                refused.append(f"{url}?{BAD_FILTERS}")
        for url in details + refused:
            if check_page(page, url, url, problems, shot=f"demo-{username}"):
                checked.append(url)
        # a form refused by the server: the password form redrawn with its message
        page.goto("/console/password")
        page.get_by_label("当前密码").fill("wrong-password-1")
        page.get_by_label("新密码", exact=True).fill("new-password-42")
        page.get_by_label("再次输入新密码").fill("new-password-42")
        page.locator("main").get_by_role("button", name="修改密码").click()
        expect(page.locator(".field-error")).to_contain_text("当前密码不正确")
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 800})
            check_view(page, "/console/password (refused)", width, problems)
    finally:
        context.close()
    print(f"demo {username}: {len(checked)} pages checked:\n  " + "\n  ".join(checked))
    assert len(checked) >= 5 and details, checked
    if problems:
        pytest.fail(f"{username}: {len(problems)} problems\n" + "\n".join(problems), pytrace=False)
