"""The console's map (issue 14): its GeoJSON per role and scope (plan secrecy, the unit's
own items' sites, the leader's items), the datum applied at the edge, the base map served
in byte ranges, the tile URL's origin in this page's CSP only, and bad filters as 422."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from html import unescape

import pytest

from server.extensions import db
from server.maps.coords import wgs84_to_gcj02
from server.models import (
    PlanKind,
    PlanStatus,
    RectificationStatus,
    Role,
    UnitKind,
    Visit,
)
from server.rectification.colour import refresh_red_from
from tests.api.test_console import console_login


@dataclass
class MapWorld:
    ids: dict
    users: dict
    sites: dict


@pytest.fixture
def mw(factory):
    """Office A's issued plan (a check-in, a finding, items to two units: 住建局's red, led
    by the leader; 交通局's yellow), A's secret plan (still active: a finding and a draft
    item to 住建局 at its own site), office B with its own supervisor, and a site no item
    names."""
    office = factory.unit("督查室", kind=UnitKind.office)
    office_b = factory.unit("另一督查室", kind=UnitKind.office)
    housing = factory.unit("住建局")
    roads = factory.unit("交通局")
    users = {
        "supervisor": factory.user(Role.supervisor, office),
        "supervisor_b": factory.user(Role.supervisor, office_b),
        "inspector": factory.user(Role.inspector, office),
        "leader": factory.user(Role.leader, office),
        "responder": factory.user(Role.responder, housing),
        "responder_roads": factory.user(Role.responder, roads),
        "admin": factory.user(Role.admin, office),
    }
    sites = {
        "housing": factory.site(housing, lat=26.4532, lon=106.9768),
        "roads": factory.site(roads, lat=26.5281, lon=106.8904),
        "secret": factory.site(housing, lat=26.4001, lon=107.0102),
        "idle": factory.site(roads, lat=26.3, lon=106.8),
    }
    sup, ins = users["supervisor"], users["inspector"]
    issued = factory.plan(
        office, sup, team=[ins], sites=[sites["housing"], sites["roads"]],
        status=PlanStatus.findings_issued, kind=PlanKind.routine_special,
    )  # fmt: skip
    secret = factory.plan(
        office, sup, team=[ins], sites=[sites["secret"]], status=PlanStatus.active,
        kind=PlanKind.cross_region, title="绝密暗访计划",
    )  # fmt: skip
    visit = Visit(
        plan_id=issued.id, site_id=sites["housing"].id, created_by_id=ins.id,
        arrived_at=datetime(2025, 3, 3, 2, 0, tzinfo=UTC), lat=26.4533, lon=106.9769,
    )  # fmt: skip
    db.session.add(visit)
    finding = factory.finding(issued, ins, site_id=sites["housing"].id, title="围挡缺失")
    secret_finding = factory.finding(
        secret, ins, site_id=sites["secret"].id, title="绝密问题", lat=26.4002, lon=107.0101
    )
    red = factory.rectification(office, housing, plan=issued)
    red.site_id, red.lead_official_id, red.return_count = sites["housing"].id, users["leader"].id, 5
    red.issued_at, red.region_code = datetime.now(UTC), housing.region_code
    red.findings = [finding]
    refresh_red_from(red)
    yellow = factory.rectification(office, roads, plan=issued)
    yellow.site_id, yellow.issued_at = sites["roads"].id, datetime.now(UTC)
    refresh_red_from(yellow)
    draft = factory.rectification(office, housing, status=RectificationStatus.draft, plan=secret)
    draft.site_id = sites["secret"].id
    draft.findings = [secret_finding]
    db.session.commit()
    ids = {
        "issued": issued.id, "secret": secret.id, "visit": visit.id, "finding": finding.id,
        "secret_finding": secret_finding.id, "red": red.id, "yellow": yellow.id,
        "draft": draft.id,
    }  # fmt: skip
    return MapWorld({k: str(v) for k, v in ids.items()}, users, sites)


def features(client, auth, user, query="", status=200) -> list[dict]:
    console_login(client, auth, user)
    response = client.get("/console/map/features" + query)
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    if status != 200:
        return body
    assert body["type"] == "FeatureCollection"
    return body["features"]


def seen(found: list[dict]) -> set[tuple[str, str]]:
    return {(f["properties"]["layer"], f["properties"]["id"]) for f in found}


def site_ids(mw, *names) -> set[tuple[str, str]]:
    return {("site", str(mw.sites[n].id)) for n in names}


def text_of(found) -> str:
    return repr(found)


def test_the_supervisor_sees_the_office_layers_in_ledger_colours(client, auth, mw):
    found = features(client, auth, mw.users["supervisor"])
    ids = mw.ids
    assert seen(found) == site_ids(mw, "housing", "roads", "secret", "idle") | {
        ("visit", ids["visit"]), ("finding", ids["finding"]),
        ("finding", ids["secret_finding"]), ("item", ids["red"]), ("item", ids["yellow"]),
    }  # fmt: skip
    props = {(f["properties"]["layer"], f["properties"]["id"]): f["properties"] for f in found}
    assert props[("item", ids["red"])]["colour"] == "red"
    assert props[("item", ids["red"])]["colour_label"] == "红色"
    assert props[("item", ids["yellow"])]["colour"] == "yellow"
    # a site takes its items' worst colour; a finding its item's; a site without items none
    assert props[("site", str(mw.sites["housing"].id))]["colour"] == "red"
    assert props[("site", str(mw.sites["idle"].id))]["colour"] == "none"
    assert props[("finding", ids["finding"])]["colour"] == "red"
    assert props[("finding", ids["secret_finding"])]["colour"] == "none"  # its item: a draft
    assert props[("visit", ids["visit"])]["colour"] == "red"  # its site's
    # each popup links to its record, and the record opens for this reader
    assert props[("item", ids["red"])]["url"] == f"/console/rectifications/{ids['red']}"
    assert props[("visit", ids["visit"])]["url"] == f"/console/plans/{ids['issued']}"
    assert props[("finding", ids["finding"])]["url"].startswith("/console/triage?")
    for p in props.values():
        assert client.get(p["url"]).status_code == 200, p


def test_a_unit_sees_only_its_own_items_and_their_sites(client, auth, mw):
    found = features(client, auth, mw.users["responder"])
    assert seen(found) == site_ids(mw, "housing") | {("item", mw.ids["red"])}
    item = next(f for f in found if f["properties"]["layer"] == "item")
    assert item["properties"]["url"] == f"/console/unit/items/{mw.ids['red']}"
    assert client.get(item["properties"]["url"]).status_code == 200
    other = features(client, auth, mw.users["responder_roads"])
    assert seen(other) == site_ids(mw, "roads") | {("item", mw.ids["yellow"])}


def test_a_unit_sees_nothing_of_a_plan_before_it_is_issued(client, auth, mw):
    responder = mw.users["responder"]
    everything = features(client, auth, responder)
    for secret in ("绝密", mw.ids["secret"], mw.ids["secret_finding"], mw.ids["draft"]):
        assert secret not in text_of(everything)
    assert str(mw.sites["secret"].id) not in text_of(everything)
    # naming the plan, or its kind, answers as an unknown plan does: nothing
    assert features(client, auth, responder, f"?plan_id={mw.ids['secret']}") == []
    assert features(client, auth, responder, f"?plan_id={mw.ids['issued']}") == []
    assert features(client, auth, responder, "?plan_id=00000000-0000-0000-0000-00000000000f") == []
    assert features(client, auth, responder, "?kind=cross_region") == []
    page = client.get("/console/map").get_data(as_text=True)
    assert "绝密" not in page and mw.ids["secret"] not in page


def test_the_leader_sees_the_items_he_leads_as_on_the_ledger(client, auth, mw):
    found = features(client, auth, mw.users["leader"])
    assert seen(found) == site_ids(mw, "housing") | {("item", mw.ids["red"])}


def test_another_office_sees_none_of_this_office_s_work(client, auth, mw):
    found = features(client, auth, mw.users["supervisor_b"])
    assert {layer for layer, _ in seen(found)} == {"site"}  # the shared site list only
    assert all(f["properties"]["colour"] == "none" for f in found)
    assert features(client, auth, mw.users["supervisor_b"], f"?plan_id={mw.ids['secret']}") == []


def test_the_admin_sees_everything_issued(client, auth, mw):
    found = seen(features(client, auth, mw.users["admin"]))
    assert ("item", mw.ids["red"]) in found and ("finding", mw.ids["secret_finding"]) in found
    assert ("item", mw.ids["draft"]) not in found  # drafts are not on the ledger


def test_filters_narrow_every_layer(client, auth, mw):
    sup = mw.users["supervisor"]
    by_kind = seen(features(client, auth, sup, "?kind=cross_region"))
    assert by_kind == site_ids(mw, "secret") | {("finding", mw.ids["secret_finding"])}
    by_plan = seen(features(client, auth, sup, f"?plan_id={mw.ids['issued']}&layers=item,visit"))
    assert by_plan == {
        ("item", mw.ids["red"]),
        ("item", mw.ids["yellow"]),
        ("visit", mw.ids["visit"]),
    }
    roads = str(mw.sites["roads"].unit_id)
    by_unit = seen(features(client, auth, sup, f"?unit_id={roads}&layers=item,site"))
    assert by_unit == site_ids(mw, "roads", "idle") | {("item", mw.ids["yellow"])}
    in_march = seen(
        features(client, auth, sup, "?date_from=2025-03-01&date_to=2025-03-03&layers=visit")
    )
    assert in_march == {("visit", mw.ids["visit"])}
    assert features(client, auth, sup, "?date_from=2025-03-04&layers=visit") == []
    assert features(client, auth, sup, "?region_code=11&layers=site,item") == []
    assert len(features(client, auth, sup, "?region_code=5227&layers=site")) == 4


@pytest.mark.parametrize(
    "query",
    [
        "?date_from=2025-13-01",
        "?date_from=2025-03-05&date_to=2025-03-01",
        "?region_code=abc",
        "?unit_id=not-a-uuid",
        "?plan_id=1",
        "?kind=bogus",
        "?layers=site,bogus",
        "?colour=red",
    ],
)
def test_bad_filters_are_422_not_500(client, auth, mw, query):
    body = features(client, auth, mw.users["supervisor"], query, status=422)
    assert body["error"]["code"] == "validation_error"
    assert client.get("/console/map" + query).status_code == 422


def test_points_are_shifted_only_for_a_gcj02_base_map(app, client, auth, mw):
    site = mw.sites["housing"]
    query = "?layers=site&region_code=522730"

    def where(found):
        f = next(f for f in found if f["properties"]["id"] == str(site.id))
        return f["geometry"]["coordinates"]

    assert where(features(client, auth, mw.users["supervisor"], query)) == [site.lon, site.lat]
    app.config["MAP_DATUM"] = "gcj02"
    lon, lat = where(features(client, auth, mw.users["supervisor"], query))
    expected_lat, expected_lon = wgs84_to_gcj02(site.lat, site.lon)
    assert lat == pytest.approx(expected_lat, abs=1e-7)
    assert lon == pytest.approx(expected_lon, abs=1e-7)
    assert abs(lon - site.lon) > 1e-3  # hundreds of metres in Guizhou
    assert site.lat == 26.4532  # stored WGS-84, untouched
    assert 'data-datum="gcj02"' in client.get("/console/map").get_data(as_text=True)


def test_the_map_page_per_role(client, auth, mw):
    for name in ("supervisor", "leader", "responder", "admin"):
        console_login(client, auth, mw.users[name])
        page = client.get("/console/map")
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert "督查地图" in html and 'data-base-kind="none"' in html
        assert "maplibre-gl-csp.js" in html and "pmtiles.js" in html
    console_login(client, auth, mw.users["inspector"])
    assert client.get("/console/map").status_code == 403
    assert client.get("/console/map/features").status_code == 403


# ---- the base map file ----

BASEMAP = bytes(range(256)) * 4  # 1024 bytes; the server does not read it


def test_the_base_map_is_served_in_byte_ranges(app, client, auth, mw, tmp_path):
    path = tmp_path / "county.pmtiles"
    path.write_bytes(BASEMAP)
    app.config["MAP_PMTILES"] = str(path)
    console_login(client, auth, mw.users["responder"])
    assert 'data-base-kind="pmtiles"' in client.get("/console/map").get_data(as_text=True)
    part = client.get("/console/map/basemap.pmtiles", headers={"Range": "bytes=0-126"})
    assert part.status_code == 206
    assert part.headers["Content-Range"] == "bytes 0-126/1024"
    assert part.headers["Accept-Ranges"] == "bytes"
    assert part.data == BASEMAP[:127]
    tail = client.get("/console/map/basemap.pmtiles", headers={"Range": "bytes=1000-"})
    assert tail.status_code == 206 and tail.data == BASEMAP[1000:]
    outside = client.get("/console/map/basemap.pmtiles", headers={"Range": "bytes=5000-6000"})
    assert outside.status_code == 416
    assert outside.headers["Content-Range"] == "bytes */1024"
    whole = client.get("/console/map/basemap.pmtiles")
    assert whole.status_code == 200 and whole.data == BASEMAP
    assert "private" in whole.headers["Cache-Control"]


def test_the_default_base_map_is_in_the_instance_folder(app, client, auth, mw):
    from pathlib import Path

    app.config["MAP_PMTILES"] = ""
    console_login(client, auth, mw.users["supervisor"])
    missing = client.get("/console/map/basemap.pmtiles")
    assert missing.status_code == 404
    assert "底图文件不存在" in missing.get_data(as_text=True)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)  # PostgreSQL: not made yet
    Path(app.instance_path, "basemap.pmtiles").write_bytes(BASEMAP)
    ranged = client.get("/console/map/basemap.pmtiles", headers={"Range": "bytes=0-9"})
    assert ranged.status_code == 206 and ranged.data == BASEMAP[:10]


def test_the_base_map_needs_a_login(client, mw):
    response = client.get("/console/map/basemap.pmtiles")
    assert response.status_code == 302


def test_online_tiles_widen_the_csp_of_the_map_page_only(app, client, auth, mw):
    url = "https://t0.tianditu.gov.cn/vec_w/wmts?TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=k"
    app.config["MAP_TILE_URL"] = url
    console_login(client, auth, mw.users["supervisor"])
    page = client.get("/console/map")
    csp = dict(
        part.strip().split(" ", 1) for part in page.headers["Content-Security-Policy"].split(";")
    )
    assert "https://t0.tianditu.gov.cn" in csp["img-src"].split()
    assert "https://t0.tianditu.gov.cn" in csp["connect-src"].split()
    assert "'self'" in csp["connect-src"].split()
    assert 'data-base-kind="tiles"' in page.get_data(as_text=True)
    for other in ("/console/", "/console/map/features"):
        assert "tianditu" not in client.get(other).headers["Content-Security-Policy"]


def test_the_datum_setting_is_checked_at_start():
    from server.config import ConfigError, load_config

    with pytest.raises(ConfigError, match="MAP_DATUM"):
        load_config({"ENV": "development", "MAP_DATUM": "bd09"}, environ={})
    with pytest.raises(ConfigError, match="MAP_TILE_URL"):
        load_config({"ENV": "development", "MAP_TILE_URL": "ftp://x"}, environ={})


# ---- the points as a list (no JavaScript, screen readers) ----

ROW = re.compile(r'<tr data-layer="(\w+)" data-id="([^"]+)">(.*?)</tr>', re.S)


def listed(client, query="") -> tuple[str, dict]:
    """The map page's list: its summary line, and its rows by (layer, id)."""
    html = client.get("/console/map" + query).get_data(as_text=True)
    start = html.index('<details class="card map-list"')
    part = html[start : html.index("</details>", start)]
    summary = re.search(r"<summary>(.*?)</summary>", part).group(1)
    return summary, {(m[1], m[2]): unescape(m[3]) for m in ROW.finditer(part)}


