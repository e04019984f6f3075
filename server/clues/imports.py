"""Importing the 12345 platform's work-order export (工单导出表) as clues of the uploader's
office (server/organisation/files.py reads the file and keeps it until confirmed).

Each row is turned into the clue form's fields (names of regions, units and topics looked
up, the channel mapped to a source, the date read in the forms Chinese spreadsheets use),
loaded through `ClueSchema` and filed with `operations.create_clue`, so it is numbered
and audited like a clue typed in by hand. The key is the work order number (工单编号): a
row whose number is already a clue of the office from the same source is skipped, so the
same file imported twice creates nothing; a number repeated inside one file is an error on
the later row. Confirming reads the kept file again and checks it against the database as
it is then. docs/clues.md lists the columns."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from marshmallow import ValidationError
from sqlalchemy import select

from server.audit import record_event
from server.clues import operations
from server.clues.import_format import COLUMNS, FIELD_COLUMNS, SOURCE_BY_WORD, normal, parse_day
from server.clues.schemas import ClueSchema
from server.console.kit import flat_messages
from server.errors import ApiError
from server.extensions import db
from server.glossary import CLUE_SOURCES
from server.models import Clue, ClueSource, ClueTopic, Region, Unit, User
from server.organisation.files import Table, header_positions
from server.settings import get_setting

ACTIONS = {"create": "新增", "exists": "已存在(跳过)", "error": "有错误"}


@dataclass
class Row:
    number: int
    values: dict[str, str]
    errors: list[tuple[str, str]] = field(default_factory=list)  # (column label, message)
    data: dict = field(default_factory=dict)
    action: str = "error"
    existing: str = ""  # the code of the clue a skipped row already is

    def fail(self, label: str, message: str) -> None:
        self.errors.append((label, message))


@dataclass
class Preview:
    rows: list[Row] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    # The units and topics read for the rows, held until the confirmation has filed
    # them: create_clue then finds them in the session's identity map, not by a query.
    lookups: _Lookups | None = None

    @property
    def counts(self) -> Counter:
        return Counter(row.action for row in self.rows)

    @property
    def writes(self) -> int:
        return self.counts["create"]


def _positions(header: list[str], preview: Preview) -> dict[str, int] | None:
    names = {}
    for column in COLUMNS:
        for name in (column.label, column.key, *column.aliases):
            names[normal(name)] = column.key
    required = [(c.key, c.label) for c in COLUMNS if c.required]
    found, ignored, errors = header_positions(header, names, required, normal)
    preview.ignored += ignored
    preview.file_errors += errors
    return found


class _Lookups:
    """The names a file may use, read once per preview."""

    def __init__(self, office_id):
        self.regions = {r.code: r for r in db.session.scalars(select(Region))}
        self.region_names: dict[str, list[str]] = {}
        for region in self.regions.values():
            self.region_names.setdefault(normal(region.name), []).append(region.code)
        units = list(db.session.scalars(select(Unit).where(Unit.active)))
        self.units = {normal(u.name): u for u in units} | {u.code.lower(): u for u in units}
        topics = list(
            db.session.scalars(
                select(ClueTopic).where(ClueTopic.active).order_by(ClueTopic.sort_order)
            )
        )
        self.topic_names = [t.name for t in topics]
        self.topics = {normal(t.name): t for t in topics} | {t.code.lower(): t for t in topics}
        self.existing = {
            (source, ref): code
            for source, ref, code in db.session.execute(
                select(Clue.source, Clue.source_ref, Clue.code).where(
                    Clue.office_unit_id == office_id, Clue.source_ref.is_not(None)
                )
            )
        }


def _body(row: Row, look: _Lookups) -> dict:
    """The row as the clue form's fields; what cannot be looked up is marked on the row."""
    v = row.values
    body = {"source": ClueSource.hotline.value, "summary": v.get("summary", "")}
    if v.get("channel"):
        source = SOURCE_BY_WORD.get(normal(v["channel"]))
        if source is None:
            words = "、".join(CLUE_SOURCES.values())
            row.fail("渠道", f"渠道“{v['channel']}”无法识别,可填:{words}")
        else:
            body["source"] = source.value
    if v.get("source_ref"):
        body["source_ref"] = v["source_ref"]
    else:
        row.fail("工单编号", "工单编号不能为空(它是识别重复导入的依据)")
    received = parse_day(v.get("received", ""))
    if received is None and v.get("received"):
        hint = "请写成 2026-03-01 或 2026-03-01 09:30"
        row.fail("受理时间", f"无法识别的日期“{v['received']}”,{hint}")
    elif received is not None:
        body["received_on"] = received.isoformat()
    for key in ("place", "reporter_name", "reporter_contact", "lat", "lon"):
        if v.get(key):
            body[key] = v[key]
    if v.get("region"):
        name = v["region"]
        codes = look.region_names.get(normal(name), [])
        if name in look.regions or (name.isdigit() and not codes):
            body["region_code"] = name  # a code (the schema checks its form)
        elif len(codes) == 1:
            body["region_code"] = codes[0]
        elif codes:
            row.fail("所属乡镇", f"有多个区划名为“{name}”,请填写区划代码")
        else:
            row.fail("所属乡镇", f"区划“{name}”不存在,请填写区划名称或区划代码")
    if v.get("unit"):
        unit = look.units.get(normal(v["unit"])) or look.units.get(v["unit"].lower())
        if unit is None:
            row.fail("承办单位", f"单位“{v['unit']}”不存在或已停用,请填写单位全称或单位代码")
        else:
            body["unit_id"] = str(unit.id)
    if v.get("topic"):
        topic = look.topics.get(normal(v["topic"]))
        if topic is None:
            row.fail("诉求分类", f"分类“{v['topic']}”不存在,可填:{'、'.join(look.topic_names)}")
        else:
            body["topic_id"] = str(topic.id)
    return body


