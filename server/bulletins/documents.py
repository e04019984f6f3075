"""The bulletin as files: PDF (WeasyPrint from templates/bulletins/pdf.html: A4, the CJK
font embedded as a subset, page numbers, the office and 文号 on every page) and XLSX
(XlsxWriter: the figures and the ranking, one sheet each).

A published version's PDF is written once into the store (STORAGE_DIR/bulletins) and
served from there ever after: the published text never changes. Drafts and reviewed
versions are rendered on each download, marked as such."""

from __future__ import annotations

import base64
import io
import os
import uuid
from pathlib import Path

from flask import render_template

from server import glossary
from server.bulletins import figures
from server.evidence import fonts
from server.evidence.storage import evidence_storage, storage_root
from server.exposure.queries import published_copy_file
from server.extensions import db
from server.models import Bulletin, BulletinStatus, Photo

FIGURE_ROWS = (
    ("findings", "新发现问题"),
    ("issued", "交办整改事项"),
    ("closed", "销号事项"),
    ("overdue", "超期未办结"),
    ("verified_passed", "回头看通过"),
    ("verified_failed", "回头看未通过(退回)"),
)
RANKING_COLUMNS = (
    ("place", "名次", 6),
    ("unit", "责任单位", 28),
    ("score", "得分", 8),
    ("items", "事项数", 8),
    ("closed", "已销号", 8),
    ("on_time", "按期销号", 9),
    ("closure_rate", "销号率", 9),
    ("on_time_rate", "按期销号率", 11),
    ("overdue", "超期", 6),
    ("returned", "复查退回", 9),
    ("points", "负面清单扣分", 12),
)


def font_face() -> str:
    """The @font-face source of the CJK font the app found (server/evidence/fonts.py)."""
    choice = fonts.cjk_font()
    if choice is None:
        return ""
    return f'local("{choice.name}"), url("{Path(choice.path).as_uri()}")'


def photo_file(photo_id) -> Path | None:
    """What a bulletin shows of a typical problem's photo: its published exposure copy
    (faces and plates blurred, server/exposure) when there is one, else its public copy
    (no caption, no metadata); None when neither file is there."""
    photo_id = uuid.UUID(str(photo_id))
    exposed = published_copy_file(photo_id)
    if exposed is not None:
        return exposed
    photo = db.session.get(Photo, photo_id)
    relative = (photo.derived or {}).get("public") if photo else None
    if not relative:
        return None
    path = evidence_storage().local_path(relative)
    return Path(path) if os.path.isfile(path) else None


def photo_uri(photo_id: str) -> str | None:
    """A typical problem's photo (photo_file) as a data: URI (None: not there)."""
    path = photo_file(photo_id)
    if path is None:
        return None
    return "data:image/jpeg;base64," + base64.b64encode(path.read_bytes()).decode()


def content(bulletin: Bulletin, live: dict | None = None) -> dict:
    """What a reader sees: the frozen figures, or for a draft the live ones."""
    frozen = bulletin.frozen or live or {}
    units = {r["unit_id"]: r for r in frozen.get("ranking", [])}
    lists = {
        key: [units[u] for u in frozen.get("lists", {}).get(key, []) if u in units]
        for key in glossary.RANKING_LISTS
    }
    return {**frozen, "lists_rows": lists}


def render_pdf(bulletin: Bulletin, data: dict) -> bytes:
    from weasyprint import HTML  # imported on use: pango is loaded only when needed

    typical = [
        {**t, "images": [u for u in (photo_uri(p) for p in t.get("photo_ids", [])) if u]}
        for t in data.get("typical", [])
    ]
    html = render_template(
        "bulletins/pdf.html",
        bulletin=bulletin,
        data=data,
        typical=typical,
        font_src=font_face(),
        figure_rows=FIGURE_ROWS,
        columns=RANKING_COLUMNS,
        draft=bulletin.status != BulletinStatus.published,
    )
    return HTML(string=html).write_pdf()


def stored_pdf(bulletin: Bulletin, data: dict) -> bytes:
    """A published version's PDF: written once, then always the same file."""
    if bulletin.status != BulletinStatus.published:
        return render_pdf(bulletin, data)
    if bulletin.pdf_path:
        path = storage_root() / bulletin.pdf_path
        if path.is_file():
            return path.read_bytes()
    body = render_pdf(bulletin, data)
    relative = f"bulletins/{bulletin.id}.pdf"
    path = storage_root() / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".part")
    temporary.write_bytes(body)
    os.replace(temporary, path)
    bulletin.pdf_path = relative
    db.session.flush()
    return body


def render_xlsx(bulletin: Bulletin, data: dict) -> bytes:
    import xlsxwriter

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    bold = book.add_format({"bold": True, "bg_color": "#DDE6F0", "border": 1})
    percent = book.add_format({"num_format": "0.0%"})
    sheet = book.add_worksheet("概况")
    sheet.set_column(0, 0, 24)
    sheet.set_column(1, 1, 40)
    office = data.get("office", bulletin.office.name)
    span = data.get("figures", {})
    head = [
        ("单位", office),
        ("文号", bulletin.doc_number),
        ("标题", bulletin.title),
        (
            "期间",
            f"{span.get('start', '')} 至 {span.get('end', '')}",
        ),
        ("状态", glossary.BULLETIN_STATUSES[bulletin.status]),
    ]
    row = 0
    for label, value in head:
        sheet.write(row, 0, label, bold)
        sheet.write(row, 1, value)
        row += 1
    row += 1
    found = data.get("figures", {})
    for key, label in FIGURE_ROWS:
        sheet.write(row, 0, label, bold)
        sheet.write_number(row, 1, found.get(key, 0))
        row += 1
    for colour, label in glossary.COLOURS.items():
        sheet.write(row, 0, f"{label}事项", bold)
        sheet.write_number(row, 1, found.get("colours", {}).get(colour, 0))
        row += 1
    ranking = book.add_worksheet("排位")
    for col, (_, label, width) in enumerate(RANKING_COLUMNS):
        ranking.write(0, col, label, bold)
        ranking.set_column(col, col, width)
    listed = {u: key for key, ids in data.get("lists", {}).items() for u in ids}
    ranking.write(0, len(RANKING_COLUMNS), "红黄黑榜", bold)
    for r, entry in enumerate(data.get("ranking", []), start=1):
        for col, (key, _, _) in enumerate(RANKING_COLUMNS):
            value = entry[key]
            if key.endswith("_rate"):
                ranking.write_number(r, col, value, percent)
            elif isinstance(value, int | float):
                ranking.write_number(r, col, value)
            else:
                ranking.write(r, col, value)
        key = listed.get(entry["unit_id"])
        ranking.write(r, len(RANKING_COLUMNS), glossary.RANKING_LISTS[key] if key else "")
    ranking.freeze_panes(1, 0)
    book.close()
    return out.getvalue()


def file_name(bulletin: Bulletin, extension: str) -> str:
    return f"bulletin-{bulletin.year}-{bulletin.month:02d}-v{bulletin.version}.{extension}"


def live_content(user, bulletin: Bulletin) -> dict:
    """A draft's figures as they are now (the office's own reading, never stored)."""
    from server.bulletins.operations import resolved_typical
    from server.timeutil import local_today

    data = figures.compute(user, bulletin.year, bulletin.month, local_today())
    data.update(office=bulletin.office.name, typical=resolved_typical(bulletin))
    return data
