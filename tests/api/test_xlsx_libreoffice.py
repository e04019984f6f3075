"""The ledger's XLSX opens in LibreOffice: converted back to CSV by `soffice --headless`,
its rows equal the ledger's own CSV export (the columns both carry)."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess

import pytest

from tests.api.test_console_ledger import make_red, read_csv
from tests.api.test_console_plans import login

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
pytestmark = pytest.mark.skipif(
    SOFFICE is None,
    reason="LibreOffice (soffice) is not installed here: apt-get install libreoffice-calc-nogui "
    "(CI installs it)",
)
# XLSX column -> the ledger CSV's column holding the same fact.
SAME = {
    "编号": "编号",
    "标题": "标题",
    "问题": "问题",
    "责任单位": "责任单位",
    "牵头领导": "牵头领导",
    "完成时限": "完成时限",
    "状态": "状态",
    "颜色": "颜色",
    "挂牌": "挂牌督办",
}


def converted(xlsx: bytes, tmp_path) -> list[dict]:
    source = tmp_path / "ledger.xlsx"
    source.write_bytes(xlsx)
    subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation=file://{tmp_path / 'profile'}",
            "--headless",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76",  # comma, quote, UTF-8
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    text = (tmp_path / "ledger.csv").read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def test_libreoffice_reads_the_same_rows_as_the_ledger_csv(client, auth, rw, tmp_path):
    red = rw.in_progress(problem="林区防火通道堵塞,存在火灾隐患", listed=True)
    make_red(red["id"])
    rw.issued(unit_id=str(rw.unit_b.id), problem='引号"与,逗号的问题')
    rw.make("closed")
    rw.create(problem="尚未交办")
    login(client, auth, rw.supervisor)

    ledger = read_csv(client.get("/console/ledger/export.csv"))
    expected = {
        row["编号"]: row for row in (dict(zip(ledger[0], r, strict=True)) for r in ledger[1:])
    }
    response = client.get("/console/ledger/export.xlsx")
    assert response.status_code == 200
    rows = converted(response.get_data(), tmp_path)

    assert len(rows) == len(expected) == 3
    for row in rows:
        theirs = expected[row["编号"]]
        mine = {k: row[k] for k in SAME}
        assert mine == {k: theirs[v] for k, v in SAME.items()}, row["编号"]
    assert [row["序号"] for row in rows] == ["1", "2", "3"]
