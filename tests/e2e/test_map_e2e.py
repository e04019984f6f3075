"""The console's map in real Chromium (issue 14): a tiny PMTiles base map built here (PNG
raster tiles written with the pmtiles package's writer) is placed as the instance's base
map, a supervisor opens /console/map on seeded sites and items, the sites' markers are
rendered, and a click opens a popup whose link reaches the item's page; without a base map
the points show on a plain background with a scale bar. Screenshots at 1280 and 390 px
wide go to /tmp/map-1280.png and /tmp/map-390.png (for review, not kept in the repo), and
an item's page with its small map to /tmp/map-item.png. Without JavaScript the points are
a list under the map."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import expect

from server.extensions import db
from server.models import PlanStatus, Role, UnitKind
from server.rectification.colour import refresh_red_from
from tests.e2e.test_login_e2e import log_in

pytestmark = pytest.mark.e2e

SHOTS = {1280: Path("/tmp/map-1280.png"), 390: Path("/tmp/map-390.png")}
# Three sites of a county in Guizhou (龙里), kilometres apart.
PLACES = [(26.4533, 106.9769), (26.5281, 106.8904), (26.3902, 107.0557)]
MAX_ZOOM = 4


def build_pmtiles(path: Path) -> int:
    """Every tile of zooms 0…MAX_ZOOM as a 256 px PNG, a colour per zoom and a grid line:
    a raster base map MapLibre draws (and overzooms) like a real one. Returns the size."""
    from pmtiles.tile import Compression, TileType, zxy_to_tileid
    from pmtiles.writer import Writer

    path.parent.mkdir(parents=True, exist_ok=True)  # the instance folder (PostgreSQL: not made)
    tiles = {}
    for z in range(MAX_ZOOM + 1):
        image = Image.new("RGB", (256, 256), (224 - 20 * z, 236, 216 + 8 * z))
        for i in range(256):
            image.putpixel((i, 0), (150, 150, 150))
            image.putpixel((0, i), (150, 150, 150))
        out = io.BytesIO()
        image.save(out, format="PNG")
        for x in range(2**z):
            for y in range(2**z):
                tiles[zxy_to_tileid(z, x, y)] = out.getvalue()
    with path.open("wb") as f:
        writer = Writer(f)
        for tile_id in sorted(tiles):
            writer.write_tile(tile_id, tiles[tile_id])
        writer.finalize(
            {
                "tile_type": TileType.PNG,
                "tile_compression": Compression.NONE,
                "min_zoom": 0,
                "max_zoom": MAX_ZOOM,
                "min_lon_e7": -1800000000,
                "min_lat_e7": -850000000,
                "max_lon_e7": 1800000000,
                "max_lat_e7": 850000000,
                "center_zoom": 2,
                "center_lon_e7": 1069769000,
                "center_lat_e7": 264533000,
            },
            {"name": "zhicha test base map", "attribution": "test"},
        )
    return path.stat().st_size


@pytest.fixture
def seeded(factory):
    office = factory.unit("督查室", kind=UnitKind.office)
    supervisor = factory.user(Role.supervisor, office)
    inspector = factory.user(Role.inspector, office)
    units = [factory.unit(name) for name in ("住建局", "交通局", "生态环境局")]
    sites = [
        factory.site(unit, lat=lat, lon=lon) for unit, (lat, lon) in zip(units, PLACES, strict=True)
    ]
    plan = factory.plan(
        office, supervisor, team=[inspector], sites=sites, status=PlanStatus.findings_issued
    )
    items = []
    for n, (unit, site) in enumerate(zip(units, sites, strict=True)):
        item = factory.rectification(office, unit, plan=plan)
        item.site_id, item.issued_at, item.return_count = site.id, datetime.now(UTC), 5 * (n == 0)
        refresh_red_from(item)
        items.append(item)
    db.session.commit()
    return {"supervisor": supervisor, "sites": sites, "items": items}


def open_map(page, query=""):
    page.goto("/console/map" + query)
    expect(page.get_by_role("heading", name="督查地图")).to_be_visible()
    page.wait_for_function(
        "() => ['1', 'error'].includes(document.getElementById('map').dataset.ready)"
    )
    assert page.locator("#map").get_attribute("data-ready") == "1"


def rendered(page, layer="points") -> list[dict]:
    return page.evaluate(
        """layer => window.zhichaMap.queryRenderedFeatures({layers: [layer]})
             .map(f => ({...f.properties, coordinates: f.geometry.coordinates}))""",
        layer,
    )


def click_point(page, lon, lat):
    x, y = page.evaluate("([lon, lat]) => { const p = window.zhichaMap.project([lon, lat]);"
                         " return [p.x, p.y] }", [lon, lat])  # fmt: skip
    box = page.locator("#map canvas").bounding_box()
    page.mouse.click(box["x"] + x, box["y"] + y)


@pytest.fixture
def desk(browser, live_server):
    context = browser.new_context(
        base_url=live_server, locale="zh-CN", viewport={"width": 1280, "height": 900}
    )
    yield context.new_page()
    context.close()


def test_the_map_shows_the_sites_on_a_pmtiles_base_map(desk, app, seeded):
    size = build_pmtiles(Path(app.instance_path) / "basemap.pmtiles")
    ranges = []
    desk.on(
        "response",
        lambda r: (
            ranges.append((r.status, r.headers.get("content-range", "")))
            if "basemap.pmtiles" in r.url
            else None
        ),
    )
    errors = []
    desk.on("pageerror", lambda e: errors.append(str(e)))
    log_in(desk, seeded["supervisor"].username)
    desk.wait_for_url("**/console/")
    open_map(desk, "?layers=site")
    assert desk.locator("#map").get_attribute("data-base") == "raster-pmtiles"
    # the base map was read in byte ranges of the file placed in the instance folder
    assert ranges and all(s == 206 and r.endswith(f"/{size}") for s, r in ranges), ranges
    shown = {p["id"]: p for p in rendered(desk)}
    for site in seeded["sites"]:
        assert str(site.id) in shown, (site.name, list(shown))
        assert shown[str(site.id)]["title"] == site.name
    assert shown[str(seeded["sites"][0].id)]["colour"] == "red"
    assert shown[str(seeded["sites"][1].id)]["colour"] == "yellow"
    expect(desk.locator("#map-status")).to_have_text("共 3 个点")
    desk.screenshot(path=str(SHOTS[1280]), full_page=True)

    # the items: a click on one opens its popup, whose link reaches the item's page
    open_map(desk, "?layers=item")
    item, site = seeded["items"][1], seeded["sites"][1]
    click_point(desk, site.lon, site.lat)
    popup = desk.locator(".maplibregl-popup")
    expect(popup).to_be_visible()
    expect(popup).to_contain_text(item.code)
    expect(popup).to_contain_text("整改事项 · 黄色")
    popup.get_by_role("link", name=item.code).click()
    desk.wait_for_url(f"**/console/rectifications/{item.id}")
    expect(desk.locator("main")).to_contain_text(item.code)
    assert errors == []


def test_a_phone_wide_map_and_its_screenshot(browser, live_server, app, seeded):
    build_pmtiles(Path(app.instance_path) / "basemap.pmtiles")
    context = browser.new_context(
        base_url=live_server, locale="zh-CN", viewport={"width": 390, "height": 844}
    )
    page = context.new_page()
    try:
        log_in(page, seeded["supervisor"].username)
        page.wait_for_url("**/console/")
        open_map(page)
        assert len(rendered(page, "points")) + len(rendered(page, "clusters")) >= 1
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.screenshot(path=str(SHOTS[390]), full_page=True)
    finally:
        context.close()


def test_without_a_base_map_the_points_show_on_a_plain_background(desk, seeded):
    log_in(desk, seeded["supervisor"].username)
    desk.wait_for_url("**/console/")
    open_map(desk, "?layers=site")
    assert desk.locator("#map").get_attribute("data-base") == "none"
    assert {p["id"] for p in rendered(desk)} == {str(s.id) for s in seeded["sites"]}
    scale = desk.locator(".maplibregl-ctrl-scale")
    expect(scale).to_be_visible()
    expect(scale).to_contain_text("m")


def test_without_javascript_the_points_are_a_list(browser, live_server, desk, seeded):
    log_in(desk, seeded["supervisor"].username)  # the login page is the field app's (JS)
    desk.wait_for_url("**/console/")
    context = browser.new_context(
        base_url=live_server,
        locale="zh-CN",
        java_script_enabled=False,
        storage_state=desk.context.storage_state(),
    )
    page = context.new_page()
    try:
        page.goto("/console/map?layers=site,item")
        expect(page.locator("noscript")).to_have_count(1)
        summary = page.locator("#map-list summary")
        expect(summary).to_have_text("列表查看(6 个点)")
        summary.click()
        item = seeded["items"][2]
        link = page.locator("#map-list").get_by_role("link", name=item.code)
        expect(link).to_be_visible()
        link.click()
        page.wait_for_url(f"**/console/rectifications/{item.id}")
    finally:
        context.close()


def test_the_item_page_shows_its_site_on_a_small_map(desk, app, seeded):
    build_pmtiles(Path(app.instance_path) / "basemap.pmtiles")
    errors = []
    desk.on("pageerror", lambda e: errors.append(str(e)))
    log_in(desk, seeded["supervisor"].username)
    desk.wait_for_url("**/console/")
    item, site = seeded["items"][0], seeded["sites"][0]
    desk.goto(f"/console/rectifications/{item.id}")
    desk.wait_for_function(
        "() => ['1', 'error'].includes(document.getElementById('map').dataset.ready)"
    )
    assert desk.locator("#map").get_attribute("data-ready") == "1"
    assert desk.locator("#map").get_attribute("data-base") == "raster-pmtiles"
    shown = rendered(desk)
    assert len(shown) == 1 and shown[0]["colour"] == "red"
    assert shown[0]["coordinates"] == pytest.approx([site.lon, site.lat], abs=1e-5)
    desk.screenshot(path="/tmp/map-item.png", full_page=True)
    desk.get_by_role("link", name="在地图上查看").click()
    desk.wait_for_url(f"**/console/map?unit_id={site.unit_id}")
    assert errors == []
