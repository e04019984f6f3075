"""A live server on 127.0.0.1 and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from server.extensions import db

CHROMIUM = os.environ.get("ZHICHA_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-gpu",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (make test does it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(autouse=True)
def keep_loaded_values(app):
    # The server writes from other threads while the test reads. The tests read fresh rows
    # with explicit queries and end those transactions; they must not lazily reload objects
    # a commit expired (that would open a transaction, and on SQLite a snapshot, behind the
    # browser's back), so loaded values are kept.
    db.session().expire_on_commit = False


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(
        base_url=live_server, locale="zh-CN", viewport={"width": 360, "height": 740}
    )
    page = context.new_page()
    yield page
    context.close()


# Near the demo site 龙山镇保障性住房项目工地 (贵州龙里), where field tests check in.
FIELD_POSITION = {"latitude": 26.4533, "longitude": 106.9769, "accuracy": 12}


@pytest.fixture
def field_context(browser, live_server):
    """A phone-sized context for the field app: service workers on, geolocation granted."""
    context = browser.new_context(
        base_url=live_server,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        viewport={"width": 360, "height": 740},
        service_workers="allow",
        geolocation=FIELD_POSITION,
        permissions=["geolocation"],
    )
    yield context
    context.close()
