"""CSV files people open in Excel: UTF-8 with a BOM (so Excel reads it as UTF-8) and no
cell Excel would run as a formula (CSV injection: a leading =, +, -, @, tab or return
gets a quote mark)."""

from __future__ import annotations

import csv
import io

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in FORMULA_STARTS else text


def csv_text(header, rows) -> str:
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows([safe_cell(v) for v in row] for row in rows)
    return out.getvalue()
