"""Importing the 12345 platform's work-order export (server/clues/imports.py): a preview
of every row that writes nothing, per-row errors by row and column, a confirmation that
files the new work orders as numbered, audited clues of the uploader's office, a
re-import that creates nothing, a confirmation that re-checks the database, the token
bound to its uploader, the limits, and who may import."""

from __future__ import annotations

import io
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from server.clues.import_format import parse_day
from server.extensions import db
from server.models import AuditEvent, Clue, ClueSource, ClueTopic, Region, Role, UnitKind
from tests.api.test_console import console_login

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "12345_workorders_gbk.csv"


def csrf(client) -> str:
    with client.session_transaction() as session:
        return session["csrf"]


def text(response) -> str:
    return response.get_data(as_text=True)


def upload(client, data: bytes, name="工单.csv"):
    return client.post(
        "/console/clues/import",
        data={"csrf_token": csrf(client), "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def token_of(page: str) -> str:
    return page.split('name="token" value="')[1].split('"')[0]


def confirm(client, token, action="confirm"):
    return client.post(
        "/console/clues/import/confirm",
        data={"csrf_token": csrf(client), "token": token, "action": action},
    )


def clues() -> dict[str, Clue]:
    db.session.expire_all()
    return {c.source_ref: c for c in db.session.scalars(select(Clue))}


def count() -> int:
    return db.session.scalar(select(func.count()).select_from(Clue))


@pytest.fixture
def desk(client, auth, factory):
    office = factory.unit("龙里县人民政府督查室", kind=UnitKind.office)
    zjj = factory.unit("龙里县住房和城乡建设局")
    zjj.code = "LL-ZJJ"
    db.session.add_all(
        [Region(code="522730100", name="龙山镇"), Region(code="522730101", name="谷脚镇")]
    )
    supervisor = factory.user(Role.supervisor, office)
    db.session.commit()
    console_login(client, auth, supervisor)
    return {"office": office, "zjj": zjj, "supervisor": supervisor}


def imports_dir(app) -> Path:
    return Path(app.instance_path) / "imports"


def test_the_platforms_gbk_export_previews_then_files_the_valid_rows(client, desk, app):
    response = upload(client, FIXTURE.read_bytes())
    assert response.status_code == 200
    page = text(response)
    assert "新增 <strong>3</strong> 条" in page and "有错误 <strong>8</strong> 行" in page
    expected = [
        ("第 5 行", "工单编号", "与第 2 行工单编号重复"),
        ("第 6 行", "受理时间", "无法识别的日期“2026-13-40”"),
        ("第 7 行", "诉求分类", "分类“噪音扰民”不存在,可填:城乡建设、住房保障"),
        ("第 8 行", "承办单位", "单位“不存在的局”不存在或已停用"),
        ("第 9 行", "诉求内容", ""),
        ("第 10 行", "工单编号", "工单编号不能为空"),
        ("第 11 行", "纬度", "经度和纬度须同时填写"),
        ("第 12 行", "渠道", "渠道“飞鸽传书”无法识别"),
    ]
    for row, column, message in expected:
        cell = f'<td data-label="行号">{row}</td><td data-label="列">{column}</td>'
        assert cell in page, row
        assert message in page.split(cell)[1].split("</tr>")[0]
    assert "以下列不属于导入格式,已忽略:备注" in page
    assert count() == 0  # a preview writes nothing
    assert len(list(imports_dir(app).glob("*.upload"))) == 1

    response = confirm(client, token_of(page))
    assert response.status_code == 303
    page = text(client.get(response.headers["Location"]))
    assert "导入完成:新增线索 3 条,已存在跳过 0 条,有错误跳过 8 行" in page
    rows = clues()
    assert set(rows) == {"GD20260301000123", "GD20260302000456", "GD20260303000789"}
    road, wages, clinic = (rows[k] for k in sorted(rows))
    year = road.received_on.year
    assert sorted(c.code for c in rows.values()) == [f"XS-{year}-000{n}" for n in (1, 2, 3)]
    assert road.source == ClueSource.hotline and road.received_on == date(2026, 3, 1)
    assert (road.region_code, road.unit_id, road.lat, road.lon) == (
        "522730100", desk["zjj"].id, 26.4532, 106.9768,
    )  # fmt: skip
    assert (road.reporter_name, road.reporter_contact) == ("张先生", "139****0001")
    assert road.topic.name == "城乡建设" and road.office_unit_id == desk["office"].id
    assert wages.source == ClueSource.online and wages.region_code == "522730101"
    assert wages.topic.code == "wages" and wages.unit_id == desk["zjj"].id
    assert clinic.unit_id is None and clinic.region_code == "522730100"
    assert list(imports_dir(app).glob("*")) == []  # the kept file is gone
    created = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "clue.created"))
    assert len(created.all()) == 3
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "clue.import"))
    assert event.details["created"] == 3 and event.details["skipped_rows"] == list(range(5, 13))
    assert "139" not in str(event.details)

    # The same file again: every valid row is already a clue.
    page = text(upload(client, FIXTURE.read_bytes()))
    assert "新增 <strong>0</strong> 条" in page and "已存在(跳过) <strong>3</strong> 条" in page
    assert f"已存在(跳过)({road.code})" in page
    assert "没有可导入的新工单" in page and 'name="token"' not in page
    assert count() == 3


