"""XLSX exports of the ledger and the three lists (issue 16): cells read back with
openpyxl, the ledger's scope per role, drafts never, and the export job's flow (queued
-> done with progress, download by the requester only, expiry, the stranded sweeper)."""

from __future__ import annotations

import io
import uuid
from datetime import date, datetime, timedelta

import openpyxl
import pytest

from server.extensions import db
from server.models import ExportJob, ExportStatus, SettingOverride
from server.models.base import utcnow
from server.rectification import export_rows, exports
from server.rectification.jobs import sweep_exports
from server.rectification.schemas import LedgerArgsSchema, ThreeListsArgsSchema
from tests.api.test_console_ledger import make_red
from tests.api.test_console_plans import login

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
LEDGER_HEADER = [
    *("序号", "编号", "标题", "问题", "责任单位", "牵头领导", "配合单位", "整改措施"),
    *("完成时限", "状态", "颜色", "挂牌", "最近进展", "销号日期"),
]


def workbook(response) -> openpyxl.Workbook:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == XLSX
    return openpyxl.load_workbook(io.BytesIO(response.get_data()))


def rows_of(sheet) -> list[dict]:
    values = list(sheet.iter_rows(values_only=True))
    return [dict(zip(values[0], row, strict=True)) for row in values[1:]]


def codes(sheet) -> set[str]:
    return {row["编号"] for row in rows_of(sheet)}


def set_rule(rw, key, value) -> None:
    db.session.add(SettingOverride(key=key, value=value, updated_by_id=rw.supervisor.id))
    db.session.commit()


def test_ledger_workbook_has_the_columns_dates_fills_frozen_header_and_filter(client, auth, rw):
    red = rw.in_progress(problem="林区防火通道堵塞", title="防火通道堵塞")
    make_red(red["id"])
    yellow = rw.issued(unit_id=str(rw.unit_b.id), supporting_unit_ids=[str(rw.unit_a.id)])
    closed = rw.make("closed")
    draft = rw.create(problem="尚未交办的问题")
    login(client, auth, rw.supervisor)

    book = workbook(client.get("/console/ledger/export.xlsx"))
    sheet = book["整改台账"]
    assert [c.value for c in sheet[1]] == LEDGER_HEADER
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:N{sheet.max_row}"
    assert sheet.column_dimensions["D"].width > sheet.column_dimensions["A"].width
    rows = {r["编号"]: r for r in rows_of(sheet)}
    assert set(rows) == {red["code"], yellow["code"], closed.code}  # never the draft
    assert draft["code"] not in rows
    assert [r["序号"] for r in rows_of(sheet)] == [1, 2, 3]

    r = rows[red["code"]]
    assert (r["标题"], r["问题"], r["责任单位"]) == ("防火通道堵塞", "林区防火通道堵塞", "住建局")
    assert r["牵头领导"] == rw.leader.display_name and r["整改措施"] == "三日内完成围挡设置"
    assert isinstance(r["完成时限"], datetime)  # a real date, not text
    assert r["完成时限"].date() == date.today() - timedelta(days=1)
    assert (r["状态"], r["颜色"], r["挂牌"]) == ("整改中", "红色", "否")
    assert r["最近进展"].endswith("已开始整改") and r["销号日期"] is None
    assert rows[yellow["code"]]["配合单位"] == "住建局"
    assert rows[yellow["code"]]["颜色"] == "黄色"
    assert rows[closed.code]["销号日期"].date() == date.today()
    assert rows[closed.code]["颜色"] == "绿色"

    fills = {row[1].value: row[10].fill.fgColor.rgb for row in sheet.iter_rows(min_row=2)}
    assert fills[red["code"]] == "FFF8D7DA" and fills[closed.code] == "FFD1E7DD"
    assert fills[yellow["code"]] == "FFFFF3CD"


def test_ledger_workbook_follows_the_ledger_filters(client, auth, rw):
    red = rw.issued()
    make_red(red["id"])
    other = rw.issued(unit_id=str(rw.unit_b.id))
    login(client, auth, rw.supervisor)
    sheet = workbook(client.get("/console/ledger/export.xlsx?colour=red"))["整改台账"]
    assert codes(sheet) == {red["code"]}
    sheet = workbook(client.get(f"/console/ledger/export.xlsx?unit_id={rw.unit_b.id}"))
    assert codes(sheet["整改台账"]) == {other["code"]}
    assert client.get("/console/ledger/export.xlsx?colour=purple").status_code == 422


