"""The XLSX workbooks of the ledger (整改台账) and the three lists (三个清单), written by
XlsxWriter in constant_memory mode: each row goes to disk as the next begins, so a
100,000-row file takes the memory of one row (bench/xlsx_export.py).

Frozen header, autofilter, column widths, dates as real dates, the colour column filled
in the ledger's colours. Text is always written as a string, never as a formula."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, time

import xlsxwriter

from server.timeutil import local_today

# (row key, header, width); the key "#" is the row's number (序号).
COLUMNS = {
    "#": ("序号", 7),
    "code": ("编号", 16),
    "title": ("标题", 24),
    "problem": ("问题", 48),
    "unit": ("责任单位", 22),
    "lead_official": ("牵头领导", 12),
    "supporting_units": ("配合单位", 24),
    "measures": ("整改措施", 40),
    "requirements": ("整改要求", 36),
    "responsible_person": ("责任人", 12),
    "deadline": ("完成时限", 12),
    "status": ("状态", 10),
    "colour_label": ("颜色", 8),
    "listed": ("挂牌", 7),
    "latest_progress": ("最近进展", 40),
    "closed_on": ("销号日期", 12),
}
LEDGER = (
    *("#", "code", "title", "problem", "unit", "lead_official", "supporting_units"),
    *("measures", "deadline", "status", "colour_label", "listed", "latest_progress"),
    "closed_on",
)
SHEETS = {
    "ledger": {"整改台账": LEDGER},
    "three_lists": {
        "问题清单": ("#", "code", "title", "problem", "unit", "listed", "status", "colour_label"),
        "措施清单": (
            *("#", "code", "title", "measures", "requirements", "deadline"),
            *("latest_progress", "status"),
        ),
        "责任清单": (
            *("#", "code", "title", "lead_official", "unit", "supporting_units"),
            *("responsible_person", "deadline", "closed_on", "status"),
        ),
    },
}
DATES = {"deadline", "closed_on"}
# Light fills with dark text of the same hue: readable, and printable in grey.
FILLS = {
    "red": ("#F8D7DA", "#842029"),
    "yellow": ("#FFF3CD", "#664D03"),
    "green": ("#D1E7DD", "#0F5132"),
}


def write(target, kind: str, batches: Iterable[list[dict]], on_batch: Callable | None = None):
    """Write the workbook of `kind` to `target` (a path or a binary file); `on_batch(n)`
    after each batch with the rows written so far. Returns the row count."""
    book = xlsxwriter.Workbook(target, {"constant_memory": True})
    # The day, not the second: the same rows give the same bytes (nothing to compare by).
    book.set_properties({"created": datetime.combine(local_today(), time())})
    header = book.add_format({"bold": True, "bg_color": "#E8EEF5", "border": 1})
    text = book.add_format({"text_wrap": False, "valign": "top"})
    day = book.add_format({"num_format": "yyyy-mm-dd", "valign": "top"})
    fills = {
        c: book.add_format({"bg_color": bg, "font_color": fg}) for c, (bg, fg) in FILLS.items()
    }
    sheets = []
    for name, keys in SHEETS[kind].items():
        sheet = book.add_worksheet(name)
        for col, key in enumerate(keys):
            title, width = COLUMNS[key]
            sheet.set_column(col, col, width)
            sheet.write_string(0, col, title, header)
        sheet.freeze_panes(1, 0)
        sheets.append((sheet, keys))
    n = 0
    for batch in batches:
        for row in batch:
            n += 1
            for sheet, keys in sheets:
                _write_row(sheet, n, keys, row, text, day, fills)
        if on_batch:
            on_batch(n)
    for sheet, keys in sheets:
        sheet.autofilter(0, 0, max(n, 1), len(keys) - 1)
    book.close()
    return n


def _write_row(sheet, n: int, keys, row: dict, text, day, fills) -> None:
    for col, key in enumerate(keys):
        if key == "#":
            sheet.write_number(n, col, n)
            continue
        value = row[key]
        if key in DATES:
            if value is not None:
                sheet.write_datetime(n, col, value, day)
        elif key == "colour_label":
            sheet.write_string(n, col, value, fills.get(row["colour"], text))
        elif value:  # an empty cell is left out
            sheet.write_string(n, col, value, text)
