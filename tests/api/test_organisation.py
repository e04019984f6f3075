"""Units, regions and sites kept by an admin in the console (issue 15): add, edit,
validation in Chinese, deactivation; import from CSV (UTF-8, BOM, GBK) and XLSX with a
preview that writes nothing, a confirmation that writes the valid rows, and a re-import
that changes nothing; other roles refused."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import func, select

from server.extensions import db
from server.models import AuditEvent, Region, Role, Site, Unit, UnitKind
from tests.api.test_console import console_login


@pytest.fixture
def admin(client, auth, factory):
    office = factory.unit("县督查室", kind=UnitKind.office)
    user = factory.user(Role.admin, office)
    db.session.commit()
    console_login(client, auth, user)
    return user


def csrf(client) -> str:
    with client.session_transaction() as session:
        return session["csrf"]


def post(client, url, **form):
    return client.post(url, data={"csrf_token": csrf(client), **form})


def text(response) -> str:
    return response.get_data(as_text=True)


def count(model, *where) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def unit_by_code(code) -> Unit | None:
    db.session.expire_all()
    return db.session.scalar(select(Unit).where(Unit.code == code))


def events(action) -> int:
    return count(AuditEvent, AuditEvent.action == action)


# ---- units ----


def test_admin_adds_and_edits_a_unit(client, admin, factory):
    gov = factory.unit("县政府", kind=UnitKind.government)
    db.session.commit()
    response = post(
        client, "/console/units/new",
        code="LL-TEST", name="县测试局", region_code="522730", kind="department",
        parent_id=str(gov.id),
    )  # fmt: skip
    assert response.status_code == 303
    unit = unit_by_code("LL-TEST")
    assert (unit.name, unit.kind, unit.parent_id, unit.active) == (
        "县测试局",
        UnitKind.department,
        gov.id,
        True,
    )
    assert events("unit.create") == 1
    page = text(client.get("/console/units?q=LL-TEST"))
    assert "县测试局" in page and "县政府" in page

    response = post(
        client, f"/console/units/{unit.id}",
        code="LL-TEST", name="县测试管理局", region_code="522730100", kind="department",
        parent_id=str(gov.id), version=str(unit.version),
    )  # fmt: skip
    assert response.status_code == 303
    assert unit_by_code("LL-TEST").name == "县测试管理局"
    assert unit_by_code("LL-TEST").region_code == "522730100"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "unit.update"))
    assert event.details["changes"]["name"] == ["县测试局", "县测试管理局"]


def test_unit_form_refusals_are_chinese_and_store_nothing(client, admin, factory):
    factory.unit("已有单位").code = "TAKEN"
    db.session.commit()
    before = count(Unit)
    response = post(
        client, "/console/units/new",
        code="TAKEN", name="重复", region_code="52273", kind="department",
    )  # fmt: skip
    assert response.status_code == 422
    page = text(response)
    assert "区划代码应为6位(县)、9位(乡镇)或12位(村/社区)数字" in page
    assert 'value="重复"' in page  # what was typed is kept
    response = post(
        client, "/console/units/new",
        code="TAKEN", name="重复", region_code="522730", kind="department",
    )  # fmt: skip
    assert response.status_code == 422
    assert "单位代码“TAKEN”已被使用" in text(response)
    response = post(client, "/console/units/new", code="a b", name="", region_code="522730")
    assert response.status_code == 422
    assert "必填" in text(response) and "单位代码为1至40位" in text(response)
    assert count(Unit) == before


def test_a_parent_must_not_make_a_cycle(client, admin, factory):
    top = factory.unit("上级")
    middle = factory.unit("中间", parent=top)
    bottom = factory.unit("下级", parent=middle)
    db.session.commit()
    for parent in (top, bottom):  # itself, its grandchild
        target = parent if parent is top else top
        response = post(
            client, f"/console/units/{target.id}",
            code=target.code, name=target.name, region_code="522730", kind="department",
            parent_id=str(bottom.id if parent is bottom else top.id),
        )  # fmt: skip
        assert response.status_code == 422
        assert "上级单位不能是本单位或其下级单位" in text(response)
    db.session.expire_all()
    assert db.session.get(Unit, top.id).parent_id is None


def test_deactivate_and_reactivate_a_unit(client, admin, factory):
    unit = factory.unit("将停用的局")
    db.session.commit()
    assert post(client, f"/console/units/{unit.id}/active", active="0").status_code == 303
    assert unit_by_code(unit.code).active is False
    assert "将停用的局</a>" not in text(client.get("/console/units"))
    assert "将停用的局</a>" in text(client.get("/console/units?status=inactive"))
    assert post(client, f"/console/units/{unit.id}/active", active="1").status_code == 303
    assert unit_by_code(unit.code).active is True
    assert (events("unit.deactivate"), events("unit.reactivate")) == (1, 1)


# ---- regions ----


def test_regions_are_named_and_the_names_are_shown(client, admin, factory):
    unit = factory.unit("龙山镇政府", region_code="522730100")
    db.session.commit()
    response = post(client, "/console/regions/new", code="522730100", name="龙山镇")
    assert response.status_code == 303
    assert db.session.get(Region, "522730100").name == "龙山镇"
    assert "龙山镇(522730100)" in text(client.get("/console/units?q=龙山镇政府"))
    form = text(client.get(f"/console/units/{unit.id}"))
    assert '<option value="522730100" label="龙山镇">' in form
    response = post(client, "/console/regions/new", code="522730100", name="又一个")
    assert response.status_code == 422 and "已有名称" in text(response)
    response = post(client, "/console/regions/new", code="5227301", name="坏代码")
    assert response.status_code == 422 and "区划代码应为6位" in text(response)
    response = post(client, "/console/regions/522730100", name="龙山镇(新)")
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Region, "522730100").name == "龙山镇(新)"
    assert client.get("/console/regions/522730999").status_code == 404


# ---- sites ----


def site_form(unit, **overrides) -> dict:
    form = {"name": "龙山镇卫生院", "address": "龙山大道", "unit_id": str(unit.id),
            "lat": "26.4478", "lon": "106.9801", "radius_m": ""}  # fmt: skip
    return {**form, **overrides}


def test_admin_adds_edits_and_deactivates_a_site(client, admin, factory, app):
    unit = factory.unit("卫健局", region_code="522730")
    db.session.commit()
    response = post(client, "/console/sites/new", **site_form(unit, region_code="522730100"))
    assert response.status_code == 303
    site = db.session.scalar(select(Site).where(Site.name == "龙山镇卫生院"))
    assert (site.lat, site.lon, site.radius_m, site.region_code) == (
        26.4478,
        106.9801,
        200,
        "522730100",
    )
    response = post(
        client, f"/console/sites/{site.id}",
        **site_form(unit, lat="26.5", radius_m="300"), version=str(site.version),
    )  # fmt: skip
    assert response.status_code == 303
    db.session.expire_all()
    site = db.session.get(Site, site.id)
    # An empty region code: the unit's region.
    assert (site.lat, site.radius_m, site.region_code) == (26.5, 300, "522730")
    assert post(client, f"/console/sites/{site.id}/active", active="0").status_code == 303
    db.session.expire_all()
    assert db.session.get(Site, site.id).active is False
    assert (events("site.create"), events("site.update"), events("site.deactivate")) == (1, 1, 1)


def test_site_refusals(client, admin, factory):
    unit = factory.unit("住建局")
    factory.site(unit).name = "已有点位"
    db.session.commit()
    before = count(Site)
    cases = [
        (site_form(unit, lat="91"), "纬度须在 -90 与 90 之间"),
        (site_form(unit, lon="-181"), "经度须在 -180 与 180 之间"),
        (site_form(unit, lat="北纬26"), "须为数字"),
        (site_form(unit, radius_m="5"), "围栏半径须在 10 与 50000 米之间"),
        (site_form(unit, name="已有点位"), "住建局已有名为“已有点位”的点位"),
        (site_form(unit, region_code="12"), "区划代码应为6位"),
    ]
    for form, message in cases:
        response = post(client, "/console/sites/new", **form)
        assert response.status_code == 422, message
        assert message in text(response)
    assert count(Site) == before


def test_a_stale_edit_is_refused(client, admin, factory):
    unit = factory.unit("住建局")
    site = factory.site(unit)
    db.session.commit()
    response = post(
        client, f"/console/sites/{site.id}", **site_form(unit), version=str(site.version + 5)
    )
    assert response.status_code == 409
    assert "已被他人修改" in text(response)


def test_the_site_form_draws_the_map_picker(client, admin, factory):
    unit = factory.unit("住建局")
    site = factory.site(unit, lat=26.45, lon=106.97)
    db.session.commit()
    page = text(client.get(f"/console/sites/{site.id}"))
    assert 'data-pick="lat,lon"' in page and 'data-point="106.97,26.45"' in page
    assert "当前未配置底图" in page  # no base map: a plain background, coordinates still


@pytest.mark.parametrize("role", [Role.supervisor, Role.leader, Role.responder, Role.inspector])
def test_other_roles_are_refused(client, auth, factory, role):
    user = factory.user(role)
    unit = factory.unit("住建局")
    db.session.commit()
    console_login(client, auth, user)
    for url in ("/console/units", "/console/sites/new", "/console/regions",
                "/console/sites/import"):  # fmt: skip
        assert client.get(url).status_code == 403
    response = post(client, "/console/units/new", code="X1", name="某局", region_code="522730",
                    kind="department")  # fmt: skip
    assert response.status_code == 403
    response = post(client, f"/console/units/{unit.id}/active", active="0")
    assert response.status_code == 403
    assert unit_by_code("X1") is None and unit_by_code(unit.code).active


# ---- import ----


def upload(client, kind, data: bytes, name="data.csv"):
    return client.post(
        f"/console/{kind}/import",
        data={"csrf_token": csrf(client), "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def token_of(page: str) -> str:
    return page.split('name="token" value="')[1].split('"')[0]


def confirm(client, kind, token, action="confirm"):
    return post(client, f"/console/{kind}/import/confirm", token=token, action=action)


SITES_CSV = (
    "点位名称,责任单位代码,纬度,经度,地址,区划代码,围栏半径(米)\n"
    "谷脚镇卫生院,IMP-WJJ,26.5281,106.8904,谷脚镇,522730101,\n"
    "醒狮镇中心小学,IMP-WJJ,26.4016,107.0962,,,300\n"
    "坏坐标点位,IMP-WJJ,95,106.9,,,\n"
    "无主点位,NOPE,26.4,106.9,,,\n"
)


@pytest.fixture
def import_unit(factory):
    unit = factory.unit("县卫健局", region_code="522730")
    unit.code = "IMP-WJJ"
    db.session.commit()
    return unit


def imports_dir(app) -> Path:
    return Path(app.instance_path) / "imports"


def test_site_import_previews_then_writes_the_valid_rows_once(client, admin, import_unit, app):
    response = upload(client, "sites", SITES_CSV.encode("utf-8"))
    assert response.status_code == 200
    page = text(response)
    assert "第 4 行" in page and "纬度须在 -90 与 90 之间" in page
    assert "第 5 行" in page and "责任单位代码“NOPE”不存在" in page
    assert "新增 <strong>2</strong> 条" in page
    assert count(Site) == 0  # a preview writes nothing
    assert len(list(imports_dir(app).glob("*.upload"))) == 1

    response = confirm(client, "sites", token_of(page))
    assert response.status_code == 303
    rows = {s.name: s for s in db.session.scalars(select(Site))}
    assert set(rows) == {"谷脚镇卫生院", "醒狮镇中心小学"}
    assert rows["谷脚镇卫生院"].region_code == "522730101"
    assert rows["醒狮镇中心小学"].region_code == "522730"  # the unit's
    assert rows["醒狮镇中心小学"].radius_m == 300 and rows["谷脚镇卫生院"].radius_m == 200
    assert list(imports_dir(app).glob("*")) == []  # the kept file is gone
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "organisation.import"))
    assert event.details["created"] == 2 and event.details["skipped_rows"] == [4, 5]
    # The token is spent.
    assert confirm(client, "sites", token_of(page)).status_code == 410

    # The same file again: nothing to create or update.
    page = text(upload(client, "sites", SITES_CSV.encode("utf-8")))
    assert "新增 <strong>0</strong> 条" in page and "更新 <strong>0</strong> 条" in page
    assert "没有可写入的行" in page
    assert count(Site) == 2


def test_a_changed_row_updates_its_site(client, admin, import_unit):
    token = token_of(text(upload(client, "sites", SITES_CSV.encode())))
    confirm(client, "sites", token)
    changed = SITES_CSV.replace("26.5281,106.8904", "26.53,106.89")
    page = text(upload(client, "sites", changed.encode()))
    assert "更新 <strong>1</strong> 条" in page
    assert confirm(client, "sites", token_of(page)).status_code == 303
    site = db.session.scalar(select(Site).where(Site.name == "谷脚镇卫生院"))
    db.session.refresh(site)
    assert (site.lat, site.lon, site.address) == (26.53, 106.89, "谷脚镇")
    assert count(Site) == 2


def test_gbk_csv_with_a_bom_less_header(client, admin, import_unit):
    data = SITES_CSV.encode("gbk")
    page = text(upload(client, "sites", data))
    assert "谷脚镇卫生院" in page and "新增 <strong>2</strong> 条" in page
    confirm(client, "sites", token_of(page))
    assert count(Site) == 2


def test_utf8_bom_regions_and_english_headers(client, admin):
    data = "\ufeffcode,name\n522730,龙里县\n522730100,龙山镇\n522730100,重复\n".encode()
    page = text(upload(client, "regions", data))
    assert "与第 3 行重复" in page
    confirm(client, "regions", token_of(page))
    db.session.expire_all()
    assert db.session.get(Region, "522730100").name == "龙山镇"
    assert db.session.get(Region, "522730").name == "龙里县"


def test_xlsx_units_with_parents_in_the_same_file(client, admin):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["单位代码", "单位名称", "区划代码", "单位类型", "上级单位代码"])
    sheet.append(["X-BUREAU", "某县某局", 522730, "县直部门", "X-GOV"])  # parent below
    sheet.append(["X-GOV", "某县人民政府", 522730, "人民政府", None])
    sheet.append(["X-BAD", "坏类型", "522730", "部委", "X-GOV"])
    sheet.append(["X-LOOP1", "循环一", "522730", "县直部门", "X-LOOP2"])
    sheet.append(["X-LOOP2", "循环二", "522730", "县直部门", "X-LOOP1"])
    out = io.BytesIO()
    book.save(out)
    page = text(upload(client, "units", out.getvalue(), "units.xlsx"))
    assert "单位类型无效" in page and "形成循环" in page
    assert "新增 <strong>2</strong> 条" in page and "有错误 <strong>3</strong> 行" in page
    assert confirm(client, "units", token_of(page)).status_code == 303
    bureau, gov = unit_by_code("X-BUREAU"), unit_by_code("X-GOV")
    assert bureau.parent_id == gov.id and bureau.region_code == "522730"
    assert unit_by_code("X-LOOP1") is None
    # Again: unchanged, and an empty parent cell keeps the parent.
    sheet.delete_rows(4, 3)
    sheet["E2"] = None
    out = io.BytesIO()
    book.save(out)
    page = text(upload(client, "units", out.getvalue(), "units.xlsx"))
    assert "无变化 2 条" in page and "没有可写入的行" in page


def test_a_file_that_cannot_be_read_is_refused(client, admin):
    response = upload(client, "units", "单位名称,别的\n甲,乙\n".encode())
    assert response.status_code == 422
    assert "表头缺少必填列:单位代码、区划代码、单位类型" in text(response)
    response = upload(client, "units", b"\xff\xfe\x00\x00garbage\x00")
    assert response.status_code == 422
    response = upload(client, "units", b"PK\x03\x04 not really a zip")
    assert response.status_code == 422 and "无法读取 XLSX 文件" in text(response)


def test_import_limits_are_settings(client, admin, import_unit, monkeypatch):
    monkeypatch.setenv("ZHICHA_RULE_IMPORT_MAX_ROWS", "2")
    response = upload(client, "sites", SITES_CSV.encode())
    assert response.status_code == 422 and "数据行超过 2 行的上限" in text(response)
    monkeypatch.setenv("ZHICHA_RULE_IMPORT_MAX_BYTES", "1000")
    response = upload(client, "sites", SITES_CSV.encode() + b"#" * 1000)
    assert response.status_code == 422 and "文件超过 1000 字节的上限" in text(response)


def test_a_token_is_bound_to_its_uploader_and_kind(client, auth, admin, factory, import_unit, app):
    token = token_of(text(upload(client, "sites", SITES_CSV.encode())))
    assert confirm(client, "units", token).status_code == 410  # another kind of import
    other = factory.user(Role.admin, import_unit)
    db.session.commit()
    console_login(client, auth, other)
    assert confirm(client, "sites", token).status_code == 410
    assert count(Site) == 0
    console_login(client, auth, admin)
    assert confirm(client, "sites", token, action="cancel").status_code == 303
    assert list(imports_dir(app).glob("*")) == [] and count(Site) == 0


def test_an_expired_upload_is_removed(client, admin, import_unit, app, monkeypatch):
    token = token_of(text(upload(client, "sites", SITES_CSV.encode())))
    import time as real_time

    later = real_time.time() + 31 * 60
    monkeypatch.setattr("server.organisation.files.time.time", lambda: later)
    assert confirm(client, "sites", token).status_code == 410
    assert list(imports_dir(app).glob("*")) == [] and count(Site) == 0


def test_templates_download_with_header_and_example(client, admin):
    response = client.get("/console/sites/import/template.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    body = response.get_data().decode("utf-8")
    assert body.startswith("\ufeff点位名称,责任单位代码,纬度,经度")
    assert len(body.strip().splitlines()) == 2
    # The template itself imports (its example row names a unit that may not exist).
    page = text(upload(client, "regions", client.get("/console/regions/import/template.csv").data))
    assert "新增 <strong>1</strong> 条" in page


def test_on_a_gcj02_base_map_the_picker_draws_the_shifted_point(client, admin, factory, app):
    from server.maps.coords import wgs84_to_gcj02

    app.config["MAP_DATUM"] = "gcj02"
    site = factory.site(factory.unit("住建局"), lat=26.45, lon=106.97)
    db.session.commit()
    page = text(client.get(f"/console/sites/{site.id}"))
    lat, lon = wgs84_to_gcj02(26.45, 106.97)
    assert f'data-point="{round(lon, 7)},{round(lat, 7)}"' in page
    assert 'data-datum="gcj02"' in page
    assert 'value="26.45"' in page  # the fields stay WGS-84