def test_text_that_looks_like_a_formula_stays_text(client, auth, rw):
    rw.issued(problem='=HYPERLINK("http://x","点我")', title="+1")
    login(client, auth, rw.supervisor)
    response = client.get("/console/ledger/export.xlsx")
    book = openpyxl.load_workbook(io.BytesIO(response.get_data()))
    cell = book["整改台账"]["D2"]
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")


def test_three_lists_workbook_has_one_sheet_per_list(client, auth, rw):
    a = rw.issued(responsible_person="王局长")
    rw.create(problem="草稿事项")
    login(client, auth, rw.supervisor)
    book = workbook(client.get("/console/three-lists/export.xlsx"))
    assert book.sheetnames == ["问题清单", "措施清单", "责任清单"]
    problems, measures, duty = (rows_of(book[n]) for n in book.sheetnames)
    assert [r["编号"] for r in problems] == [a["code"]]
    assert measures[0]["整改措施"] == "三日内完成围挡设置"
    assert measures[0]["整改要求"] == "按标准化要求整改到位"
    assert isinstance(measures[0]["完成时限"], datetime)
    assert duty[0]["责任人"] == "王局长" and duty[0]["牵头领导"] == rw.leader.display_name
    for name in book.sheetnames:
        assert book[name].freeze_panes == "A2" and book[name].auto_filter.ref


@pytest.mark.parametrize("url", ["/console/ledger/export.xlsx", "/console/three-lists/export.xlsx"])
def test_each_role_exports_only_what_it_sees(client, auth, rw, url):
    own = rw.issued()  # unit A, led by rw.leader
    other_unit = rw.issued(unit_id=str(rw.unit_b.id), lead_official_id=None)
    draft = rw.create()
    sheet_name = "整改台账" if "ledger" in url else "问题清单"

    def exported(user) -> set[str]:
        login(client, auth, user)
        return codes(workbook(client.get(url))[sheet_name])

    everything = {own["code"], other_unit["code"]}
    assert exported(rw.supervisor) == everything
    assert exported(rw.responder_a) == {own["code"]}
    assert exported(rw.responder_b) == {other_unit["code"]}
    assert exported(rw.leader) == {own["code"]}
    assert exported(rw.other_supervisor) == set()
    assert draft["code"] not in everything
    login(client, auth, rw.responder_a)  # a unit may not filter by plan (the plan is secret)
    assert client.get(f"{url}?plan_id={rw.plan.id}").status_code == 403
    login(client, auth, rw.inspector)
    assert client.get(url).status_code in (302, 403)


# ---- large exports run as jobs ----


def request_job(client, csrf, kind="ledger", **filters):
    response = client.post("/console/exports", data={"csrf_token": csrf, "kind": kind, **filters})
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    return uuid.UUID(response.headers["Location"].split("new=")[1])


def test_a_large_export_is_offered_as_a_job_and_downloaded_by_its_requester(client, auth, rw):
    items = [rw.issued() for _ in range(3)]
    set_rule(rw, "export_inline_max_rows", 2)
    csrf = login(client, auth, rw.supervisor)
    offer = client.get("/console/ledger/export.xlsx?colour=yellow")
    html = offer.get_data(as_text=True)
    assert offer.status_code == 200 and "在后台生成" in html and "<strong>3</strong>" in html
    assert 'name="colour" value="yellow"' in html

    job_id = request_job(client, csrf, colour="yellow")  # runs at once in tests
    db.session.expire_all()
    job = db.session.get(ExportJob, job_id)
    assert job.status == ExportStatus.done and (job.rows_done, job.rows_total) == (3, 3)
    assert job.filters == {"colour": "yellow"} and job.expires_at > utcnow()
    listing = client.get("/console/exports").get_data(as_text=True)
    assert f"/console/exports/{job_id}.xlsx" in listing and "下载 Excel" in listing
    sheet = workbook(client.get(f"/console/exports/{job_id}.xlsx"))["整改台账"]
    assert codes(sheet) == {i["code"] for i in items}

    for someone_else in (rw.other_supervisor, rw.leader, rw.responder_a):
        login(client, auth, someone_else)
        assert client.get(f"/console/exports/{job_id}.xlsx").status_code == 404
        assert f"{job_id}" not in client.get("/console/exports").get_data(as_text=True)


