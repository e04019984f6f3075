"""Importing units, regions and sites from a table (server/organisation/files.py reads it).

Each row loads through the form's own schema; then the rules that need the database or
the other rows: a unit's code is its key (a row with a known code updates that unit), a
region's code is its key, a site's key is its name within its responsible unit (名称 +
责任单位代码). Importing the same file again therefore changes nothing. An empty optional
cell keeps the current value of a record it updates.

The preview lists every row: what it will do (新增 / 更新 / 无变化) or why it cannot
(row number, column, message). Confirming reads the kept file again, checks it against
the database as it is then, and writes every valid row in one transaction; rows with
errors are skipped and stay listed, so they can be fixed and the file imported again."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from marshmallow import ValidationError
from sqlalchemy import select

from server.audit import changes_between, record_event
from server.console.kit import flat_messages
from server.extensions import db
from server.glossary import UNIT_KINDS
from server.models import Region, Site, Unit, UnitKind, User
from server.organisation import operations
from server.organisation.files import Table, header_positions
from server.organisation.schemas import RegionSchema, SiteSchema, UnitSchema
from server.settings import get_setting


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    required: bool
    example: str


COLUMNS = {
    "units": (
        Column("code", "单位代码", True, "LL-ZJJ"),
        Column("name", "单位名称", True, "龙里县住房和城乡建设局"),
        Column("region_code", "区划代码", True, "522730"),
        Column("kind", "单位类型", True, "县直部门"),
        Column("parent_code", "上级单位代码", False, "LL-GOV"),
    ),
    "regions": (
        Column("code", "区划代码", True, "522730100"),
        Column("name", "名称", True, "龙山镇"),
    ),
    "sites": (
        Column("name", "点位名称", True, "龙山镇卫生院"),
        Column("unit_code", "责任单位代码", True, "LL-WJJ"),
        Column("lat", "纬度", True, "26.4478"),
        Column("lon", "经度", True, "106.9801"),
        Column("address", "地址", False, "龙里县龙山镇龙山大道"),
        Column("region_code", "区划代码", False, "522730100"),
        Column("radius_m", "围栏半径(米)", False, "200"),
    ),
}
ACTIONS = {"create": "新增", "update": "更新", "same": "无变化", "error": "有错误"}
KIND_BY_LABEL = {label: value for value, label in UNIT_KINDS.items()}


@dataclass
class Row:
    number: int
    values: dict[str, str]
    errors: list[tuple[str, str]] = field(default_factory=list)  # (column label, message)
    data: dict = field(default_factory=dict)
    record: object = None  # the record it updates
    action: str = "error"

    def fail(self, column: Column | str, message: str) -> None:
        label = column.label if isinstance(column, Column) else column
        self.errors.append((label, message))


@dataclass
class Preview:
    kind: str
    rows: list[Row] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)  # header cells matching no column

    @property
    def counts(self) -> Counter:
        return Counter(row.action for row in self.rows)

    @property
    def writes(self) -> int:
        counts = self.counts
        return counts["create"] + counts["update"]


def template_csv(kind: str) -> bytes:
    """The header and an example row, with a BOM so that Excel opens it as UTF-8."""
    columns = COLUMNS[kind]
    lines = [",".join(c.label for c in columns), ",".join(c.example for c in columns)]
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")


def _normal(text: str) -> str:
    return text.strip().lower().replace("(", "(").replace(")", ")").replace(" ", "")


def _columns(kind: str, header: list[str], preview: Preview) -> dict[str, int] | None:
    """Which cell holds which column: by its Chinese label (as in the template) or its
    English key."""
    names = {}
    for column in COLUMNS[kind]:
        names[_normal(column.label)] = column.key
        names[_normal(column.label.split("(")[0])] = column.key
        names[column.key] = column.key
    required = [(c.key, c.label) for c in COLUMNS[kind] if c.required]
    found, ignored, errors = header_positions(header, names, required, _normal)
    preview.ignored += ignored
    preview.file_errors += errors
    return found


def build_preview(kind: str, table: Table) -> Preview:
    preview = Preview(kind)
    positions = _columns(kind, table.header, preview)
    if positions is None:
        return preview
    for number, cells in table.rows:
        values = {key: (cells[i].strip() if i < len(cells) else "") for key, i in positions.items()}
        preview.rows.append(Row(number, values))
    CHECKS[kind](preview.rows)
    for row in preview.rows:
        if row.errors:
            row.action = "error"
    return preview


def _load(schema, row: Row, body: dict) -> dict | None:
    try:
        return schema.load(body)
    except ValidationError as error:
        for name, messages in error.messages.items():
            for message in flat_messages(messages):
                row.fail(LABELS.get(name, name), message)
        return None


LABELS = {c.key: c.label for columns in COLUMNS.values() for c in columns}
LABELS.update(parent_id="上级单位代码", unit_id="责任单位代码")


def _repeated(rows: list[Row], key, what: str) -> list[Row]:
    """The rows whose key an earlier row already has (marked), and the rest."""
    first: dict = {}
    kept = []
    for row in rows:
        k = key(row)
        if k in first:
            row.fail(what, f"与第 {first[k]} 行重复")
        else:
            first[k] = row.number
            kept.append(row)
    return kept


def _kept_value(row: Row, name: str, record, current):
    """An empty optional cell keeps what the record it updates has."""
    return current if (record is not None and not row.values.get(name)) else None


# ---- units ----


def _check_units(rows: list[Row]) -> None:
    schema = UnitSchema(exclude=("parent_id",))
    existing = {u.code: u for u in db.session.scalars(select(Unit))}
    loaded = []
    for row in rows:
        body = {k: v for k, v in row.values.items() if k != "parent_code" and v}
        if "kind" in body:
            body["kind"] = KIND_BY_LABEL.get(body["kind"], body["kind"])
        data = _load(schema, row, body)
        if data is not None:
            row.data = data
            row.record = existing.get(data["code"])
            loaded.append(row)
    loaded = _repeated(loaded, lambda r: r.data["code"], "单位代码")
    in_file = {r.data["code"]: r for r in loaded}
    by_id = {u.id: u.code for u in existing.values()}
    links = {u.code: by_id.get(u.parent_id) for u in existing.values()}
    for row in loaded:
        parent = row.values.get("parent_code", "")
        if not parent:
            row.data["parent_code"] = links.get(row.data["code"]) if row.record else None
        elif parent not in existing and parent not in in_file:
            row.fail("上级单位代码", f"上级单位代码“{parent}”不存在(数据库和本文件中都没有)")
        else:
            row.data["parent_code"] = parent
        links[row.data["code"]] = row.data.get("parent_code")
    for row in loaded:
        code = row.data["code"]
        if not row.errors and operations.makes_cycle(links, code, links[code]):
            row.fail("上级单位代码", "上级单位不能是本单位或其下级单位(形成循环)")
    for row in loaded:
        if not row.errors:
            row.action = _unit_action(row, existing)


def _unit_fields(unit: Unit, codes: dict) -> dict:
    return {
        "name": unit.name,
        "region_code": unit.region_code,
        "kind": unit.kind.value,
        "parent_code": codes.get(unit.parent_id),
    }


def _unit_action(row: Row, existing: dict) -> str:
    unit = row.record
    if unit is None:
        return "create"
    codes = {u.id: u.code for u in existing.values()}
    now = _unit_fields(unit, codes)
    wanted = {k: row.data.get(k) for k in now}
    return "same" if now == wanted else "update"


def _apply_units(rows: list[Row], actor: User) -> None:
    units: dict[str, Unit] = {u.code: u for u in db.session.scalars(select(Unit))}
    codes = {u.id: u.code for u in units.values()}
    before = {}
    for row in rows:
        unit = units.get(row.data["code"])
        if unit is None:
            unit = Unit(code=row.data["code"], active=True)
            db.session.add(unit)
            units[unit.code] = unit
        else:
            before[unit.code] = _unit_fields(unit, codes)
        unit.name, unit.region_code = row.data["name"], row.data["region_code"]
        unit.kind = UnitKind(row.data["kind"])
    db.session.flush()
    for row in rows:
        parent = row.data.get("parent_code")
        units[row.data["code"]].parent_id = units[parent].id if parent else None
    db.session.flush()
    codes = {u.id: u.code for u in units.values()}
    for row in rows:
        unit = units[row.data["code"]]
        after = _unit_fields(unit, codes)
        if unit.code in before:
            changes = changes_between(before[unit.code], after)
            record_event("unit.update", "unit", unit.id, actor.id, changes=changes, imported=True)
        else:
            after.update(code=unit.code, imported=True)
            record_event("unit.create", "unit", unit.id, actor.id, **after)


# ---- regions ----


def _check_regions(rows: list[Row]) -> None:
    schema = RegionSchema()
    existing = {r.code: r for r in db.session.scalars(select(Region))}
    loaded = []
    for row in rows:
        data = _load(schema, row, {k: v for k, v in row.values.items() if v})
        if data is not None:
            row.data, row.record = data, existing.get(data["code"])
            loaded.append(row)
    for row in _repeated(loaded, lambda r: r.data["code"], "区划代码"):
        if row.record is None:
            row.action = "create"
        else:
            row.action = "same" if row.record.name == row.data["name"] else "update"


def _apply_regions(rows: list[Row], actor: User) -> None:
    for row in rows:
        if row.record is None:
            operations.create_region(row.data, actor)
        else:
            operations.rename_region(row.record, row.data["name"], actor)


# ---- sites ----


def _check_sites(rows: list[Row]) -> None:
    schema = SiteSchema(exclude=("unit_id",))
    units = {u.code: u for u in db.session.scalars(select(Unit))}
    codes = {row.values.get("unit_code") for row in rows}
    named = [unit.id for code, unit in units.items() if code in codes]
    sites = {}  # of the units the file names only
    stmt = select(Site).where(Site.unit_id.in_(named)).order_by(Site.created_at)
    for site in db.session.scalars(stmt):
        sites.setdefault((site.unit_id, site.name), site)
    loaded = []
    for row in rows:
        body = {k: v for k, v in row.values.items() if k != "unit_code" and v}
        unit = units.get(row.values.get("unit_code", ""))
        if unit is None:
            row.fail("责任单位代码", f"责任单位代码“{row.values.get('unit_code', '')}”不存在")
        data = _load(schema, row, body)
        if data is None or unit is None:
            continue
        site = sites.get((unit.id, data["name"]))
        if not unit.active and site is None:
            row.fail("责任单位代码", f"责任单位“{unit.name}”已停用")
            continue
        data["unit_id"] = unit.id
        for name in ("address", "region_code", "radius_m"):
            kept = _kept_value(row, name, site, getattr(site, name, None))
            if kept is not None:
                data[name] = kept
        row.data, row.record = data, site
        loaded.append(row)
    for row in _repeated(loaded, lambda r: (r.data["unit_id"], r.data["name"]), "点位名称"):
        if row.record is None:
            row.action = "create"
            continue
        current = operations.snapshot(row.record, operations.SITE_FIELDS)
        wanted = operations.site_values(row.data, row.record.unit, row.record)
        wanted = operations.snapshot(_Values(wanted), operations.SITE_FIELDS)
        row.action = "same" if current == wanted else "update"


class _Values:
    def __init__(self, values: dict):
        self.__dict__.update(values)


def _apply_sites(rows: list[Row], actor: User) -> None:
    for row in rows:
        if row.record is None:
            operations.create_site(row.data, actor)
        else:
            operations.update_site(row.record, row.data, actor)


CHECKS = {"units": _check_units, "regions": _check_regions, "sites": _check_sites}
APPLY = {"units": _apply_units, "regions": _apply_regions, "sites": _apply_sites}


def confirm(preview: Preview, filename: str, actor: User) -> Counter:
    """Write the rows that would create or update, in this request's transaction."""
    writes = [row for row in preview.rows if row.action in ("create", "update")]
    APPLY[preview.kind](writes, actor)
    counts = preview.counts
    record_event(
        "organisation.import",
        preview.kind,
        None,
        actor.id,
        filename=filename,
        created=counts["create"],
        updated=counts["update"],
        unchanged=counts["same"],
        skipped=counts["error"],
        skipped_rows=[row.number for row in preview.rows if row.action == "error"][:200],
    )
    return counts


def limits() -> dict:
    return {
        "max_bytes": get_setting("import_max_bytes"),
        "max_rows": get_setting("import_max_rows"),
        "keep_minutes": get_setting("import_keep_minutes"),
    }
