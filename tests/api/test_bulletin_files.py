"""The bulletin as files: the PDF holds its Chinese text (pdftotext finds the title, the
office, the 文号 and the page numbers), its fonts are embedded subsets (pdffonts), a
published version's PDF is stored once and served unchanged; the XLSX's cells read back
with openpyxl. Page 1 is rendered to PNG (pdftoppm -r 60) into ZHICHA_TEST_ARTEFACTS
(default: the test's tmp_path) for a person to look at."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from server.evidence import fonts
from server.extensions import db
from server.models import Bulletin
from server.models import RectificationStatus as S
from tests.api.bulletin_helpers import create, last_month, login, public_photo, step
from tests.api.rect_helpers import at_noon

pytestmark = pytest.mark.skipif(
    not (shutil.which("pdftotext") and shutil.which("pdffonts") and fonts.cjk_font()),
    reason="poppler-utils and a CJK font (fonts-noto-cjk) are needed",
)


def published(client, auth, rw) -> Bulletin:
    year, month = last_month()
    item = rw.make(S.in_progress, issued_on=date(year, month, 12))
    closed = rw.make(S.closed, issued_on=date(year, month, 3), unit=rw.unit_b)
    closed.closed_at = at_noon(date(year, month, 20))  # closed in the month as well
    link_finding(item, rw.findings[0])
    photo = public_photo(rw.findings[0])
    csrf = login(client, auth, rw.supervisor)
    bulletin = create(client, csrf, year, month, doc_number="督通〔2026〕12号")
    step(client, csrf, bulletin, "typical", item_id=str(item.id), text="围挡缺失,存在安全隐患",
         photo_ids=str(photo.id))  # fmt: skip
    step(client, csrf, bulletin, "review")
    step(client, csrf, bulletin, "publish", confirm="1")
    return bulletin


def link_finding(item, finding):
    item.findings.append(finding)
    db.session.commit()


def run(*args) -> str:
    return subprocess.run(args, capture_output=True, text=True, check=True, timeout=60).stdout


def test_the_pdf_has_its_chinese_text_and_embedded_fonts(client, auth, rw, tmp_path):
    bulletin = published(client, auth, rw)
    response = client.get(f"/console/bulletins/{bulletin.id}/bulletin.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    pdf = tmp_path / "bulletin.pdf"
    pdf.write_bytes(response.data)
    text = run("pdftotext", "-layout", str(pdf), "-")
    assert bulletin.title in text.replace(" ", "")
    assert "县委督查室" in text and "督通〔2026〕12号" in text
    assert "第 1 页 共" in text or "第1页共" in text.replace(" ", "")
    assert "责任单位排位" in text and "住建局" in text and "围挡缺失" in text
    assert rw.plan.title not in text
    listing = run("pdffonts", str(pdf)).splitlines()[2:]
    assert listing, "no fonts at all"
    for line in listing:
        name, columns = line.split()[0], line.split()
        emb, sub = columns[-5], columns[-4]
        assert (emb, sub) == ("yes", "yes"), line
        assert "+" in name  # a subset's tag, e.g. ABCDEF+ZhichaCJK
    images = run("pdfimages", "-list", str(pdf)).splitlines()[2:]
    assert len(images) >= 1  # the typical problem's photo
    out = Path(os.environ.get("ZHICHA_TEST_ARTEFACTS", tmp_path))
    out.mkdir(parents=True, exist_ok=True)
    run("pdftoppm", "-r", "60", "-png", "-f", "1", "-l", "1", str(pdf), str(out / "bulletin"))
    assert any(out.glob("bulletin*.png"))

    # Published: the file is stored once; later downloads are the same bytes even when
    # the items change.
    db.session.expire_all()
    stored = db.session.get(Bulletin, bulletin.id)
    assert stored.pdf_path == f"bulletins/{bulletin.id}.pdf"
    rw.make(S.issued)
    again = client.get(f"/console/bulletins/{bulletin.id}/bulletin.pdf")
    assert again.data == response.data


def test_the_xlsx_reads_back(client, auth, rw):
    bulletin = published(client, auth, rw)
    response = client.get(f"/console/bulletins/{bulletin.id}/bulletin.xlsx")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["概况", "排位"]
    summary = {row[0]: row[1] for row in book["概况"].iter_rows(values_only=True) if row[0]}
    assert summary["文号"] == "督通〔2026〕12号" and summary["单位"] == "县委督查室"
    assert summary["交办整改事项"] == 2 and summary["销号事项"] == 1
    ranking = list(book["排位"].iter_rows(values_only=True))
    assert ranking[0][:3] == ("名次", "责任单位", "得分")
    assert {r[1] for r in ranking[1:]} == {"住建局", "林业局"}
    assert book["排位"].freeze_panes == "A2"
    best = ranking[1]
    assert best[0] == 1 and best[1] == "林业局" and best[-1] == "红榜"