@pytest.mark.parametrize(
    "name", ["supervisor", "supervisor_b", "leader", "responder", "responder_roads", "admin"]
)
def test_the_page_lists_exactly_the_points_the_map_draws(client, auth, mw, name):
    queries = ["", "?layers=item,site", f"?plan_id={mw.ids['secret']}", "?kind=cross_region"]
    for query in queries:
        found = features(client, auth, mw.users[name], query)
        summary, rows = listed(client, query)
        assert set(rows) == seen(found), (name, query)
        assert summary == f"列表查看({len(found)} 个点)"
        for f in found:
            p = f["properties"]
            row = rows[(p["layer"], p["id"])]
            assert f'<a href="{p["url"]}">{p["title"]}</a>' in row
            assert p["layer_label"] in row and p["colour_label"] in row


def test_the_list_keeps_the_plan_secret_from_a_unit(client, auth, mw):
    console_login(client, auth, mw.users["responder"])
    _, rows = listed(client)
    assert rows.keys() == site_ids(mw, "housing") | {("item", mw.ids["red"])}
    for query in ("", f"?plan_id={mw.ids['secret']}", "?kind=cross_region"):
        html = client.get("/console/map" + query).get_data(as_text=True)
        assert "绝密" not in html and mw.ids["secret_finding"] not in html
        assert mw.ids["draft"] not in html and str(mw.sites["secret"].id) not in html


