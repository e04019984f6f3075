"""/console/calendar: which years have a confirmed holiday schedule (admins, supervisors),
and an admin's import of a year's State Council schedule typed as lines of text.

The lines become the body of PUT /api/calendar/years, load through the same
YearImportSchema and go to the same operation. A refusal is shown in Chinese next to its
field with what was typed kept, and nothing is stored (a 422 rolls the request back)."""

from __future__ import annotations

import re
from datetime import date, timedelta

from flask import flash, g, redirect, request, url_for
from marshmallow import ValidationError

from server.console.kit import FORM_ERROR, field_errors, flat_messages, page, pages_blueprint
from server.console.session import console_login_required
from server.models import Role
from server.timeutil import local_today
from server.workdays import operations
from server.workdays.schemas import YearImportSchema

bp = pages_blueprint("calendar_pages", __name__)

FIELDS = ("year", "note", "holidays", "workdays")
DAY_LISTS = ("holidays", "workdays")
MAX_RANGE_DAYS = 31  # one line's range, both ends included
ITEM_LABELS = {"date": "日期", "name": "名称"}
_DAY = r"(\d{4})-(\d{1,2})-(\d{1,2})"
# A day or a range, then the name after a space (or straight after the date if it does not
# start with a digit, a dot or a hyphen). \s also matches the full-width space.
LINE = re.compile(rf"{_DAY}(?:\s*\.\.\s*{_DAY})?(?:(?:\s+|(?=[^\s\d.\-]))(.*))?")


def _day(parts) -> date | None:
    try:
        return date(*(int(p) for p in parts))
    except ValueError:
        return None


def parse_days(text: str) -> tuple[list[dict], list[int], list[str]]:
    """Lines `YYYY-MM-DD 名称` or `YYYY-MM-DD..YYYY-MM-DD 名称` (both ends included; the
    name optional; blank lines ignored) as the schema's [{"date", "name"}], the line each
    day came from, and what is wrong with the lines that cannot be read."""
    days, lines, errors, seen = [], [], [], {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        match = LINE.fullmatch(line)
        if match is None:
            errors.append(
                f"第 {number} 行无法识别:“{line}”。"
                "应为“YYYY-MM-DD 名称”或“YYYY-MM-DD..YYYY-MM-DD 名称”"
            )
            continue
        start = _day(match.group(1, 2, 3))
        end = _day(match.group(4, 5, 6)) if match.group(4) else start
        if start is None or end is None:
            errors.append(f"第 {number} 行的日期不存在:“{line}”")
        elif end < start:
            errors.append(f"第 {number} 行的结束日期早于开始日期:“{line}”")
        elif (end - start).days >= MAX_RANGE_DAYS:
            errors.append(f"第 {number} 行的日期范围超过 {MAX_RANGE_DAYS} 天:“{line}”")
        else:
            span = [start + timedelta(days=i) for i in range((end - start).days + 1)]
            repeated = [d for d in span if d in seen]
            if repeated:
                listed = "、".join(f"{d.isoformat()}(第 {seen[d]} 行)" for d in repeated)
                errors.append(f"第 {number} 行的日期已列出:{listed}")
                continue
            name = (match.group(7) or "").strip()
            for day in span:
                seen[day] = number
                days.append({"date": day.isoformat(), "name": name})
                lines.append(number)
    return days, lines, errors


def _schema_errors(messages: dict, lines: dict[str, list[int]]) -> dict[str, list[str]]:
    """The schema's errors by field; an error of one listed day names its line."""
    errors = {}
    for field, value in messages.items():
        if field not in DAY_LISTS or not isinstance(value, dict):
            errors.update(field_errors({field: value}))
            continue
        errors[field] = []
        for index, item in value.items():
            parts = item.items() if isinstance(item, dict) else [("", item)]
            for key, texts in parts:
                label = f"的{ITEM_LABELS[key]}" if key in ITEM_LABELS else ""
                errors[field] += [
                    f"第 {lines[field][index]} 行{label}:{m}" for m in flat_messages(texts)
                ]
    return errors


def _page(values: dict, errors: dict | None = None, status: int = 200):
    return page(
        "calendar/calendar.html",
        status,
        years=operations.calendar_years(local_today()),
        values=values,
        errors=errors or {},
        message=f"{FORM_ERROR},日历未导入" if errors else None,
        max_range=MAX_RANGE_DAYS,
    )


@bp.route("/calendar")
@console_login_required(Role.admin, Role.supervisor)
def calendar_years():
    return _page({k: "" for k in FIELDS})


@bp.route("/calendar", methods=["POST"])
@console_login_required(Role.admin)
def calendar_import():
    values = {k: request.form.get(k, "") for k in FIELDS}
    body = {k: values[k].strip() for k in ("year", "note") if values[k].strip()}
    errors, lines = {}, {}
    for field in DAY_LISTS:
        body[field], lines[field], bad = parse_days(values[field])
        if bad:
            errors[field] = bad
    try:
        data = YearImportSchema().load(body)
    except ValidationError as error:
        for field, messages in _schema_errors(error.messages, lines).items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        return _page(values, errors, 422)
    summary = operations.import_year(data, g.user)
    flash(operations.imported_message(summary))
    return redirect(url_for("calendar_pages.calendar_years"), 303)