def test_an_xlsx_with_date_cells_and_other_header_names(client, desk):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["工单号", "受理日期", "工单内容", "地址", "分类", "责任单位", "来源"])
    when = datetime(2026, 3, 5, 10, 0)
    sheet.append(
        ["X-1", when, "反映龙山镇中坝村饮水管道破裂", "中坝村", "城乡建设", "LL-ZJJ", "来信"]
    )
    sheet.append(["X-2", 46090, "反映洗马镇平坡村道路积水严重", "平坡村", None, None, "媒体"])
    when = "2026年3月7日 14时05分"
    sheet.append([20260307, when, "反映小学门口摊贩占道经营", "醒狮镇", None, None, None])
    sheet.append(["X-4", date(2099, 1, 1), "反映未来的事情不可能受理", "某地", None, None, None])
    out = io.BytesIO()
    book.save(out)
    page = text(upload(client, out.getvalue(), "工单.xlsx"))
    assert "新增 <strong>3</strong> 条" in page and "受理日期不能晚于今天" in page
    assert confirm(client, token_of(page)).status_code == 303
    rows = clues()
    assert rows["X-1"].received_on == date(2026, 3, 5) and rows["X-1"].source == ClueSource.letter
    assert rows["X-2"].received_on == date(2026, 3, 9) and rows["X-2"].source == ClueSource.media
    assert rows["20260307"].received_on == date(2026, 3, 7)
    assert rows["20260307"].source == ClueSource.hotline  # the default channel


def test_dates_in_the_forms_the_platforms_write():
    for written in ("2026-03-01", "2026/3/1", "2026.3.1 9:30", "2026年3月1日", "20260301",
                    "2026-03-01T09:30:00+08:00", "2026年3月1日 09时30分", "46082"):  # fmt: skip
        assert parse_day(written) == date(2026, 3, 1), written
    for wrong in ("", "3/1/2026", "2026-02-30", "昨天"):
        assert parse_day(wrong) is None, wrong


def test_the_confirmation_checks_the_database_again(client, desk, factory):
    page = text(upload(client, FIXTURE.read_bytes()))
    # Filed by hand between the preview and the confirmation.
    factory.clue(desk["office"], desk["supervisor"], source_ref="GD20260303000789")
    db.session.commit()
    assert confirm(client, token_of(page)).status_code == 303
    assert len(clues()) == 3
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "clue.import"))
    assert (event.details["created"], event.details["existing"]) == (2, 1)


def test_a_deactivated_topic_is_not_accepted(client, desk):
    topic = db.session.scalar(select(ClueTopic).where(ClueTopic.code == "health"))
    topic.active = False
    db.session.commit()
    try:
        page = text(upload(client, FIXTURE.read_bytes()))
        assert "分类“医疗卫生”不存在" in page and "新增 <strong>2</strong> 条" in page
    finally:
        topic.active = True
        db.session.commit()


def test_a_file_that_is_not_the_export_is_refused(client, desk):
    response = upload(client, "编号,内容\n1,甲\n".encode())
    assert response.status_code == 422
    assert "表头缺少必填列:受理时间。请使用本页提供的模板" in text(response)
    response = upload(client, b"PK\x03\x04 not really a zip", "x.xlsx")
    assert response.status_code == 422 and "无法读取 XLSX 文件" in text(response)
    response = client.post("/console/clues/import", data={"csrf_token": csrf(client)})
    assert response.status_code == 422 and "请选择要导入的 CSV 或 XLSX 文件" in text(response)