def test_a_long_list_is_cut_with_a_note(client, auth, mw, monkeypatch):
    from server.maps import pages

    monkeypatch.setattr(pages, "LIST_MAX", 1)
    console_login(client, auth, mw.users["supervisor"])
    summary, rows = listed(client, "?layers=site,item")
    assert summary == "列表查看(2 个点,未全部列出)"
    assert {layer for layer, _ in rows} == {"site", "item"} and len(rows) == 2
    html = client.get("/console/map?layers=site,item").get_data(as_text=True)
    assert "点数过多:点位、整改事项只列出前 1 个" in html
    # the map's own GeoJSON is not cut by the list's limit
    assert len(features(client, auth, mw.users["supervisor"], "?layers=site,item")) == 6


def test_no_list_under_a_bad_filter(client, auth, mw):
    console_login(client, auth, mw.users["supervisor"])
    html = client.get("/console/map?region_code=abc").get_data(as_text=True)
    assert "map-list" not in html


# ---- the small map on an item's page ----


def small_map(html: str) -> dict:
    tag = re.search(r'<div id="map" class="map map-small"(.*?)></div>', html, re.S).group(1)
    return {k: unescape(v) for k, v in re.findall(r'data-([\w-]+)="([^"]*)"', tag)}


def test_the_item_pages_show_the_site_on_a_small_map(client, auth, mw):
    site, unit = mw.sites["housing"], mw.sites["housing"].unit_id
    for name, url in (
        ("supervisor", f"/console/rectifications/{mw.ids['red']}"),
        ("responder", f"/console/unit/items/{mw.ids['red']}"),
        ("leader", f"/console/unit/items/{mw.ids['red']}"),
    ):
        console_login(client, auth, mw.users[name])
        html = client.get(url).get_data(as_text=True)
        data = small_map(html)
        assert data["point"] == f"{site.lon},{site.lat}", name
        assert data["colour"] == "red" and data["base-kind"] == "none"
        assert f'<a href="/console/map?unit_id={unit}">在地图上查看</a>' in html
        assert "map.js" in html and "maplibre-gl-csp.js" in html
        # the link's map shows that item
        assert ("item", mw.ids["red"]) in seen(
            features(client, auth, mw.users[name], f"?unit_id={unit}")
        )


