"""Reading an import file and keeping it between preview and confirmation.

A file is CSV (UTF-8 with or without a BOM, or GBK/GB18030 as Excel on Chinese Windows
saves it) or XLSX (its first sheet), told apart by its content, not its name. It is read
into rows of text: the header row, then the data rows with their row number as a
spreadsheet shows it (the header is row 1).

The uploaded bytes wait under the instance folder (imports/) for the confirmation, named
by a random token and beside a small JSON note of who uploaded them, what they import
and when they expire; confirming, cancelling or expiring removes both files."""

from __future__ import annotations

import csv
import io
import json
import secrets
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

from flask import current_app

XLSX_MAGIC = b"PK\x03\x04"
TOKEN_BYTES = 24
MAX_COLUMNS = 50
MAX_CELL = 2000  # characters kept of one cell (longer values are refused by the schemas)
MAX_UNPACKED = 100 * 1024 * 1024  # an XLSX that unpacks to more is refused (a zip bomb)


class FileRefused(Exception):
    """The file as a whole cannot be read: the message says why, in Chinese."""


@dataclass
class Table:
    header: list[str]
    rows: list[tuple[int, list[str]]]  # (row number in the file, cells)


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))  # a code typed into a number cell: 522730.0 -> "522730"
    return str(value)[:MAX_CELL]


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise FileRefused("无法识别文件编码:请保存为 UTF-8 或 GBK 编码的 CSV 文件,或 XLSX 文件")


def _rows_csv(data: bytes, max_rows: int):
    text = _decode(data)
    if "\x00" in text:
        raise FileRefused("文件不是 CSV 或 XLSX 表格")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        for row in reader:
            yield reader.line_num, [_cell(c) for c in row[:MAX_COLUMNS]]
    except csv.Error as error:
        raise FileRefused(f"第 {reader.line_num} 行 CSV 格式错误:{error}") from None


def _rows_xlsx(data: bytes, max_rows: int):
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_UNPACKED:
                raise FileRefused("XLSX 文件解压后过大")
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        raise FileRefused(f"无法读取 XLSX 文件:{error.__class__.__name__}") from None
    try:
        sheet = book.worksheets[0]
        for number, row in enumerate(sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS), 1):
            yield number, [_cell(c) for c in row]
    finally:
        book.close()


def read_table(data: bytes, max_rows: int) -> Table:
    """The header and up to `max_rows` data rows (blank rows skipped); refused past that."""
    if not data.strip():
        raise FileRefused("文件是空的")
    source = _rows_xlsx if data.startswith(XLSX_MAGIC) else _rows_csv
    header, rows = None, []
    for number, cells in source(data, max_rows):
        if not any(c.strip() for c in cells):
            continue
        if header is None:
            header = [c.strip().lstrip("\ufeff") for c in cells]
            continue
        if len(rows) == max_rows:
            raise FileRefused(f"数据行超过 {max_rows} 行的上限,请分成几个文件导入")
        rows.append((number, cells))
    if header is None:
        raise FileRefused("文件是空的")
    return Table(header, rows)


# ---- keeping the upload between preview and confirmation ----


def header_positions(header, names, required, normalise):
    """Which cell of a header row holds which column. `names` maps each accepted name
    (already normalised) to its column key; `required` lists (key, label). Returns
    ({key: index} or None, ignored cells, file errors): a repeated column or a missing
    required one is an error of the whole file."""
    found: dict[str, int] = {}
    ignored, errors = [], []
    for index, cell in enumerate(header):
        key = names.get(normalise(cell))
        if key is None:
            if cell:
                ignored.append(cell)
        elif key in found:
            errors.append(f"表头中“{cell}”列重复")
        else:
            found[key] = index
    missing = [label for key, label in required if key not in found]
    if missing:
        errors.append(f"表头缺少必填列:{'、'.join(missing)}。请使用本页提供的模板")
    return (None if errors else found), ignored, errors


def _folder() -> Path:
    folder = Path(current_app.instance_path) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _paths(token: str) -> tuple[Path, Path] | None:
    if not token or len(token) > 64 or not token.replace("-", "").replace("_", "").isalnum():
        return None
    folder = _folder()
    return folder / f"{token}.upload", folder / f"{token}.json"


def keep(data: bytes, kind: str, filename: str, user_id, minutes: int) -> str:
    sweep()
    token = secrets.token_urlsafe(TOKEN_BYTES)
    data_path, note_path = _paths(token)
    data_path.write_bytes(data)
    note = {
        "user_id": str(user_id),
        "kind": kind,
        "filename": filename,
        "expires": time.time() + minutes * 60,
    }
    note_path.write_text(json.dumps(note, ensure_ascii=False))
    return token


def load(token: str, kind: str, user_id) -> tuple[bytes, dict] | None:
    """The kept file and its note, when the token is this user's for this kind of import
    and has not expired; None otherwise (an expired one is removed)."""
    paths = _paths(token)
    if paths is None or not paths[1].is_file():
        return None
    try:
        note = json.loads(paths[1].read_text())
        data = paths[0].read_bytes()
    except (OSError, ValueError):
        return None
    if note.get("expires", 0) < time.time():
        discard(token)
        return None
    if note.get("user_id") != str(user_id) or note.get("kind") != kind:
        return None
    return data, note


def discard(token: str) -> None:
    paths = _paths(token)
    for path in paths or ():
        path.unlink(missing_ok=True)


def sweep() -> None:
    """Remove the kept files whose time is up (a preview nobody confirmed)."""
    now = time.time()
    for note_path in _folder().glob("*.json"):
        try:
            expired = json.loads(note_path.read_text()).get("expires", 0) < now
        except (OSError, ValueError):
            expired = True
        if expired:
            discard(note_path.stem)