def test_import_limits_are_the_import_settings(client, desk, monkeypatch):
    monkeypatch.setenv("ZHICHA_RULE_IMPORT_MAX_ROWS", "5")
    response = upload(client, FIXTURE.read_bytes())
    assert response.status_code == 422 and "数据行超过 5 行的上限" in text(response)
    monkeypatch.setenv("ZHICHA_RULE_IMPORT_MAX_BYTES", "1000")
    response = upload(client, FIXTURE.read_bytes() + b"#" * 1000)
    assert response.status_code == 422 and "文件超过 1000 字节的上限" in text(response)
    assert count() == 0


def test_the_token_is_bound_to_its_uploader(client, auth, desk, factory, app):
    token = token_of(text(upload(client, FIXTURE.read_bytes())))
    colleague = factory.user(Role.supervisor, desk["office"])
    elsewhere = factory.user(Role.supervisor, factory.unit("另一督查室", kind=UnitKind.office))
    db.session.commit()
    for other in (colleague, elsewhere):
        console_login(client, auth, other)
        response = confirm(client, token)
        assert response.status_code == 410 and "导入文件已过期或不存在" in text(response)
    assert count() == 0
    console_login(client, auth, desk["supervisor"])
    response = confirm(client, token, action="cancel")
    assert response.status_code == 303
    assert "已取消导入" in text(client.get(response.headers["Location"]))
    assert list(imports_dir(app).glob("*")) == [] and count() == 0


def test_another_office_files_the_same_work_orders_as_its_own(client, auth, desk, factory):
    token = token_of(text(upload(client, FIXTURE.read_bytes())))
    confirm(client, token)
    other = factory.user(Role.supervisor, factory.unit("另一督查室", kind=UnitKind.office))
    db.session.commit()
    console_login(client, auth, other)
    page = text(upload(client, FIXTURE.read_bytes()))
    assert "新增 <strong>3</strong> 条" in page and "已存在(跳过) <strong>0</strong>" in page
    assert "XS-" not in page  # nothing of the first office's clues shows


def test_only_an_offices_supervisors_import(client, auth, desk, factory):
    for role in (Role.responder, Role.admin, Role.leader, Role.inspector):
        user = factory.user(role, desk["zjj"])
        db.session.commit()
        console_login(client, auth, user)
        assert client.get("/console/clues/import").status_code == 403
        assert upload(client, FIXTURE.read_bytes()).status_code == 403
    assert count() == 0


def test_templates_carry_the_columns_and_an_example(client, desk):
    response = client.get("/console/clues/import/template.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    body = response.get_data().decode("utf-8")
    assert body.startswith("\ufeff工单编号,受理时间,诉求内容,事发地址,所属乡镇,承办单位,诉求分类")
    from openpyxl import load_workbook

    response = client.get("/console/clues/import/template.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    assert [c.value for c in sheet[1]][:3] == ["工单编号", "受理时间", "诉求内容"]
    assert sheet.freeze_panes == "A2"
    # The template imports (its example names the county's unit and township).
    page = text(upload(client, response.get_data(), "模板.xlsx"))
    assert "新增 <strong>1</strong> 条" in page, page


def test_a_large_confirmation_commits_in_chunks(client, desk, monkeypatch):
    """Every CHUNK_ROWS filed rows the confirmation commits, so SQLite's write lock is
    released between chunks; every row is filed, each once."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    from server.clues import imports

    monkeypatch.setattr(imports, "CHUNK_ROWS", 2)
    lines = ["工单编号,受理时间,诉求内容,事发地址"]
    lines += [f"CH-{n},2026-03-0{n},反映第{n}处路灯损坏多日,龙山镇{n}号路口" for n in range(1, 6)]
    page = text(upload(client, "\r\n".join(lines).encode()))
    assert "新增 <strong>5</strong> 条" in page
    created = []  # the clues committed by each commit of the confirming request

    def listener(session):
        if not session.in_nested_transaction():  # a savepoint's release is no commit
            created.append(session.execute(select(func.count()).select_from(Clue)).scalar())

    event.listen(Session, "before_commit", listener)
    try:
        assert confirm(client, token_of(page)).status_code == 303
    finally:
        event.remove(Session, "before_commit", listener)
    assert created[:3] == [2, 4, 5]  # two chunks of two, then the request's own commit
    assert sorted(clues()) == [f"CH-{n}" for n in range(1, 6)]