def test_an_item_without_a_site_has_no_small_map(client, auth, mw):
    import uuid

    from server.models import Rectification

    item = db.session.get(Rectification, uuid.UUID(mw.ids["yellow"]))
    item.site_id = None
    db.session.commit()
    console_login(client, auth, mw.users["supervisor"])
    html = client.get(f"/console/rectifications/{item.id}").get_data(as_text=True)
    assert "map-small" not in html and "在地图上查看" not in html and "map.js" not in html


def test_the_small_map_uses_the_map_page_s_base_map_and_datum(app, client, auth, mw, tmp_path):
    site = mw.sites["roads"]
    page_url = f"/console/unit/items/{mw.ids['yellow']}"
    app.config["MAP_DATUM"] = "gcj02"
    path = tmp_path / "county.pmtiles"
    path.write_bytes(BASEMAP)
    app.config["MAP_PMTILES"] = str(path)
    console_login(client, auth, mw.users["responder_roads"])
    data = small_map(client.get(page_url).get_data(as_text=True))
    lat, lon = wgs84_to_gcj02(site.lat, site.lon)
    assert data["point"] == f"{round(lon, 7)},{round(lat, 7)}" and data["datum"] == "gcj02"
    assert data["base-kind"] == "pmtiles" and data["base-url"] == "/console/map/basemap.pmtiles"
    # online tiles: the item page (and it alone among these) lets the tile server in
    app.config["MAP_TILE_URL"] = "https://t0.tianditu.gov.cn/vec_w/wmts?X={x}&Y={y}&Z={z}"
    page = client.get(page_url)
    assert small_map(page.get_data(as_text=True))["base-kind"] == "tiles"
    assert "https://t0.tianditu.gov.cn" in page.headers["Content-Security-Policy"]
    assert "tianditu" not in client.get("/console/unit/items").headers["Content-Security-Policy"]