def test_job_scopes_rows_by_the_requester_and_reports_progress(rw, monkeypatch):
    for _ in range(5):
        rw.issued()
    rw.issued(unit_id=str(rw.unit_b.id))
    set_rule(rw, "export_inline_max_rows", 1)
    monkeypatch.setattr(export_rows, "BATCH", 2)
    seen = []
    real = exports.xlsx.write

    def spy(target, kind, batches, on_batch=None):
        def note(n):
            on_batch(n)
            seen.append(db.session.get(ExportJob, job_id).rows_done)

        return real(target, kind, batches, note)

    monkeypatch.setattr(exports.xlsx, "write", spy)
    job_id = exports.request_export(rw.responder_a, "three_lists", {}, 5).id
    db.session.commit()
    assert exports.run_export(job_id, ThreeListsArgsSchema()) == "done"
    assert seen == [2, 4, 5]  # committed after each batch
    done = db.session.get(ExportJob, job_id)
    book = openpyxl.load_workbook(exports.export_dir() / done.file_name)
    assert len(rows_of(book["问题清单"])) == 5  # unit A's own, never unit B's


def test_expired_files_are_deleted_and_no_longer_downloadable(client, auth, rw):
    rw.issued()
    rw.issued()
    set_rule(rw, "export_inline_max_rows", 1)
    csrf = login(client, auth, rw.supervisor)
    job_id = request_job(client, csrf)
    job = db.session.get(ExportJob, job_id)
    path = exports.export_dir() / job.file_name
    assert path.is_file()
    assert sweep_exports.call_local() == {"expired": 0, "requeued": 0}
    job.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert sweep_exports.call_local()["expired"] == 1
    assert not path.exists()
    db.session.rollback()
    assert db.session.get(ExportJob, job_id).status == ExportStatus.expired
    assert client.get(f"/console/exports/{job_id}.xlsx").status_code == 404
    assert "已过期" in client.get("/console/exports").get_data(as_text=True)


def test_stranded_jobs_are_requeued_and_run_again(client, auth, rw):
    rw.issued()
    job = exports.request_export(rw.supervisor, "ledger", {}, 1)
    job.touched_at = utcnow() - exports.STRANDED_AFTER - timedelta(seconds=5)
    fresh = exports.request_export(rw.supervisor, "ledger", {}, 1)  # its message may still come
    db.session.commit()
    job_id, fresh_id = job.id, fresh.id
    assert sweep_exports.call_local() == {"expired": 0, "requeued": 1}
    db.session.rollback()  # a fresh read of what the sweeper and the job committed
    assert db.session.get(ExportJob, job_id).status == ExportStatus.done
    assert db.session.get(ExportJob, fresh_id).status == ExportStatus.queued
    # run twice: a done job is left as it is
    assert exports.run_export(job_id, None) == "done"


def test_a_failing_export_says_why(client, auth, rw):
    job = exports.request_export(rw.responder_a, "ledger", {"plan_id": str(rw.plan.id)}, 1)
    db.session.commit()
    assert exports.run_export(job.id, LedgerArgsSchema()) == "failed"
    db.session.rollback()
    failed = db.session.get(ExportJob, job.id)
    assert failed.error == "无权按督查计划筛选" and failed.file_name is None
    assert list(exports.export_dir().glob("*.partial")) == []


def test_an_unexpected_failure_is_told_in_general_terms(rw, monkeypatch):
    job_id = exports.request_export(rw.supervisor, "ledger", {}, 1).id
    db.session.commit()

    def broken(*_args, **_kwargs):
        raise RuntimeError("disk /srv/secret full")

    monkeypatch.setattr(exports.xlsx, "write", broken)
    assert exports.run_export(job_id, LedgerArgsSchema()) == "failed"
    db.session.rollback()
    error = db.session.get(ExportJob, job_id).error
    assert "secret" not in error and error.startswith("生成文件时出错")


def test_a_partial_file_left_by_a_killed_run_is_deleted(rw):
    import os

    old = exports.export_dir() / "killed.partial"
    new = exports.export_dir() / "writing.partial"
    old.write_bytes(b"PK")
    new.write_bytes(b"PK")
    an_hour_ago = (utcnow() - timedelta(hours=1)).timestamp()
    os.utime(old, (an_hour_ago, an_hour_ago))
    exports.expire_exports()
    assert not old.exists() and new.exists()  # one being written right now stays