def build_preview(table: Table, office_id) -> Preview:
    preview = Preview()
    positions = _positions(table.header, preview)
    if positions is None:
        return preview
    look = preview.lookups = _Lookups(office_id)
    schema = ClueSchema()
    first: dict[tuple, int] = {}
    for number, cells in table.rows:
        values = {k: (cells[i].strip() if i < len(cells) else "") for k, i in positions.items()}
        row = Row(number, values)
        preview.rows.append(row)
        body = _body(row, look)
        try:
            data = schema.load(body)
        except ValidationError as error:
            for name, messages in error.messages.items():
                for message in flat_messages(messages):
                    row.fail(FIELD_COLUMNS.get(name, name), message)
            continue
        if row.errors:
            continue
        key = (data["source"], data.get("source_ref"))
        if key in first:
            row.fail("工单编号", f"与第 {first[key]} 行工单编号重复")
            continue
        first[key] = number
        row.data = data
        row.existing = look.existing.get((ClueSource(key[0]), key[1]), "")
        row.action = "exists" if row.existing else "create"
    return preview


CHUNK_ROWS = 200  # rows filed between two commits of a confirmation


def confirm(preview: Preview, filename: str, actor: User, between_chunks=None) -> Counter:
    """File the new rows (each through create_clue). `between_chunks` (the page passes
    the session's commit) runs after every CHUNK_ROWS filed rows: a large file then holds
    SQLite's write lock a fraction of a second at a time instead of for the whole file,
    so devices' pushes are not kept waiting. Each row stands alone, and the work order
    number is the key, so a confirmation cut short leaves whole rows and importing the
    same file again files the rest."""
    filed = 0
    for row in preview.rows:
        if row.action != "create":
            continue
        if between_chunks is not None and filed and filed % CHUNK_ROWS == 0:
            between_chunks()
        filed += 1
        try:
            with db.session.begin_nested():
                operations.create_clue(dict(row.data), actor)
        except ApiError as refused:  # taken since the preview (another upload, by hand)
            row.action = "error"
            for name, messages in refused.details.get("fields", {}).items():
                for message in flat_messages(messages):
                    row.fail(FIELD_COLUMNS.get(name, name), message)
    counts = preview.counts
    record_event(
        "clue.import", "clue", None, actor.id, filename=filename, created=counts["create"],
        existing=counts["exists"], skipped=counts["error"],
        skipped_rows=[row.number for row in preview.rows if row.action == "error"][:200],
    )  # fmt: skip
    return counts


def limits() -> dict:
    return {
        "max_bytes": get_setting("import_max_bytes"),
        "max_rows": get_setting("import_max_rows"),
        "keep_minutes": get_setting("import_keep_minutes"),
    }
