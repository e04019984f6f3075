"""Replies back to the platform (server/clues/replies.py): one row per ended clue of the
office in the platform's reply format, a merged duplicate following the clue it was merged
into, the filters, the CSV and XLSX downloads, never the reporter's name or contact, and
nothing of another office."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from server.clues import operations as ops
from server.extensions import db
from server.models import Role, UnitKind
from server.timeutil import local_today
from tests.api.test_console import console_login

CONTACT, NAME = "139****0009", "赵某某"


@pytest.fixture
def desk(client, auth, factory):
    office = factory.unit("龙里县人民政府督查室", kind=UnitKind.office)
    unit = factory.unit("龙里县住房和城乡建设局")
    supervisor = factory.user(Role.supervisor, office)

    def clue(ref, **fields):
        fields.setdefault("reporter_name", NAME)
        fields.setdefault("reporter_contact", CONTACT)
        return factory.clue(office, supervisor, source_ref=ref, **fields)

    closed = clue("GD-CLOSED")
    ops.close_clue(closed, "rectified", "经核查属实,已督促修复道路。", supervisor)
    duplicate = clue("GD-DUP")
    ops.merge_clue(duplicate, closed, supervisor)
    rejected = clue("GD-REJ")
    ops.reject_clue(rejected, "不属于督查范围", "已告知来电人向法院起诉。", supervisor)
    waiting = clue("GD-WAIT")  # merged into a clue still open: no reply yet
    ops.merge_clue(waiting, clue("GD-OPEN"), supervisor)
    letter = clue("LETTER-1", source="letter")
    ops.close_clue(letter, "not_verified", "经实地核查,反映问题不属实。", supervisor)
    old = clue("GD-OLD")
    ops.close_clue(old, "not_verified", "查无实据。", supervisor)
    old.closed_at = datetime.now(UTC) - timedelta(days=40)
    db.session.commit()
    console_login(client, auth, supervisor)
    return {"office": office, "supervisor": supervisor, "unit": unit, "closed": closed}


def rows_of(response) -> list[list[str]]:
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")  # a BOM: Excel reads it as UTF-8
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_the_csv_has_a_row_per_replied_work_order_in_the_platform_format(client, desk):
    response = client.get("/console/clues/replies.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    header, *rows = rows_of(response)
    assert header == ["工单编号", "办理结果", "答复内容", "办结时间", "办理单位", "是否属实"]
    by_ref = {row[0]: row for row in rows}
    assert set(by_ref) == {"GD-CLOSED", "GD-DUP", "GD-REJ", "GD-OLD"}  # hotline by default
    assert by_ref["GD-CLOSED"][1:3] == ["属实,已整改", "经核查属实,已督促修复道路。"]
    assert by_ref["GD-CLOSED"][4:] == ["龙里县人民政府督查室", "是"]
    # The duplicate carries its main clue's outcome, reply and end.
    assert by_ref["GD-DUP"][1:] == by_ref["GD-CLOSED"][1:]
    assert by_ref["GD-REJ"][1:3] == ["不予受理", "已告知来电人向法院起诉。"]
    assert by_ref["GD-REJ"][5] == "—" and by_ref["GD-OLD"][5] == "否"
    assert by_ref["GD-CLOSED"][3].startswith(local_today().isoformat())
    body = response.get_data(as_text=True)
    assert CONTACT not in body and NAME not in body


def test_the_xlsx_has_text_cells_and_a_frozen_header(client, desk):
    from openpyxl import load_workbook

    response = client.get("/console/clues/replies.xlsx?source=all&outcome=not_verified")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0] == ["工单编号", "办理结果", "答复内容", "办结时间", "办理单位", "是否属实"]
    assert sorted(row[0] for row in values[1:]) == ["GD-OLD", "LETTER-1"]
    assert all(c.data_type == "s" for row in sheet.iter_rows(min_row=2) for c in row)
    assert sheet.freeze_panes == "A2"
    flat = str(values)
    assert CONTACT not in flat and NAME not in flat


def test_filters_by_closed_date_source_and_outcome(client, desk):
    today = local_today()
    week = (today - timedelta(days=7)).isoformat()
    response = client.get(f"/console/clues/replies.csv?closed_from={week}")
    assert sorted(r[0] for r in rows_of(response)[1:]) == ["GD-CLOSED", "GD-DUP", "GD-REJ"]
    long_ago = (today - timedelta(days=60)).isoformat()
    month = (today - timedelta(days=30)).isoformat()
    response = client.get(f"/console/clues/replies.csv?closed_from={long_ago}&closed_to={month}")
    assert [r[0] for r in rows_of(response)[1:]] == ["GD-OLD"]
    response = client.get("/console/clues/replies.csv?source=letter")
    assert [r[0] for r in rows_of(response)[1:]] == ["LETTER-1"]
    response = client.get("/console/clues/replies.csv?outcome=rectified")
    assert sorted(r[0] for r in rows_of(response)[1:]) == ["GD-CLOSED", "GD-DUP"]
    # The page lists the same rows, and says what is wrong with a filter next to it.
    page = client.get("/console/clues/replies?outcome=rejected").get_data(as_text=True)
    assert "GD-REJ" in page and "GD-CLOSED" not in page and "共 1 条" in page
    assert CONTACT not in page and NAME not in page
    response = client.get(f"/console/clues/replies?closed_from={month}&closed_to={long_ago}")
    assert response.status_code == 422 and "开始日期不能晚于结束日期" in response.get_data(True)
    assert client.get("/console/clues/replies.csv?source=fax").status_code == 422


def test_the_page_pages_and_says_when_there_is_nothing(client, desk, monkeypatch):
    monkeypatch.setattr("server.clues.replies.PAGE_ROWS", 2)
    page = client.get("/console/clues/replies").get_data(as_text=True)
    assert "第 1 / 2 页" in page and "下一页" in page
    page = client.get("/console/clues/replies?source=media").get_data(as_text=True)
    assert "没有符合条件的已办结线索" in page


def test_another_office_sees_none_of_it(client, auth, desk, factory):
    other = factory.user(Role.supervisor, factory.unit("另一督查室", kind=UnitKind.office))
    db.session.commit()
    console_login(client, auth, other)
    assert rows_of(client.get("/console/clues/replies.csv?source=all")) == [
        ["工单编号", "办理结果", "答复内容", "办结时间", "办理单位", "是否属实"]
    ]
    assert "GD-CLOSED" not in client.get("/console/clues/replies").get_data(as_text=True)
    for role in (Role.responder, Role.admin, Role.leader):
        user = factory.user(role, desk["unit"])
        db.session.commit()
        console_login(client, auth, user)
        assert client.get("/console/clues/replies.csv").status_code == 403
